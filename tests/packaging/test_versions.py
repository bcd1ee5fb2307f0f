"""`gan-workbench --version`: the app, torch, torchvision, PySide6 and the device, with torch
imported only when asked."""

from __future__ import annotations

import subprocess
import sys
from types import SimpleNamespace

import pytest
import torch
import torchvision

import workbench
from workbench import cli, versions


def test_version_prints_every_library_and_the_device(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["--version"])
    assert exit_info.value.code == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"gan-workbench {workbench.__version__}"
    assert f"torch {torch.__version__}" in lines
    assert f"torchvision {torchvision.__version__}" in lines
    pyside = next(line for line in lines if line.startswith("PySide6 "))
    import PySide6

    assert pyside.startswith(f"PySide6 {PySide6.__version__} (Qt 6.")
    device = next(line for line in lines if line.startswith("device "))
    assert device.split()[1] == ("cuda" if torch.cuda.is_available() else "mps" if torch.backends.mps.is_available()
                                 else "cpu")


def fake_torch(cuda_names=(), mps=False, cuda_version="12.4"):
    return SimpleNamespace(
        cuda=SimpleNamespace(is_available=lambda: bool(cuda_names), device_count=lambda: len(cuda_names),
                             get_device_name=lambda i: cuda_names[i]),
        version=SimpleNamespace(cuda=cuda_version),
        backends=SimpleNamespace(mps=SimpleNamespace(is_available=lambda: mps)))


def test_the_device_line_names_the_gpus():
    assert versions.describe_device(fake_torch(["NVIDIA A100", "NVIDIA A100"])) == \
        "cuda (CUDA 12.4): NVIDIA A100, NVIDIA A100"
    assert versions.describe_device(fake_torch(["AMD Instinct MI300X"], cuda_version=None)) == \
        "cuda (ROCm): AMD Instinct MI300X"
    assert versions.describe_device(fake_torch(mps=True)).startswith("mps")
    assert versions.describe_device(fake_torch()).startswith("cpu")


def test_a_missing_or_broken_library_is_reported_not_raised(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "torchvision", None)
    assert versions._module_version("torchvision").startswith("not available")
    # what a bundle without torchvision's operator library did: the import itself raises
    (tmp_path / "broken_for_version_test.py").write_text("raise RuntimeError('operator x::nms does not exist')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert versions._module_version("broken_for_version_test") == \
        "not available (RuntimeError: operator x::nms does not exist)"


def test_only_version_imports_torch():
    code = ("import sys\nfrom workbench.cli import main\n"
            "try:\n    main(['{arg}'])\nexcept SystemExit:\n    pass\nprint('torch' in sys.modules)")
    for arg, loaded in (("--help", "False"), ("--version", "True")):
        done = subprocess.run([sys.executable, "-c", code.format(arg=arg)], capture_output=True, text=True,
                              timeout=120, check=True)
        assert done.stdout.strip().splitlines()[-1] == loaded, arg
