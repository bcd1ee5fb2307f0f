"""Plots and images shared by every tab: loss and quality plots, grid views, colours."""
