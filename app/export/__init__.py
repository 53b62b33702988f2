"""Export for slides: MP4, GIF, PNG, SVG and CSV, from the command line and the GUI."""
