"""Training throughput: the workbench trainer against the plain loop the presets come from.

For each preset, trains the same number of batches on real MNIST (a) with the workbench
Trainer (dataset resident in one tensor, batched normalization and rotation, no per-batch
host sync) and (b) with the reference loop: torchvision MNIST with per-image transforms, a
DataLoader and `.item()` per batch. Both run in this process; the table prints images/s, the
ratio, and the mean D/G losses over the second half of the batches, to show the fast path
learns what the reference learns.

    python benchmarks/throughput.py [--presets mlp-small dcgan] [--scale 1.0]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

import torch

from workbench.core import paths
from workbench.core.events import EpochEnded
from workbench.core.nets.losses import Objective
from workbench.core.nets.models import build_discriminator, build_generator
from workbench.core.nets.sampling import draw_noise
from workbench.core.presets import preset_config
from workbench.core.store.runs import RunStore
from workbench.core.training.trainer import Trainer

BATCHES = {"mlp-dropout": 400, "mlp-small": 300, "dcgan": 40, "dcgan-small": 80}
WARMUP = 5


def reference_loop(config, batches: int) -> tuple[float, float, float]:
    rate, d_losses, g_losses, _ = reference_train(config, batches, WARMUP)
    half = len(d_losses) // 2
    return rate, sum(d_losses[half:]) / len(d_losses[half:]), sum(g_losses[half:]) / len(g_losses[half:])


def reference_train(config, batches: int, warmup: int = 0, every: int = 0, on_every=None):
    """The notebook loop: per-image PIL transforms, a DataLoader, `.item()` every batch.
    Returns (images/s after warm-up, D losses, G losses, the generator); `batches` may span
    several epochs. `on_every(batches_done, generator)` is called every `every` batches (the
    fidelity benchmark scores the generator there)."""
    import torchvision.datasets as tvd
    import torchvision.transforms as T
    from torch.utils.data import DataLoader

    steps = [T.RandomRotation(config.rotation_degrees)] if config.rotation_degrees else []
    steps.append(T.ToTensor())
    if config.image_range == "symmetric":
        steps.append(T.Normalize((0.5,), (0.5,)))
    dataset = tvd.MNIST(str(paths.data_dir()), train=True, download=False, transform=T.Compose(steps))
    loader = DataLoader(dataset, batch_size=config.batch_size, shuffle=True)
    torch.manual_seed(config.seed)
    G, D = build_generator(config), build_discriminator(config)
    opt_g = torch.optim.Adam(G.parameters(), lr=config.lr_g, betas=(config.beta1_g, config.beta2_g))
    opt_d = torch.optim.Adam(D.parameters(), lr=config.lr_d, betas=(config.beta1_d, config.beta2_d))
    objective = Objective(config.loss)
    d_losses, g_losses = [], []
    seen, t0 = 0, time.perf_counter()
    for i, (real, _) in enumerate(_endless(loader)):
        if i == warmup:
            t0, seen = time.perf_counter(), 0
        if i == warmup + batches:
            break
        n = real.shape[0]
        fake = G(draw_noise(n, config, "cpu"))
        opt_d.zero_grad()
        d_loss = objective(D(real), torch.full((n,), config.real_label)) + objective(D(fake.detach()), torch.zeros(n))
        d_loss.backward()
        opt_d.step()
        opt_g.zero_grad()
        g_loss = objective(D(fake), torch.ones(n))
        g_loss.backward()
        opt_g.step()
        d_losses.append(d_loss.item())
        g_losses.append(g_loss.item())
        seen += n
        if every and on_every and (i + 1 - warmup) % every == 0:
            on_every(i + 1 - warmup, G)
    return seen / (time.perf_counter() - t0), d_losses, g_losses, G


def _endless(loader):
    while True:
        yield from loader


def workbench_loop(config, batches: int) -> tuple[float, float, float]:
    store = RunStore()
    Trainer(config.with_changes(epochs=1, max_batches=WARMUP), store.create(config)).fit()  # warm-up
    ended = []
    config = config.with_changes(epochs=1, max_batches=batches)
    Trainer(config, store.create(config)).fit(lambda e: ended.append(e) if isinstance(e, EpochEnded) else None)
    e = ended[0]
    half = len(e.batch_d_loss) // 2
    return (e.images_per_sec, sum(e.batch_d_loss[half:]) / len(e.batch_d_loss[half:]),
            sum(e.batch_g_loss[half:]) / len(e.batch_g_loss[half:]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presets", nargs="*", default=list(BATCHES))
    parser.add_argument("--scale", type=float, default=1.0, help="multiply the batch counts")
    args = parser.parse_args()
    os.environ.setdefault("WORKBENCH_HOME", tempfile.mkdtemp(prefix="wb-bench-"))
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, data {paths.data_dir()}")
    print("| preset | batches | reference img/s | workbench img/s | ratio | D loss ref / wb | G loss ref / wb |")
    print("|---|---:|---:|---:|---:|---|---|")
    for name in args.presets:
        config = preset_config(name).with_changes(device="cpu")
        batches = max(10, int(BATCHES[name] * args.scale))
        ref, ref_d, ref_g = reference_loop(config, batches)
        ours, our_d, our_g = workbench_loop(config, batches)
        print(f"| {name} | {batches} | {ref:,.0f} | {ours:,.0f} | {ours / ref:.2f} | "
              f"{ref_d:.3f} / {our_d:.3f} | {ref_g:.3f} / {our_g:.3f} |", flush=True)


if __name__ == "__main__":
    main()
