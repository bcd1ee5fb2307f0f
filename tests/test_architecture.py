"""Architecture rules: the core imports no Qt (every module, recursively), the import-linter
contracts hold and would catch a wrong import, no package is a loose heap, and importing the
package or asking for --help stays free of torch."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import workbench

PACKAGE = Path(workbench.__file__).parent
CORE = PACKAGE / "core"
PROJECT = PACKAGE.parent
QT = ("PySide6", "pyqtgraph", "PyQt5", "PyQt6", "shiboken6")
MAX_LINES = 450
MAX_LOOSE_CORE_MODULES = 8


def loaded_after(code: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", code + "\nimport sys; print(' '.join(sys.modules))"],
                         capture_output=True, text=True, check=True).stdout
    return set(out.split())


def core_modules() -> list[str]:
    return sorted(".".join(p.relative_to(PACKAGE.parent).with_suffix("").parts).removesuffix(".__init__")
                  for p in CORE.rglob("*.py"))


def test_every_core_module_imports_without_qt():
    modules = core_modules()
    assert {"workbench.core.training.trainer", "workbench.core.sweeps.study_worker",
            "workbench.core.evaluation.registry"} <= set(modules)
    loaded = loaded_after("\n".join(f"import {m}" for m in modules))
    assert not {m for m in loaded if m.split(".")[0] in QT}


def test_no_core_source_mentions_a_qt_import():
    for path in CORE.rglob("*.py"):
        text = path.read_text()
        for name in QT:
            assert f"import {name}" not in text and f"from {name}" not in text, path


def test_modules_stay_small_and_the_core_top_level_holds_only_what_everything_uses():
    long = {str(p.relative_to(PACKAGE)): n for p in PACKAGE.rglob("*.py")
            if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert not long
    loose = [p.stem for p in CORE.glob("*.py") if p.stem != "__init__"]
    assert len(loose) <= MAX_LOOSE_CORE_MODULES, loose


def lint_imports(root: Path, *contracts: str) -> subprocess.CompletedProcess:
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    if exe is None:
        pytest.skip("lint-imports is not installed (the test extra has it)")
    flags = [a for c in contracts for a in ("--contract", c)]
    return subprocess.run([exe, "--no-cache", *flags], cwd=root, capture_output=True, text=True,
                          env={"PYTHONPATH": str(root), "PATH": str(Path(sys.executable).parent)})


def test_the_layer_contracts_hold():
    result = lint_imports(PROJECT)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(("module", "wrong_import", "contract"), [
    ("core/store/runs.py", "from workbench.core.training import trainer", "core-layers"),
    ("core/data/datasets.py", "from workbench.core.outputs import export", "core-layers"),
    ("core/nets/models.py", "import PySide6", "core-no-qt"),
    ("core/sweeps/grid.py", "from workbench.gui import formatting", "core-no-qt"),
    ("gui/layout.py", "from workbench.cli import common", "front-ends"),
    ("gui/formatting.py", "from workbench.gui.runs import table_model", "no-cycles"),
])
def test_a_wrong_import_breaks_its_contract(tmp_path, module, wrong_import, contract):
    """A temporary copy of the package with one import the layers forbid: lint-imports fails and
    names the contract."""
    copy = tmp_path / "project"
    shutil.copytree(PACKAGE, copy / "workbench", ignore=shutil.ignore_patterns("__pycache__", "*.pt"))
    shutil.copy(PROJECT / "pyproject.toml", copy / "pyproject.toml")
    target = copy / "workbench" / module
    assert lint_imports(copy, contract).returncode == 0  # the others may break too; this one alone
    target.write_text(target.read_text() + f"\n{wrong_import}  # deliberately wrong\n")
    result = lint_imports(copy, contract)
    assert result.returncode != 0 and "BROKEN" in result.stdout, result.stdout


def test_package_import_and_help_do_not_import_torch():
    assert "torch" not in loaded_after("import workbench")
    assert "torch" not in loaded_after(
        "import sys\nfrom workbench.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass")


def test_listing_runs_does_not_import_torch():
    loaded = loaded_after("from workbench.core.store.runs import RunStore\nRunStore().summaries()")
    assert "torch" not in loaded
