"""export_run: a run folder becomes a plain folder with config, metrics CSV, grids and weights."""

import csv
import json
import os
from pathlib import Path

import pytest

from workbench.core.data.datasets import raw_folder
from workbench.core.outputs.export import export_run
from workbench.core.presets import preset_config
from workbench.core.store.runs import RunStore

needs_data = pytest.mark.skipif(
    not (os.environ.get("WORKBENCH_DATA_DIR") and raw_folder("mnist", Path(os.environ["WORKBENCH_DATA_DIR"])).is_dir()),
    reason="real MNIST not available: set WORKBENCH_DATA_DIR to a folder holding MNIST/raw")


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory):
    from workbench.core.training.trainer import Trainer

    store = RunStore(tmp_path_factory.mktemp("home") / "runs")
    config = preset_config("mlp-small").with_changes(epochs=2, max_batches=5, device="cpu")
    run = store.create(config, name="export me", preset="mlp-small")
    final = Trainer(config, run).fit()
    assert type(final).__name__ == "Finished"
    return run


@needs_data
def test_export_writes_every_part_and_they_open(trained_run, tmp_path):
    import torch

    out = tmp_path / "out"
    written = export_run(trained_run, out)
    names = {p.relative_to(out).as_posix() for p in written}
    assert {"config.json", "run.json", "metrics.csv", "generator.pt",
            "samples/epoch-0001.png", "samples/epoch-0002.png"} <= names
    assert all(p.exists() for p in written)
    assert written.notes == [] and not (out / "export.txt").exists()

    assert json.loads((out / "config.json").read_text())["architecture"] == "mlp"
    assert json.loads((out / "run.json").read_text())["name"] == "export me"
    rows = list(csv.DictReader((out / "metrics.csv").open()))
    assert [int(r["epoch"]) for r in rows] == [1, 2]
    assert float(rows[-1]["g_loss"]) == pytest.approx(trained_run.metrics().epochs[-1]["g_loss"])

    weights = torch.load(out / "generator.pt", weights_only=True)
    from workbench.core.nets.models import build_generator

    generator = build_generator(trained_run.config())
    generator.load_state_dict(weights)  # the exported weights fit the run's architecture
    assert (out / "samples" / "epoch-0002.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_export_of_a_run_without_checkpoint_says_why(tmp_path):
    store = RunStore(tmp_path / "runs")
    run = store.create(preset_config("mlp-small"), name="fresh")
    written = export_run(run, tmp_path / "out")
    assert not (tmp_path / "out" / "generator.pt").exists()
    assert any("no generator weights" in n for n in written.notes)
    assert "no generator weights" in (tmp_path / "out" / "export.txt").read_text()
    assert (tmp_path / "out" / "metrics.csv").read_text().splitlines() == [
        "epoch,d_loss,g_loss,d_real,d_fake,images_per_sec,seconds,quality,precision,recall,density,coverage,"
        "class_balance,confidence"]


def test_export_of_a_damaged_run_keeps_what_is_there(tmp_path):
    store = RunStore(tmp_path / "runs")
    run = store.create(preset_config("mlp-small"), name="broken")
    run.append_metrics({"epoch": 1, "d_loss": 1.0, "g_loss": 2.0})
    with open(run.metrics_file, "a") as f:
        f.write('{"epoch": 2, "d_lo')  # a half-written line: the process was killed
    run.config_file.unlink()
    written = export_run(run, tmp_path / "out")
    names = {p.name for p in written}
    assert "config.json" not in names and "run.json" in names
    rows = list(csv.DictReader((tmp_path / "out" / "metrics.csv").open()))
    assert [r["epoch"] for r in rows] == ["1"]
    notes = (tmp_path / "out" / "export.txt").read_text()
    assert "config.json is missing" in notes and "half-written" in notes
