"""How much does watching training in the window cost, and does the window stay responsive?

For each preset, trains the same number of batches twice: headless (Trainer directly) and in
the main window (offscreen, started with the Start button, so the worker thread, signals,
plots and grids all run). Meanwhile a 10 ms QTimer in the GUI thread records how late it
fires. Prints: preset, headless img/s, in-window img/s, ratio, timer lateness p50/p95/max.

    WORKBENCH_DATA_DIR=<mnist root> python benchmarks/gui_overhead.py [--repeat 1]

Targets: ratio >= 0.90; lateness p95 < 50 ms and max < 250 ms.
img/s is images trained / seconds inside epochs (the trainer's own clock), so data loading
and model building are not counted for either side.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("WORKBENCH_OFFLINE", "1")
_tmp = tempfile.TemporaryDirectory(prefix="workbench-bench-")
os.environ["WORKBENCH_HOME"] = _tmp.name  # never touch the user's runs

import numpy as np  # noqa: E402
from PySide6.QtCore import QElapsedTimer, QEventLoop, QSettings, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

# (preset, epochs, max_batches): sized for ~20-40 s per case on a 2-core CPU
CASES = [("mlp-small", 10, 0), ("dcgan", 2, 40)]
TICK_MS = 10


def throughput(epochs) -> float:
    seconds = sum(e.seconds for e in epochs)
    images = sum(e.images_per_sec * e.seconds for e in epochs)
    return images / seconds if seconds else float("nan")


def headless(config) -> float:
    from workbench.core.events import EpochEnded
    from workbench.core.store.runs import RunStore
    from workbench.core.training.trainer import Trainer

    ended = []
    run = RunStore().create(config, name="bench headless")
    Trainer(config, run).fit(lambda e: ended.append(e) if isinstance(e, EpochEnded) else None)
    return throughput(ended)


def in_window(window, config) -> tuple[float, np.ndarray]:
    view = window.training_view
    view.form.set_config(config)
    ended, late = [], []
    clock = QElapsedTimer()
    state = {"last": None, "training": False}

    def tick():
        now = clock.elapsed()
        if state["last"] is not None and state["training"]:
            late.append(now - state["last"] - TICK_MS)
        state["last"] = now

    timer = QTimer()
    timer.setInterval(TICK_MS)
    timer.timeout.connect(tick)
    clock.start()
    timer.start()

    def on_started(_event):
        state["training"] = True
        view._worker.epoch_ended.connect(ended.append)

    def on_final(_event):
        state["training"] = False

    loop = QEventLoop()
    view.training_idle.connect(loop.quit)
    view.run_ended.connect(on_final)
    view.start_button.click()
    view._worker.started.connect(on_started)
    loop.exec()
    timer.stop()
    view.training_idle.disconnect(loop.quit)
    view.run_ended.disconnect(on_final)
    return throughput(ended), np.asarray(late, dtype=float)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1, help="alternate headless/window runs this many times")
    parser.add_argument("--cases", default=",".join(c[0] for c in CASES))
    parser.add_argument("--threads", type=int, default=None,
                        help="torch intra-op threads for both sides (default: the window's policy, "
                             "cores - 1; WORKBENCH_TORCH_THREADS)")
    args = parser.parse_args(argv)
    data = os.environ.get("WORKBENCH_DATA_DIR")
    if not data:
        print("Set WORKBENCH_DATA_DIR to the folder holding MNIST/raw.", file=sys.stderr)
        return 2
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, _tmp.name)
    app = QApplication.instance() or QApplication([])
    import torch

    from workbench.core.presets import preset_config
    from workbench.gui.main_window import MainWindow
    from workbench.gui.training.worker import THREADS_ENV, apply_thread_policy

    if args.threads:
        os.environ[THREADS_ENV] = str(args.threads)
    window = MainWindow()
    window.resize(1400, 860)
    window.show()
    app.processEvents()
    rows = []
    load_before = ", ".join(f"{x:.1f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    wanted = set(args.cases.split(","))
    for preset, epochs, max_batches in CASES:
        if preset not in wanted:
            continue
        config = preset_config(preset).with_changes(epochs=epochs, max_batches=max_batches, data_dir=data)
        threads = apply_thread_policy(config)  # the window's thread count headless too, for a fair ratio
        heads, wins, lates = [], [], []
        for _ in range(args.repeat):
            t = time.perf_counter()
            heads.append(headless(config))
            t_head = time.perf_counter() - t
            t = time.perf_counter()
            ips, late = in_window(window, config)
            t_win = time.perf_counter() - t
            wins.append(ips)
            lates.append(late)
            print(f"  {preset}: headless {heads[-1]:.0f} img/s ({t_head:.0f} s), "
                  f"window {ips:.0f} img/s ({t_win:.0f} s), {late.size} ticks", flush=True)
        late = np.concatenate(lates)
        head, win = float(np.median(heads)), float(np.median(wins))
        rows.append((preset, threads, head, win, win / head, *np.percentile(late, [50, 95]), late.max()))
    window.close()
    print(f"\ntorch {torch.__version__}, {os.cpu_count()} CPUs, "
          f"load average before: {load_before}")
    print("cases: " + ", ".join(f"{p} {e} epochs x {b or 'all'} batches" for p, e, b in CASES if p in wanted))
    header = f"{'preset':<10} {'threads':>7} {'headless img/s':>14} {'window img/s':>13} {'ratio':>6} " \
             f"{'late p50 ms':>11} {'p95 ms':>7} {'max ms':>7}"
    print(header)
    print("-" * len(header))
    for preset, threads, head, win, ratio, p50, p95, worst in rows:
        print(f"{preset:<10} {threads:>7} {head:>14.0f} {win:>13.0f} {ratio:>6.2f} {p50:>11.1f} {p95:>7.1f} "
              f"{worst:>7.1f}")
    ok = all(r[4] >= 0.9 and r[6] < 50 and r[7] < 250 for r in rows)
    print("targets (ratio >= 0.90, p95 < 50 ms, max < 250 ms):", "met" if ok else "NOT met")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
