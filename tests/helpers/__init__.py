"""Helpers shared by the test folders: image files in real dataset layouts, trained runs, run browsers."""
