"""Architecture rules: the core imports no Qt, and package import / --help import no torch."""

import subprocess
import sys
from pathlib import Path

import workbench

CORE = Path(workbench.__file__).parent / "core"


def loaded_after(code: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", code + "\nimport sys; print(' '.join(sys.modules))"],
                         capture_output=True, text=True, check=True).stdout
    return set(out.split())


def test_core_imports_no_qt():
    modules = sorted(f"workbench.core.{p.stem}" for p in CORE.glob("*.py") if p.stem != "__init__")
    assert "workbench.core.training" in modules
    loaded = loaded_after("\n".join(f"import {m}" for m in modules))
    assert not {m for m in loaded if m.split(".")[0] in ("PySide6", "pyqtgraph", "PyQt5", "PyQt6", "shiboken6")}


def test_core_sources_do_not_mention_qt_imports():
    for path in CORE.glob("*.py"):
        text = path.read_text()
        assert "import PySide6" not in text and "from PySide6" not in text, path
        assert "import pyqtgraph" not in text, path


def test_package_import_and_help_do_not_import_torch():
    assert "torch" not in loaded_after("import workbench")
    assert "torch" not in loaded_after(
        "import sys\nfrom workbench.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass")


def test_listing_runs_does_not_import_torch():
    loaded = loaded_after("from workbench.core.runs import RunStore\nRunStore().summaries()")
    assert "torch" not in loaded
