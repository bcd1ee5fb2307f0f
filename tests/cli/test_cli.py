"""The command line end to end on real MNIST (tiny runs), in process."""

import json

import numpy as np

from workbench.cli import build_parser, main
from workbench.core.config import field_specs
from workbench.core.store.runs import RunStore


def only_run():
    (summary,) = RunStore().summaries()
    return RunStore().get(summary.id)


def test_every_config_field_is_a_flag():
    train = build_parser()._subparsers._group_actions[0].choices["train"]
    flags = {opt for action in train._actions for opt in action.option_strings}
    for name in field_specs():
        assert "--" + name.replace("_", "-") in flags


def test_presets_lists_all(capsys):
    assert main(["presets"]) == 0
    out = capsys.readouterr().out
    for name in ("mlp-dropout", "mlp-small", "dcgan", "dcgan-small"):
        assert name in out


def test_invalid_flags_print_every_error_and_exit_2(capsys):
    code = main(["train", "--preset", "mlp-small", "--lr-g", "-1", "--image-range", "x", "--g-widths", "a"])
    err = capsys.readouterr().err
    assert code == 2
    assert "lr_g (--lr-g): '-1'" in err and "image_range (--image-range): 'x'" in err
    assert "g_widths (--g-widths): 'a'" in err
    assert "one of symmetric, unit" in err
    assert RunStore().summaries() == []


def test_unknown_preset_and_bad_config_file(tmp_path, capsys):
    assert main(["train", "--preset", "nope"]) == 2
    assert "mlp-small" in capsys.readouterr().err
    bad = tmp_path / "c.json"
    bad.write_text(json.dumps({"epochs": 2, "learnin_rate": 1}))
    assert main(["train", "--config", str(bad)]) == 2
    assert "learnin_rate" in capsys.readouterr().err


def test_train_show_runs_sample_export_resume_delete(data, tmp_path, capsys):
    assert main(["train", "--preset", "mlp-small", "--epochs", "2", "--max-batches", "15",
                 "--name", "cli run", "--seed", "3"]) == 0
    out = capsys.readouterr().out
    assert "   1/2" in out and "   2/2" in out and "Finished" in out
    run = only_run()
    assert run.config().seed == 3 and run.info()["preset"] == "mlp-small"

    assert main(["runs"]) == 0
    listing = capsys.readouterr().out
    assert "cli run" in listing and "finished" in listing and "2/2" in listing

    assert main(["show", "cli run"]) == 0
    shown = capsys.readouterr().out
    assert "lr_g: 0.0002" in shown and "\n    2  " in shown

    out_png = tmp_path / "s.png"
    assert main(["sample", run.id, "--count", "16", "--out", str(out_png), "--seed", "1"]) == 0
    from PIL import Image
    img = np.asarray(Image.open(out_png))
    assert img.shape == (4 * 28 + 5 * 2,) * 2 and img.std() > 0

    assert main(["resume", run.id]) == 2  # finished: needs --epochs
    assert "--epochs" in capsys.readouterr().err
    assert main(["resume", run.id, "--epochs", "3"]) == 0
    assert [m["epoch"] for m in run.metrics().epochs] == [1, 2, 3]
    assert run.config().epochs == 3

    export_dir = tmp_path / "export"
    assert main(["export", run.id, "--out", str(export_dir)]) == 0
    assert (export_dir / "metrics.csv").read_text().count("\n") >= 4
    assert any(export_dir.rglob("generator.pt"))

    assert main(["delete", run.id, "--yes"]) == 0
    assert RunStore().summaries() == []


def test_missing_run_is_a_message(capsys):
    assert main(["show", "nothing"]) == 1
    assert "No run 'nothing'" in capsys.readouterr().err


def test_missing_dataset_is_a_message_not_a_traceback(tmp_path, capsys):
    code = main(["train", "--preset", "mlp-small", "--data-dir", str(tmp_path / "none"), "--epochs", "1"])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err and "MNIST/raw" in err and RunStore().runs() == []


def test_ctrl_c_stops_after_the_batch_saves_and_marks_the_run_stopped(data):
    import os
    import signal
    import subprocess
    import sys
    import time

    child = subprocess.Popen(
        [sys.executable, "-m", "workbench", "train", "--preset", "mlp-small", "--epochs", "50",
         "--max-batches", "100", "--name", "interrupted"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=os.environ.copy())
    try:
        deadline = time.time() + 600  # the first epoch, on a machine however busy
        while time.time() < deadline:
            runs = RunStore().summaries()
            if runs and runs[0].epochs_done >= 1:
                break
            time.sleep(0.05)
        assert runs and runs[0].epochs_done >= 1, "the run never finished its first epoch"
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == 130, err
    assert "Stopped" in out and "resume" in out and "Traceback" not in err
    run = only_run()
    assert run.info()["status"] == "stopped" and run.summary().status == "stopped"
    assert run.latest_checkpoint.exists()
    assert 1 <= len(run.metrics().epochs) < 50


def test_settings_saves_the_default_data_folder(tmp_path, monkeypatch, capsys):
    from workbench.core import paths
    monkeypatch.delenv("WORKBENCH_DATA_DIR", raising=False)
    assert paths.data_dir() == paths.home_dir() / "data"
    assert main(["settings", "--data-dir", str(tmp_path / "datasets")]) == 0
    assert paths.data_dir() == tmp_path / "datasets"
    assert f"data folder in use: {tmp_path / 'datasets'}" in capsys.readouterr().out
    monkeypatch.setenv("WORKBENCH_DATA_DIR", str(tmp_path / "env"))
    assert paths.data_dir() == tmp_path / "env"  # the environment wins
    assert main(["settings", "--data-dir", ""]) == 0
    monkeypatch.delenv("WORKBENCH_DATA_DIR")
    assert paths.data_dir() == paths.home_dir() / "data"


def test_a_folder_dataset_takes_its_images_from_data_dir_as_the_issue_example_writes(tmp_path, capsys):
    from helpers.image_files import write_images

    write_images(tmp_path, 1, modes=("RGB",))
    args = ["train", "--preset", "folder-dcgan64", "--dataset", "folder", "--batch-size", "1", "--dry-run"]
    assert main(args + ["--data-dir", str(tmp_path)]) in (0, 1)  # 1 only when the disk is short
    out = capsys.readouterr().out
    assert f"image_folder: {tmp_path}" in out and "data_dir: \n" in out
    assert main(args + ["--data-dir", "x", "--image-folder", str(tmp_path)]) in (0, 1)
    out = capsys.readouterr().out
    assert f"image_folder: {tmp_path}" in out and "data_dir: x" in out  # both given: each keeps its meaning
