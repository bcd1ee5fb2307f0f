"""The Training tab: the view, the config form, the live view, the training worker."""
