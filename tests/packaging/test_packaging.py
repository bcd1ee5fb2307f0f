"""The PyInstaller spec parses and points at files that exist; the desktop entry is valid."""

from __future__ import annotations

import ast
import configparser
import os
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "packaging" / "gan-workbench.spec"
DESKTOP = ROOT / "packaging" / "gan-workbench.desktop"
ICONS = ROOT / "workbench" / "gui" / "icons"


def spec_constants() -> dict[str, object]:
    tree = ast.parse(SPEC.read_text(encoding="utf-8"), filename=str(SPEC))
    out = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            try:
                out[node.targets[0].id] = ast.literal_eval(node.value)
            except ValueError:
                pass
    return out


def test_spec_is_python_and_references_existing_files():
    compile(SPEC.read_text(encoding="utf-8"), str(SPEC), "exec")
    constants = spec_constants()
    for key in ("ENTRY", "ICON_PNG", "ICON_SVG", "DESKTOP_FILE", "CLASSIFIER", "MARKS"):
        assert (ROOT / constants[key]).is_file(), (key, constants[key])
    excluded = set(constants["QT_EXCLUDES"])
    for module in ("PySide6.QtWebEngineCore", "PySide6.Qt3DCore", "PySide6.QtMultimedia", "PySide6.QtQuick",
                   "PySide6.QtQml"):
        assert module in excluded
    # none of the excluded Qt modules is used by the app
    sources = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "workbench").rglob("*.py"))
    for module in excluded:
        assert module not in sources and f"import {module.split('.')[1]}" not in sources, module
    text = SPEC.read_text(encoding="utf-8")
    assert "ENTRY" in text and "root(ICON_PNG)" in text and 'collect_data_files("workbench")' in text
    assert constants["ICON_PNG"].startswith("workbench/")  # package data, so the bundle has it where the app looks
    assert "tensorboard" in constants["OTHER_EXCLUDES"] and "pytest" in constants["OTHER_EXCLUDES"]


def test_entry_script_opens_the_cli():
    tree = ast.parse((ROOT / "packaging" / "launch_gui.py").read_text(encoding="utf-8"))
    imports = [n for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    assert any(n.module == "workbench.cli" and n.names[0].name == "main" for n in imports)


def test_icons_exist_and_are_a_256px_png_and_an_svg():
    png = (ICONS / "gan-workbench.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert (width, height) == (256, 256)
    svg = (ICONS / "gan-workbench.svg").read_text(encoding="utf-8")
    import xml.etree.ElementTree as ET

    assert ET.fromstring(svg).tag.endswith("svg")


def test_desktop_file_is_valid():
    if shutil.which("desktop-file-validate"):
        result = subprocess.run(["desktop-file-validate", str(DESKTOP)], capture_output=True, text=True)
        assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # keys are case-sensitive
    parser.read(DESKTOP, encoding="utf-8")
    assert parser.sections() == ["Desktop Entry"]
    entry = parser["Desktop Entry"]
    for key in ("Type", "Name", "Exec", "Icon"):
        assert entry.get(key), key
    assert entry["Type"] == "Application"
    assert entry["Exec"].split()[0] == "gan-workbench"
    assert (ICONS / f"{entry['Icon']}.png").is_file()
    assert entry["Categories"].endswith(";") and entry.get("Terminal") in ("true", "false")


def test_readme_gives_the_build_command():
    text = (ROOT / "packaging" / "README.md").read_text(encoding="utf-8")
    assert "packaging/build.sh" in text and "pyinstaller packaging/gan-workbench.spec" in text
    assert "workbench/gui/icons/gan-workbench.svg" in text  # the desktop-entry icon path is true
    assert (ROOT / "workbench" / "gui" / "icons" / "gan-workbench.svg").is_file()


def test_build_script_parses_and_checks_the_bundle():
    script = ROOT / "packaging" / "build.sh"
    assert os.access(script, os.X_OK)
    if shutil.which("bash"):
        subprocess.run(["bash", "-n", str(script)], check=True)
    text = script.read_text(encoding="utf-8")
    assert "packaging/gan-workbench.spec" in text
    for check in ('"$APP" --version', '"$APP" presets', "WORKBENCH_QUIT_WHEN_SHOWN=1", "icon present"):
        assert check in text, check


def test_the_package_finds_its_files_through_the_package_not_the_source_tree():
    """A wheel or a bundle has no repository around the package: nothing may climb out of it."""
    for path in (ROOT / "workbench").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "parents[" not in text and '"resources"' not in text, path
