"""A regular install from the built wheel starts: the wheel is built from a copy of the source,
installed by pip into a fresh virtual environment (no editable hook, no checkout on the path),
and the app opens offscreen to its first shown window with its icon.

The fresh environment borrows torch and PySide6 from the test's own environment through a path
file, without processing that environment's own path files, so the editable install of the
checkout stays invisible."""

from __future__ import annotations

import json
import os
import shutil
import site
import subprocess
import sys
import sysconfig
import venv
import zipfile
from importlib.metadata import version
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

CHILD = """
import json, sys
import workbench
from PySide6.QtWidgets import QApplication
from workbench.gui import app

def shown(window):
    print(json.dumps({"icon_null": QApplication.windowIcon().isNull(), "file": workbench.__file__,
                      "title": window.windowTitle()}), flush=True)
    QApplication.instance().quit()

sys.exit(app.main([], on_shown=shown))
"""


def build_wheel(out: Path, tmp: Path) -> Path:
    """From a copy of the sources, so the shared checkout gets no build/ or egg-info writes."""
    src = tmp / "src"
    shutil.copytree(ROOT / "workbench", src / "workbench", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    command = [sys.executable, "-m", "pip", "wheel", str(src), "--no-deps", "-w", str(out), "-q"]
    setuptools_version = tuple(int(x) for x in version("setuptools").split(".")[:2])
    if setuptools_version >= (70, 1):  # builds wheels by itself: no download of a build environment
        command.append("--no-build-isolation")
    subprocess.run(command, check=True, timeout=300, cwd=tmp)
    (wheel,) = out.glob("gan_workbench-*.whl")
    return wheel


def fresh_venv(path: Path) -> Path:
    venv.EnvBuilder(with_pip=False).create(path)
    python = path / "bin" / "python"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                             capture_output=True, text=True, check=True).stdout.strip()
    # the dependencies (torch, PySide6, ...) from this environment; its .pth files are not read
    deps = {sysconfig.get_path("purelib"), sysconfig.get_path("platlib"), *site.getsitepackages()}
    Path(purelib, "workbench-test-deps.pth").write_text("\n".join(sorted(deps)) + "\n", encoding="utf-8")
    return python


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the fresh environment's layout is the Linux one")
def test_the_wheel_installs_and_starts_with_its_icon(tmp_path):
    wheel = build_wheel(tmp_path / "dist", tmp_path)
    names = zipfile.ZipFile(wheel).namelist()
    for data in ("workbench/gui/icons/gan-workbench.png", "workbench/gui/icons/gan-workbench.svg",
                 "workbench/core/evaluation/mnist-classifier.pt", "workbench/core/evaluation/mnist-classifier.json",
                 "workbench/core/evaluation/mnist-marks.json"):
        assert data in names, data
    assert not [n for n in names if n.startswith(("tests/", "benchmarks/", "packaging/", "resources/"))]

    env_dir = tmp_path / "venv"
    python = fresh_venv(env_dir)
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index",
                    "-q", str(wheel)], check=True, timeout=300, cwd=tmp_path)

    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env.update(WORKBENCH_HOME=str(tmp_path / "home"), XDG_CONFIG_HOME=str(tmp_path / "config"),
               QT_QPA_PLATFORM="offscreen", WORKBENCH_OFFLINE="1")
    run = tmp_path / "run"
    run.mkdir()
    done = subprocess.run([str(python), "-c", CHILD], env=env, cwd=run, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    result = json.loads([line for line in done.stdout.splitlines() if line.startswith("{")][-1])
    assert Path(result["file"]).resolve().is_relative_to(env_dir.resolve()), result["file"]
    assert result["icon_null"] is False
    assert result["title"] == "GAN Workbench"

    # the console script pip wrote: a headless command, and the window as the bundle check opens it
    script = str(env_dir / "bin" / "gan-workbench")
    done = subprocess.run([script, "presets"], env=env, cwd=run, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "cpu-fast" in done.stdout, done.stderr
    done = subprocess.run([script], env={**env, "WORKBENCH_QUIT_WHEN_SHOWN": "1"}, cwd=run, capture_output=True,
                          text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    assert "window shown" in done.stdout and "window icon present" in done.stdout, done.stdout
