"""Counts in messages: singular for exactly one."""

from workbench.core.words import count


def test_one_is_singular_and_every_other_count_plural():
    assert count(1, "epoch") == "1 epoch" and count(0, "epoch") == "0 epochs" and count(2, "run") == "2 runs"
    assert count(1, "batch", "batches") == "1 batch" and count(938, "batch", "batches") == "938 batches"
    assert count(2000, "image") == "2,000 images" and count(1.5, "second") == "1.5 seconds"
