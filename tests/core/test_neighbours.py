"""Near-copies of the training set: exact nearest neighbours in blocks, the grid cell under a
pixel, and the memorisation ratio on real MNIST (copies of training digits near 1, other
held-out digits about 0.05, noise 0), with the training features cached beside the classifier's
test statistics."""

import numpy as np
import pytest
import torch

from workbench.core.evaluation import neighbours, registry
from workbench.core.evaluation.neighbours import held_out_threshold, nearest
from workbench.core.nets.sampling import class_grid_inputs, grid_array, grid_cell, stored_grid_layout


def cloud(n, seed, dim=16):
    return torch.randn(n, dim, generator=torch.Generator().manual_seed(seed))


def brute_force(queries, keys, k):
    d = (queries.double()[:, None] - keys.double()[None]).pow(2).sum(-1).sqrt()
    return d.topk(k, dim=1, largest=False)


def test_nearest_in_blocks_agrees_with_brute_force(monkeypatch):
    monkeypatch.setattr(neighbours, "QUERY_BLOCK", 64)
    monkeypatch.setattr(neighbours, "KEY_BLOCK", 700)  # the last block (100 keys) shorter than the rest
    queries, keys = cloud(300, 0), cloud(4300, 1)
    distances, rows = nearest(queries, keys, 3)
    expected_d, expected_rows = brute_force(queries, keys, 3)
    assert distances.dtype == torch.float64 and distances.shape == rows.shape == (300, 3)
    assert torch.allclose(distances, expected_d, rtol=0, atol=1e-9)
    assert torch.equal(rows, expected_rows)
    assert bool((distances[:, 1:] >= distances[:, :-1]).all())  # ascending
    # a key itself is its own nearest, at (about) zero
    d, r = nearest(keys[:50], keys, 1)
    assert torch.equal(r[:, 0], torch.arange(50)) and float(d.max()) < 1e-6
    assert nearest(queries[:0], keys, 3)[0].shape == (0, 3)


def test_the_threshold_is_the_held_out_5th_percentile_and_their_share_below_it_5_percent():
    held_out = torch.rand(2000, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    threshold, baseline = held_out_threshold(held_out)
    assert threshold == pytest.approx(float(held_out.sort().values[99:101].mean()), abs=1e-3)
    assert baseline == 0.05


def test_grid_cell_finds_the_image_under_a_pixel():
    count, size = 10, 5
    images = torch.arange(count, dtype=torch.float32).mul(20).div(255)[:, None, None, None].expand(count, 1, size, size)
    grid = grid_array(images)  # 4 across, 3 rows, the last two cells empty
    assert grid.shape == (3 * 7 + 2, 4 * 7 + 2)
    for index in range(count):
        row, col = divmod(index, 4)
        found, pixels = grid_cell(grid, count, size, 2 + col * 7 + 4, 2 + row * 7)
        assert found == index and pixels.shape == (size, size)
        assert np.all(pixels == index * 20)
    assert grid_cell(grid, count, size, 1, 5) is None  # the border
    assert grid_cell(grid, count, size, 2 + 5, 5) is None  # the gap after the first image
    assert grid_cell(grid, count, size, 2 + 3 * 7, 2 + 2 * 7) is None  # beyond the last image
    assert grid_cell(grid, count + 10, size, 3, 3) is None  # a grid of another layout


def test_a_conditional_grids_cell_is_found_in_its_class_row():
    """A click on a conditional run's stored grid (a row per class) finds the sample in that row:
    the layout `stored_grid_layout` gives is the one the trainer draws."""
    size, grid_size, classes = 4, 64, 10
    z, labels, columns = class_grid_inputs(torch.zeros(grid_size, 3), classes)
    images = (labels.float() * 20 / 255)[:, None, None, None].expand(-1, 1, size, size)
    grid = grid_array(images, columns)  # 10 rows of 8
    count, across = stored_grid_layout(grid_size, classes)
    assert (count, across) == (80, 8) and stored_grid_layout(grid_size, 0) == (64, None)
    found, pixels = grid_cell(grid, count, size, 2 + 3 * 6 + 1, 2 + 7 * 6 + 1, across)
    assert found == 7 * 8 + 3 and np.all(pixels == 7 * 20)  # row 7 draws class 7
    assert grid_cell(grid, grid_size, size, 3, 3) is None  # read as an unconditional grid: no such layout


@pytest.fixture
def mnist(data, small_training_split):
    scoring = registry.scoring_model("mnist", data)
    return scoring, neighbours.training_set(scoring, data)


def memorisation_of(scoring, training, images):
    features, _ = scoring.classifier.embed(scoring.judged(images))
    return training.memorisation(training.neighbours(features)[0][:, 0])


def test_copies_score_near_1_held_out_digits_about_5_percent_noise_0(mnist, data):
    from workbench.core.data.datasets import load_split

    scoring, training = mnist
    assert training.images.shape[0] == 6000 and training.baseline == 0.05
    assert 0.3 < training.threshold < 1.5  # feature distances of the shipped classifier

    copies = memorisation_of(scoring, training, training.images[:1000])
    assert copies["ratio"] >= 0.9 and copies["samples"] == 1000
    test_images, _ = load_split("mnist", data, train=False)
    others = torch.ones(test_images.shape[0], dtype=torch.bool)
    others[registry.reference_rows(test_images.shape[0])] = False  # held out, and not the reference
    held_out = memorisation_of(scoring, training, test_images[others][:1000])
    assert 0.02 <= held_out["ratio"] <= 0.10
    noise = memorisation_of(scoring, training, torch.rand(500, 1, 28, 28, generator=torch.Generator().manual_seed(0)))
    assert noise["ratio"] <= 0.01
    assert copies["threshold"] == held_out["threshold"] == training.threshold


def test_training_features_are_cached_beside_the_test_statistics(mnist, data, monkeypatch):
    scoring, training = mnist
    neighbours.forget()
    path = registry.classifier_dir() / f"{scoring.name}-train-features.pt"
    if not path.exists():  # made by an earlier test of this process (memo): made again here
        neighbours.save_features(scoring.name, training.features)
    saved = torch.load(path, weights_only=True)
    assert saved["classifier"] == scoring.name and saved["features"].shape == (6000, 128)

    def no_embedding(*args, **kwargs):
        raise AssertionError("the cached features should have been read")

    monkeypatch.setattr(neighbours, "embed", no_embedding)
    again = neighbours.training_set(scoring, data)
    assert torch.equal(again.features, training.features) and again.threshold == training.threshold
    # features of another number of images (or a damaged file) are computed again
    neighbours.forget()
    monkeypatch.setattr(neighbours, "TRAINING_IMAGES", 5000)
    monkeypatch.setattr(neighbours, "embed", lambda scoring, images, *a: torch.zeros(images.shape[0], 128))
    assert neighbours.training_set(scoring, data).features.shape == (5000, 128)
    neighbours.forget()
