"""The two networks and what feeds them: model families, loss objectives, generator averaging, noise and grids."""
