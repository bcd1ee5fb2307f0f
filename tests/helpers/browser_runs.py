"""Short real runs for the browser and compare tests, trained once per test session into a
template folder and copied into each test's temporary home (tests change them freely)."""

from __future__ import annotations

import atexit
import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from workbench.core.presets import preset_config
from workbench.core.store.runs import Run, RunStore

# name -> changes to mlp-small; different lengths and differing fields on purpose
RUNS = {
    "alpha": dict(epochs=2),
    "beta": dict(epochs=3, lr_g=0.001),
    "gamma": dict(epochs=2, seed=7),
}
_template: Path | None = None


def mnist_available() -> bool:
    from workbench.core.data.datasets import raw_folder

    root = os.environ.get("WORKBENCH_DATA_DIR")
    return bool(root) and raw_folder("mnist", Path(root)).is_dir()


def template_dir() -> Path:
    """Train the RUNS once (about a second each) and keep them for the session."""
    global _template
    if _template is not None:
        return _template
    if not mnist_available():
        pytest.skip("real MNIST not available: set WORKBENCH_DATA_DIR to a folder holding MNIST/raw")
    from workbench.core.training.trainer import Trainer

    root = Path(tempfile.mkdtemp(prefix="workbench-browser-runs-"))
    atexit.register(shutil.rmtree, root, True)
    store = RunStore(root / "runs")
    for name, changes in RUNS.items():
        config = preset_config("mlp-small").with_changes(max_batches=5, device="cpu", **changes)
        run = store.create(config, name=name, preset="mlp-small")
        final = Trainer(config, run).fit()
        assert type(final).__name__ == "Finished", final
    _template = root
    return root


def populate(home: Path) -> dict[str, Run]:
    """Copy the trained runs into `home`/runs; returns {name: Run}."""
    source = template_dir() / "runs"
    runs = {}
    for folder in sorted(source.iterdir()):
        target = home / "runs" / folder.name
        shutil.copytree(folder, target)
        run = Run(target)
        runs[run.info()["name"]] = run
    return runs


def make_damaged(home: Path, name: str = "broken") -> Run:
    """A run killed while writing its metrics: a half-written last line."""
    run = RunStore(home / "runs").create(preset_config("mlp-small").with_changes(epochs=4), name=name,
                                         preset="mlp-small")
    run.append_metrics({"epoch": 1, "d_loss": 1.25, "g_loss": 0.75})
    with open(run.metrics_file, "a", encoding="utf-8") as f:
        f.write('{"epoch": 2, "d_lo')
    return run


def keep_best(run: Run, epoch: int, quality: float) -> None:
    """Mark `epoch` as the run's kept best, as scoring would (a copy of its latest checkpoint
    stands for that epoch's: listing and comparing read only best.json and that best.pt exists)."""
    (run.checkpoints_dir / "best.pt").write_bytes(run.latest_checkpoint.read_bytes())
    (run.checkpoints_dir / "best.json").write_text(json.dumps({"epoch": epoch, "quality": quality}))


def quiet_browser(qtbot, monkeypatch, evaluate_samples: int):
    """A shown RunBrowser over the test home whose message boxes are recorded in `.said`."""
    from workbench.gui.runs import RunBrowser

    browser = RunBrowser(RunStore())
    qtbot.addWidget(browser)
    browser.evaluate_samples = evaluate_samples
    browser.said = []
    monkeypatch.setattr(browser, "show_message", lambda title, text: browser.said.append(("info", title, text)))
    monkeypatch.setattr(browser, "show_error", lambda title, text: browser.said.append(("error", title, text)))
    browser.resize(1300, 850)
    browser.show()
    return browser
