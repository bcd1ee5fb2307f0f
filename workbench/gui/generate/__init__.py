"""The Generate window: new images from a run's generator, drawn by a worker."""
