"""Precision, recall, density and coverage on point clouds whose answers are known."""

import pytest
import torch

from workbench.core.evaluation.manifold import kth_neighbour_radii, manifold_scores


def cloud(n, seed, shift=0.0, scale=1.0, dim=8):
    return torch.randn(n, dim, generator=torch.Generator().manual_seed(seed)) * scale + shift


def test_radii_are_the_kth_other_neighbour():
    points = torch.tensor([[0.0], [1.0], [3.0], [7.0]])
    assert kth_neighbour_radii(points, 1).tolist() == [1.0, 1.0, 2.0, 4.0]
    assert kth_neighbour_radii(points, 2).tolist() == [3.0, 2.0, 3.0, 6.0]
    with pytest.raises(ValueError):
        kth_neighbour_radii(points, 4)


def test_the_same_distribution_scores_high_on_all_four():
    s = manifold_scores(cloud(1000, 0), cloud(1000, 1))
    assert s["precision"] > 0.6 and s["recall"] > 0.6 and s["coverage"] > 0.9
    assert 0.8 < s["density"] < 1.2


def test_collapse_keeps_precision_and_loses_recall_and_coverage():
    real = cloud(1000, 0)
    collapsed = real[:5].repeat(200, 1) + 1e-3 * cloud(1000, 2)
    s = manifold_scores(real, collapsed)
    assert s["precision"] > 0.95
    assert s["recall"] < 0.05 and s["coverage"] < 0.05


def test_samples_off_the_real_manifold_lose_precision_and_density():
    s = manifold_scores(cloud(1000, 0), cloud(1000, 1, shift=4.0))
    assert s["precision"] < 0.1 and s["density"] < 0.1


def test_blocks_give_the_same_answer_as_one_piece(monkeypatch):
    from workbench.core.evaluation import manifold

    real, fake = cloud(300, 0), cloud(250, 1, shift=0.5)
    whole = manifold_scores(real, fake)
    monkeypatch.setattr(manifold, "BLOCK", 64)
    assert manifold_scores(real, fake) == whole
