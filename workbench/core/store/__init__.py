"""Runs on disk: the run folder and its status, listing, the run check, disk space, checkpoints."""
