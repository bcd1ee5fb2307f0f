"""How long the run browser takes to list many runs.

Creates N realistic run folders (config.json, run.json, a 25-epoch metrics.jsonl with
per-batch traces, a 242×242 PNG grid) in a temporary WORKBENCH_HOME, then prints a table:
the core listing alone (RunStore.summaries), the browser's own listing, the full browser
load offscreen (model + proxy + view shown and painted), and one idle refresh poll.

    python benchmarks/browser_scale.py [--runs 500] [--epochs 25] [--repeat 3]

The goal is under 1 s for 500 runs. Nothing here imports torch.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path


def make_runs(root: Path, count: int, epochs: int, seed: int = 0) -> None:
    """Write `count` run folders that look like real finished/stopped/damaged runs."""
    from PIL import Image

    from workbench.core.presets import PRESETS, preset_config

    rng = random.Random(seed)
    png = io.BytesIO()
    Image.frombytes("L", (242, 242), bytes(rng.randrange(256) for _ in range(242 * 242))).save(png, "PNG")
    png = png.getvalue()
    names = list(PRESETS)
    for i in range(count):
        preset = names[i % len(names)]
        config = preset_config(preset).with_changes(epochs=epochs, seed=i)
        run_id = f"20260101-{i // 3600:02d}{i // 60 % 60:02d}{i % 60:02d}-{i:04x}"
        folder = root / run_id
        (folder / "samples").mkdir(parents=True)
        done = epochs if i % 5 else rng.randrange(1, epochs)
        status = "finished" if done == epochs else "stopped"
        (folder / "config.json").write_text(json.dumps(config.to_dict(), indent=2))
        (folder / "run.json").write_text(json.dumps({
            "id": run_id, "name": f"{preset} trial {i}", "status": status,
            "created": f"2026-01-01T{i // 3600:02d}:{i // 60 % 60:02d}:{i % 60:02d}+00:00",
            "finished": None, "preset": preset, "notes": "", "epochs_done": done, "device": "cpu",
            "versions": {}, "message": None, "train_seconds": 12.5 * done,
        }, indent=2))
        lines = []
        for e in range(1, done + 1):
            lines.append(json.dumps({
                "epoch": e, "d_loss": rng.uniform(0.5, 1.5), "g_loss": rng.uniform(0.5, 3),
                "d_real": rng.random(), "d_fake": rng.random(), "images_per_sec": rng.uniform(5e3, 5e4),
                "seconds": rng.uniform(1, 20),
                "batch_d_loss": [rng.uniform(0.5, 1.5) for _ in range(100)],
                "batch_g_loss": [rng.uniform(0.5, 3) for _ in range(100)],
            }))
        text = "\n".join(lines) + "\n"
        if i % 97 == 13:
            text += '{"epoch": 99, "d_lo'  # a few runs killed mid-write: damaged
        (folder / "metrics.jsonl").write_text(text)
        (folder / "samples" / f"epoch-{done:04d}.png").write_bytes(png)


def timed(fn, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=500)
    parser.add_argument("--epochs", type=int, default=25)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)

    home = Path(tempfile.mkdtemp(prefix="workbench-bench-"))
    os.environ["WORKBENCH_HOME"] = str(home)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

    from workbench.core.store.runs import RunStore

    t0 = time.perf_counter()
    make_runs(home / "runs", args.runs, args.epochs)
    size = sum(f.stat().st_size for f in (home / "runs").rglob("*") if f.is_file())
    print(f"made {args.runs} runs ({size / 1e6:.1f} MB) in {time.perf_counter() - t0:.1f} s under a temp home")

    rows = []
    store = RunStore()
    t_core, summaries = timed(store.summaries, args.repeat)
    rows.append(("core RunStore.summaries()", t_core, len(summaries)))

    from workbench.core.store.listing import SummaryCache

    t_fast, fast = timed(lambda: SummaryCache(store).summaries(), args.repeat)
    rows.append(("core SummaryCache, cold", t_fast, len(fast)))
    cache = SummaryCache(store)
    cache.summaries()
    t_warm, _ = timed(cache.summaries, args.repeat)
    rows.append(("core SummaryCache, nothing changed", t_warm, args.runs))

    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])
    from workbench.gui.runs import RunBrowser

    browsers = []

    def load_browser():
        browser = RunBrowser(RunStore())
        browser.resize(1400, 800)
        browser.show()
        app.processEvents()
        browser.grab()  # forces a paint of the visible rows and their thumbnails
        browsers.append(browser)
        return browser

    t_gui, browser = timed(load_browser, args.repeat)
    rows.append(("GUI RunBrowser load + first paint", t_gui, browser.model.rowCount()))
    t_poll, _ = timed(browser.model.poll, args.repeat)
    rows.append(("GUI refresh poll, nothing changed", t_poll, browser.model.rowCount()))
    from PySide6.QtCore import Qt

    from workbench.gui.runs import COLUMNS

    orders = [Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder]
    t_sort, _ = timed(lambda: (browser.table.sortByColumn(COLUMNS.index("d_loss"), orders[0]), orders.reverse()),
                      args.repeat)
    rows.append(("GUI sort by D loss", t_sort, browser.model.rowCount()))
    t_filter, _ = timed(lambda: (browser.filter_edit.setText("dcgan finished"), browser.filter_edit.setText("")),
                        args.repeat)
    rows.append(("GUI filter + clear", t_filter, browser.model.rowCount()))
    thumbnails = browser.model.thumbnails.loads
    for b in browsers:
        b.close()
        b.deleteLater()
    app.processEvents()
    import shutil

    shutil.rmtree(home, ignore_errors=True)

    damaged = sum(s.status == "damaged" for s in summaries)
    print(f"\n{'step':<36} {'seconds':>8} {'runs':>6}")
    for name, seconds, n in rows:
        print(f"{name:<36} {seconds:8.3f} {n:>6}")
    print(f"\n(median of {args.repeat}; {damaged} damaged runs listed as damaged; the first paint read "
          f"{thumbnails} thumbnails, only the visible rows)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
