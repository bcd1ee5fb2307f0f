"""The install the README promises: one command for the CPU-only PyTorch build (the Makefile
passes PIP_EXTRA to pip), and a README short enough to read (reference details live in docs/)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CPU = "--index-url https://download.pytorch.org/whl/cpu --extra-index-url https://pypi.org/simple"


def test_make_passes_pip_extra_to_every_pip_install(tmp_path):
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    for target in ("run", "bundle"):
        plan = subprocess.run(["make", "-n", target, f"PIP_EXTRA={CPU}", f"VENV={tmp_path / 'venv'}"], cwd=ROOT,
                              capture_output=True, text=True, check=True).stdout
        installs = [line for line in plan.splitlines() if "pip install" in line and "--upgrade pip" not in line]
        assert installs and all(CPU in line for line in installs), plan


def test_the_readme_states_the_install_size_and_the_cpu_command_and_stays_short():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(text.splitlines()) < 250
    assert "GB" in text and f'PIP_EXTRA="{CPU}"' in text
