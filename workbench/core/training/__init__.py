"""The trainer and what runs beside it: the epoch loop, distributed training, the TensorBoard log."""
