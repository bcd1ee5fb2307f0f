"""Fidelity and diversity apart, in the feature classifier's space: precision and recall over
k-nearest-neighbour manifolds (Kynkäänniemi et al., 2019, k = 3) and density and coverage
(Naeem et al., 2020, k = 5). One Fréchet score mixes "are the samples real-looking" with "do
they cover what the real images cover"; these four say which of the two is missing.

Exact distances, computed in blocks so memory stays bounded (a few thousand points each side).
The real side (its points and their neighbourhood radii) is fixed for a reference set, so it is
made once (`RealManifold.of`); each scoring then needs the generated samples' own distances and
one pass over the generated-to-real distances."""

from __future__ import annotations

from dataclasses import dataclass

import torch

PRECISION_RECALL_K = 3
DENSITY_COVERAGE_K = 5
BLOCK = 1024


def neighbour_radii(points: torch.Tensor, ks: tuple[int, ...]) -> list[torch.Tensor]:
    """For each k of `ks`, each point's distance to its k-th nearest other point of the same set."""
    top = max(ks)
    if points.shape[0] <= top:
        raise ValueError(f"need more than k = {top} points, got {points.shape[0]}")
    nearest = []
    for start in range(0, points.shape[0], BLOCK):
        d = torch.cdist(points[start:start + BLOCK], points)
        nearest.append(d.topk(top + 1, dim=1, largest=False).values)  # sorted; the point itself first, at 0
    nearest = torch.cat(nearest)
    return [nearest[:, k] for k in ks]


def kth_neighbour_radii(points: torch.Tensor, k: int) -> torch.Tensor:
    """Each point's distance to its k-th nearest other point of the same set."""
    return neighbour_radii(points, (k,))[0]


@dataclass(frozen=True)
class RealManifold:
    """The real images' features (double) with the radii of their k-nearest-neighbour balls."""

    points: torch.Tensor
    recall_radii: torch.Tensor  # k = PRECISION_RECALL_K
    density_radii: torch.Tensor  # k = DENSITY_COVERAGE_K

    @classmethod
    def of(cls, real: torch.Tensor) -> RealManifold:
        real = real.double()
        return cls(real, *neighbour_radii(real, (PRECISION_RECALL_K, DENSITY_COVERAGE_K)))

    @torch.no_grad()
    def scores(self, fake: torch.Tensor) -> dict:
        """`precision` (share of generated samples inside the real manifold), `recall` (share of
        real images inside the generated manifold), `density` (how many real neighbourhoods hold
        a generated sample, on average, divided by k: about 1 for samples distributed like the
        real ones) and `coverage` (share of real images whose neighbourhood holds a generated
        sample)."""
        fake = fake.double()
        fake_radii = kth_neighbour_radii(fake, PRECISION_RECALL_K)
        inside, neighbourhoods = 0, 0
        recalled = torch.zeros(self.points.shape[0], dtype=torch.bool)
        nearest = torch.full((self.points.shape[0],), torch.inf, dtype=torch.float64)
        for start in range(0, fake.shape[0], BLOCK):
            d = torch.cdist(fake[start:start + BLOCK], self.points)  # generated rows, real columns
            inside += int((d <= self.recall_radii).any(1).sum())
            neighbourhoods += int((d <= self.density_radii).sum())
            recalled |= (d <= fake_radii[start:start + BLOCK, None]).any(0)
            nearest = torch.minimum(nearest, d.min(0).values)
        samples = fake.shape[0]
        return {
            "precision": inside / samples,
            "recall": float(recalled.double().mean()),
            "density": neighbourhoods / (DENSITY_COVERAGE_K * samples),
            "coverage": float((nearest <= self.density_radii).double().mean()),
        }


@torch.no_grad()
def manifold_scores(real: torch.Tensor, fake: torch.Tensor) -> dict:
    """The four scores of `fake` against `real` (see `RealManifold.scores`)."""
    return RealManifold.of(real).scores(fake)
