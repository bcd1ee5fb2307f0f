"""The Compare view: curves, grids and tables of runs side by side."""
