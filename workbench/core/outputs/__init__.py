"""What a trained run gives a user: generated images, training GIFs, exports, run comparison, curve smoothing."""
