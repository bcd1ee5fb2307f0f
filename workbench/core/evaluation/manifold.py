"""Fidelity and diversity apart, in the feature classifier's space: precision and recall over
k-nearest-neighbour manifolds (Kynkäänniemi et al., 2019, k = 3) and density and coverage
(Naeem et al., 2020, k = 5). One Fréchet score mixes "are the samples real-looking" with "do
they cover what the real images cover"; these four say which of the two is missing.

Exact distances, computed in blocks so memory stays bounded (a few thousand points each side)."""

from __future__ import annotations

import torch

PRECISION_RECALL_K = 3
DENSITY_COVERAGE_K = 5
BLOCK = 1024


def kth_neighbour_radii(points: torch.Tensor, k: int) -> torch.Tensor:
    """Each point's distance to its k-th nearest other point of the same set."""
    if points.shape[0] <= k:
        raise ValueError(f"need more than k = {k} points, got {points.shape[0]}")
    radii = []
    for start in range(0, points.shape[0], BLOCK):
        d = torch.cdist(points[start:start + BLOCK], points)
        radii.append(d.kthvalue(k + 1, dim=1).values)  # the point itself is its own nearest, at 0
    return torch.cat(radii)


def _inside_counts(queries: torch.Tensor, centres: torch.Tensor, radii: torch.Tensor) -> torch.Tensor:
    """For each query, how many of the balls (centre, radius) hold it."""
    counts = []
    for start in range(0, queries.shape[0], BLOCK):
        d = torch.cdist(queries[start:start + BLOCK], centres)
        counts.append((d <= radii.unsqueeze(0)).sum(1))
    return torch.cat(counts)


def _nearest_query_distance(centres: torch.Tensor, queries: torch.Tensor) -> torch.Tensor:
    """For each centre, the distance to its nearest query point."""
    nearest = []
    for start in range(0, centres.shape[0], BLOCK):
        nearest.append(torch.cdist(centres[start:start + BLOCK], queries).min(1).values)
    return torch.cat(nearest)


@torch.no_grad()
def manifold_scores(real: torch.Tensor, fake: torch.Tensor) -> dict:
    """`precision` (share of generated samples inside the real manifold), `recall` (share of
    real images inside the generated manifold), `density` (how many real neighbourhoods hold a
    generated sample, on average, divided by k: about 1 for samples distributed like the real
    ones) and `coverage` (share of real images whose neighbourhood holds a generated sample)."""
    real, fake = real.double(), fake.double()
    real_pr = kth_neighbour_radii(real, PRECISION_RECALL_K)
    fake_pr = kth_neighbour_radii(fake, PRECISION_RECALL_K)
    real_dc = kth_neighbour_radii(real, DENSITY_COVERAGE_K)
    return {
        "precision": float((_inside_counts(fake, real, real_pr) > 0).double().mean()),
        "recall": float((_inside_counts(real, fake, fake_pr) > 0).double().mean()),
        "density": float(_inside_counts(fake, real, real_dc).double().mean() / DENSITY_COVERAGE_K),
        "coverage": float((_nearest_query_distance(real, fake) <= real_dc).double().mean()),
    }
