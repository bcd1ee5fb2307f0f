"""The discriminator report: D's outputs on the real test split and on as many generated
images, as two histograms, and D's precision, recall and F1 as a real-vs-fake classifier at
threshold 0.5 (real is the positive class)."""

from __future__ import annotations

import torch

from workbench.core.config import TrainConfig
from workbench.core.nets.losses import Objective
from workbench.core.nets.sampling import draw_noise

BINS = 20
REPORT_SEED = 7


@torch.no_grad()
def _probabilities(discriminator, batches, objective: Objective) -> torch.Tensor:
    return torch.cat([objective.probability(discriminator(x)).float().cpu().view(-1) for x in batches])


@torch.no_grad()
def discriminator_report(generator, discriminator, config: TrainConfig, real_images: torch.Tensor,
                         device="cpu", batch_size: int = 500) -> dict:
    """Evaluate D (in eval mode) on the real uint8 images, normalised as in training, and on as
    many images from G; both networks are left in the mode they were in."""
    modes = (generator.training, discriminator.training)
    generator.eval()
    discriminator.eval()
    objective = Objective(config.loss)
    n = real_images.shape[0]
    try:
        def real_batches():
            for i in range(0, n, batch_size):
                x = real_images[i:i + batch_size].to(device).float().div_(255.0)
                yield x.mul_(2.0).sub_(1.0) if config.image_range == "symmetric" else x

        noise = draw_noise(n, config, "cpu", torch.Generator().manual_seed(REPORT_SEED))

        def fake_batches():
            for i in range(0, n, batch_size):
                yield generator(noise[i:i + batch_size].to(device))

        real = _probabilities(discriminator, real_batches(), objective)
        fake = _probabilities(discriminator, fake_batches(), objective)
    finally:
        generator.train(modes[0])
        discriminator.train(modes[1])
    return report_from_probabilities(real, fake)


def report_from_probabilities(real: torch.Tensor, fake: torch.Tensor) -> dict:
    """Histograms and real-vs-fake precision/recall/F1 at 0.5 from D's probabilities."""
    true_pos = int((real >= 0.5).sum())
    false_pos = int((fake >= 0.5).sum())
    false_neg = real.numel() - true_pos
    precision = true_pos / (true_pos + false_pos) if true_pos + false_pos else 0.0
    recall = true_pos / (true_pos + false_neg) if real.numel() else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    accuracy = (true_pos + int((fake < 0.5).sum())) / max(real.numel() + fake.numel(), 1)
    return {
        "samples": int(real.numel()),
        "bins": [i / BINS for i in range(BINS + 1)],
        "real_hist": torch.histc(real, BINS, 0.0, 1.0).int().tolist(),
        "fake_hist": torch.histc(fake, BINS, 0.0, 1.0).int().tolist(),
        "mean_real": float(real.mean()) if real.numel() else None,
        "mean_fake": float(fake.mean()) if fake.numel() else None,
        "precision": precision, "recall": recall, "f1": f1, "accuracy": accuracy,
    }


def format_report(report: dict) -> str:
    """The report as text for the CLI and the details panel."""
    lines = [f"Discriminator report, epoch {report.get('epoch', '?')}: {report['samples']} real test images "
             f"and {report['samples']} generated",
             f"  mean D(x) {report['mean_real']:.3f}   mean D(G(z)) {report['mean_fake']:.3f}",
             f"  as a real-vs-fake classifier at 0.5: precision {report['precision']:.3f}  "
             f"recall {report['recall']:.3f}  F1 {report['f1']:.3f}  accuracy {report['accuracy']:.3f}",
             f"  {'D output':>11}  {'real':>6}  {'fake':>6}"]
    bins = report["bins"]
    top = max(max(report["real_hist"]), max(report["fake_hist"]), 1)
    for i, (r, f) in enumerate(zip(report["real_hist"], report["fake_hist"])):
        bar = "#" * round(12 * r / top) + " " * (12 - round(12 * r / top)) + " |" + "*" * round(12 * f / top)
        lines.append(f"  {bins[i]:.2f}–{bins[i + 1]:.2f}  {r:>6}  {f:>6}  {bar}")
    return "\n".join(lines)
