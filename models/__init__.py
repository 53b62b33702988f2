"""GANscope's engine: pure torch/numpy, no Qt, no files dialogs, no printing."""
