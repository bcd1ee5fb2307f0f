"""Paths the user gives: every command that writes to a chosen path (and the app's home)
reports a missing parent, a file in the way, a read-only place or a full disk as one message
naming the path and the reason, exit status 1, no traceback. And `check` / `check --repair`."""

import errno
import json
import os
import shutil

import pytest

import workbench.core.atomic as atomic
from workbench.cli import main
from workbench.core.store.runs import RunStore


@pytest.fixture
def trained(mnist_root, monkeypatch, capsys):
    monkeypatch.setenv("WORKBENCH_DATA_DIR", str(mnist_root))
    assert main(["train", "--preset", "mlp-small", "--epochs", "2", "--max-batches", "3", "--name", "p",
                 "--keep-checkpoint-every", "1"]) == 0
    capsys.readouterr()
    return RunStore().get("p")


@pytest.fixture
def a_file(tmp_path):
    path = tmp_path / "afile"
    path.write_text("in the way")
    return path


def run_cli(capsys, *args):
    code = main(list(args))
    out = capsys.readouterr()
    assert "Traceback" not in out.err
    return code, out.err.strip()


def special_folder():
    """A folder that takes no new files: /proc on Linux; skipped elsewhere."""
    if not os.path.isdir("/proc/self"):
        pytest.skip("no /proc on this system")
    return "/proc"


def test_sample_into_a_folder_that_takes_no_files(trained, capsys):
    target = os.path.join(special_folder(), "x.png")
    code, err = run_cli(capsys, "sample", "p", "--out", target)
    assert code == 1 and err == f"Cannot write {target}: no new files or folders can be made in /proc."


def test_sample_where_a_file_is_in_the_way(trained, capsys, a_file):
    code, err = run_cli(capsys, "sample", "p", "--out", str(a_file / "x.png"))
    assert code == 1 and err == f"Cannot write {a_file / 'x.png'}: {a_file} is a file, where a folder should be."


def test_export_onto_a_file(trained, capsys, a_file):
    code, err = run_cli(capsys, "export", "p", "--out", str(a_file))
    assert code == 1 and err == f"Cannot write {a_file}: a file is in the way: {a_file} exists and is not a folder."


def test_export_into_a_folder_that_takes_no_files(trained, capsys):
    target = os.path.join(special_folder(), "nope")
    code, err = run_cli(capsys, "export", "p", "--out", target)
    assert code == 1 and err.startswith(f"Cannot write {target}:")


def test_sample_into_a_read_only_place(trained, capsys, tmp_path, monkeypatch):
    def refuse(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(atomic, "_new_temporary", refuse)
    target = tmp_path / "ro" / "x.png"
    code, err = run_cli(capsys, "sample", "p", "--out", str(target))
    assert code == 1 and err == f"Cannot write {target}: you do not have permission to write in {target.parent}."


def test_sample_onto_a_full_disk(trained, capsys, tmp_path, monkeypatch):
    real_fdopen = atomic.os.fdopen

    class FullFile:
        def __init__(self, f):
            self.f = f

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.f.close()

        def write(self, data):
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic.os, "fdopen", lambda fd, mode: FullFile(real_fdopen(fd, mode)))
    target = tmp_path / "x.png"
    code, err = run_cli(capsys, "sample", "p", "--out", str(target))
    assert code == 1 and err.startswith(f"No space left on the disk for x.png in {tmp_path}: the write needed")
    assert "is free" in err and not list(tmp_path.glob(".x.png*"))  # no temporary file left behind


@pytest.mark.parametrize("home", ["file", "proc"])
def test_train_with_a_home_that_cannot_be_created(capsys, a_file, monkeypatch, home):
    place = a_file / "home" if home == "file" else os.path.join(special_folder(), "home")
    monkeypatch.setenv("WORKBENCH_HOME", str(place))
    code, err = run_cli(capsys, "train", "--preset", "mlp-small", "--epochs", "1")
    assert code == 1 and err.startswith("Cannot write ") and str(place) in err
    if home == "file":
        assert err.endswith(f"{a_file} is a file, where a folder should be.")
    else:  # a folder that exists, where the system makes nothing new
        assert err == f"Cannot write {place}: no new files or folders can be made in {os.path.dirname(place)}."


def test_settings_warns_about_a_data_folder_that_does_not_exist_and_saves_it(capsys, tmp_path):
    missing = tmp_path / "not-yet"
    code = main(["settings", "--data-dir", str(missing)])
    out = capsys.readouterr()
    assert code == 0 and f"Warning: {missing} does not exist yet" in out.err
    assert f"saved data folder: {missing}" in out.out


def test_check_finds_and_repairs_what_the_checkpoint_does_not_cover(trained, capsys):
    run = trained
    assert main(["check", "p"]) == 0 and "ok (2 epochs)" in capsys.readouterr().out
    text = run.metrics_file.read_text()
    first = text.splitlines()[0]
    run.metrics_file.write_text(text + first + "\n" + first.replace('"epoch": 1', '"epoch": 3') + "\n")
    shutil.copy(run.sample_file(2), run.sample_file(3))
    code = main(["check"])
    out = capsys.readouterr().out
    assert code == 1 and "repeats 1 epoch line" in out and "epochs [3] beyond the checkpoint's epoch 2" in out
    assert "sample grids of epochs [3]" in out and "--repair" in out
    code = main(["check", "p", "--repair"])
    out = capsys.readouterr().out
    assert code == 0 and "repaired: removed metrics of epochs 3" in out and "repaired: removed sample grids" in out
    assert [json.loads(line)["epoch"] for line in run.metrics_file.read_text().splitlines()] == [1, 2]
    assert main(["check", "p"]) == 0


def test_check_reports_what_it_cannot_fix(trained, capsys):
    run = trained
    run.metrics_file.write_text(run.metrics_file.read_text().splitlines()[1] + "\n")  # epoch 1 lost
    run.latest_checkpoint.write_bytes(b"not a checkpoint")
    code = main(["check", "p", "--repair"])
    out = capsys.readouterr().out
    assert code == 1 and "Refused to load latest.pt" in out
