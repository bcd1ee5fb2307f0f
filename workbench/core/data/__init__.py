"""Training images: the built-in datasets, image folders, device placement, preparing the images a run trains on."""
