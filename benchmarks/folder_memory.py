"""Peak memory of training on a large folder of images: one copy of the data, or more?

Writes a folder of 50,000 generated 64×64 colour PNGs (in a temporary folder, in parallel),
then, each in a fresh process, trains a few batches of `folder-dcgan64` on it: first while the
folder is prepared (decoded, cropped, resized, cached), then again from the cache, and once on
a small folder of the same kind as the baseline (the interpreter, PyTorch, the networks and a
batch's activations). Prints each process's peak resident memory (ru_maxrss) against the data
size, 50,000 × 3 × 64 × 64 bytes = 614 MB. Needs about 1 GB of free disk for the images and
the cache, both removed at the end.

    python benchmarks/folder_memory.py [--count 50000] [--batches 4]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

SIZE = 64
BASELINE_COUNT = 512


def write_chunk(args) -> int:
    """Images start..stop: a two-colour gradient with a random ellipse and rectangle."""
    import numpy as np
    from PIL import Image, ImageDraw

    folder, start, stop = args
    ramp = np.linspace(0.0, 1.0, SIZE, dtype=np.float32)[:, None, None]
    for i in range(start, stop):
        rng = np.random.default_rng(i)
        a, b = rng.integers(0, 256, 3), rng.integers(0, 256, 3)
        pixels = (a * (1 - ramp) + b * ramp).repeat(SIZE, axis=1).astype(np.uint8)
        image = Image.fromarray(pixels)
        draw = ImageDraw.Draw(image)
        x, y = rng.integers(0, SIZE - 16, 2)
        draw.ellipse([x, y, x + rng.integers(8, 32), y + rng.integers(8, 32)], fill=tuple(rng.integers(0, 256, 3)))
        x, y = rng.integers(0, SIZE - 8, 2)
        draw.rectangle([x, y, x + rng.integers(4, 20), y + rng.integers(4, 20)], fill=tuple(rng.integers(0, 256, 3)))
        sub = Path(folder) / f"{i // 1000:03d}"
        sub.mkdir(exist_ok=True)
        image.save(sub / f"image-{i:06d}.png", compress_level=1)
    return stop - start


def write_folder(folder: Path, count: int) -> float:
    folder.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    chunks = [(str(folder), i, min(i + 1000, count)) for i in range(0, count, 1000)]
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        written = sum(pool.map(write_chunk, chunks))
    assert written == count
    return time.perf_counter() - start


def peak_rss_bytes() -> int:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024  # Linux reports KiB


def child(folder: str, batches: int) -> None:
    """One training run in this process; prints its measurements as JSON."""
    from workbench.core.events import EpochEnded, Notice, Started
    from workbench.core.presets import preset_config
    from workbench.core.store.runs import RunStore
    from workbench.core.training.trainer import Trainer

    config = preset_config("folder-dcgan64").with_changes(image_folder=folder, epochs=1, max_batches=batches,
                                                          device="cpu")
    marks = {}
    start = time.perf_counter()

    def on_event(event):
        if isinstance(event, Started):
            marks["start_seconds"] = time.perf_counter() - start
            marks["peak_at_start"] = peak_rss_bytes()
        elif isinstance(event, EpochEnded):
            marks["images_per_sec"] = event.images_per_sec
        elif isinstance(event, Notice):
            marks.setdefault("notices", []).append(event.message)

    final = Trainer(config, RunStore().create(config)).fit(on_event)
    marks.update(final=type(final).__name__, message=getattr(final, "message", ""), peak=peak_rss_bytes())
    print(json.dumps(marks))


def run_child(folder: Path, home: Path, batches: int) -> dict:
    env = dict(os.environ, WORKBENCH_HOME=str(home))
    out = subprocess.run([sys.executable, __file__, "--child", str(folder), "--batches", str(batches)],
                         env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=50_000)
    parser.add_argument("--batches", type=int, default=4)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.batches)
        return
    tmp = Path(tempfile.mkdtemp(prefix="folder-memory-"))
    try:
        big, small, home = tmp / "images", tmp / "small", tmp / "home"
        seconds = write_folder(big, args.count)
        write_folder(small, BASELINE_COUNT)
        disk = sum(f.stat().st_size for f in big.rglob("*.png"))
        print(f"wrote {args.count:,} PNGs of {SIZE}×{SIZE} colour ({disk / 1e6:.0f} MB on disk) in {seconds:.0f} s")
        data = args.count * 3 * SIZE * SIZE
        rows = [("baseline: 512 images", run_child(small, home, args.batches), BASELINE_COUNT * 3 * SIZE * SIZE),
                ("first run (prepares)", run_child(big, home, args.batches), data),
                ("second run (cache)", run_child(big, home, args.batches), data)]
        base = rows[0][1]["peak"]
        print(f"\ndata: {args.count:,} × 3 × {SIZE} × {SIZE} bytes = {data / 1e6:.0f} MB (uint8); "
              f"{args.batches} batches of 128 of folder-dcgan64 on the CPU\n")
        print(f"{'run':<22} {'to Started':>10} {'peak at Started':>16} {'peak':>9} {'peak − baseline':>16} "
              f"{'÷ data':>7} {'img/s':>6}")
        for name, r, _nbytes in rows:
            extra = r["peak"] - base
            print(f"{name:<22} {r['start_seconds']:>9.1f}s {r['peak_at_start'] / 1e6:>13.0f} MB "
                  f"{r['peak'] / 1e6:>6.0f} MB {extra / 1e6:>13.0f} MB {extra / data:>7.2f} "
                  f"{r.get('images_per_sec', 0):>6.0f}")
            if r["final"] != "Finished":
                print(f"  {r['final']}: {r['message']}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
