"""GANscope's Qt layer and command line. Importing this package does not import Qt."""

import os

# pyqtgraph picks PyQt when it is installed; GANscope is built and tested on PySide6.
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")
