"""Starts on a fresh Linux desktop, or says why: a missing X11 library is one clear message and
a non-zero exit, before Qt can abort the process."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from workbench import cli
from workbench.gui import display_check

MISSING = {"libxcb-icccm.so.4", "libxcb-keysyms.so.1", "libxcb-cursor.so.0"}


@pytest.mark.parametrize("env, expected", [
    ({"DISPLAY": ":0"}, True),
    ({}, True),  # Qt's default on Linux; without DISPLAY the check says so
    ({"QT_QPA_PLATFORM": "xcb", "WAYLAND_DISPLAY": "wayland-0"}, True),
    ({"QT_QPA_PLATFORM": "xcb:nograb;offscreen"}, True),
    ({"QT_QPA_PLATFORM": "offscreen", "DISPLAY": ":0"}, False),
    ({"QT_QPA_PLATFORM": "wayland;xcb", "DISPLAY": ":0"}, False),
    ({"DISPLAY": ":0", "WAYLAND_DISPLAY": "wayland-0"}, False),  # Qt tries its wayland plugin first
    ({"DISPLAY": ":0", "XDG_SESSION_TYPE": "wayland"}, False),
    ({"DISPLAY": ":0", "XDG_SESSION_TYPE": "x11"}, True),
])
def test_the_check_runs_only_when_qt_will_use_xcb(env, expected):
    assert display_check.uses_xcb(env, "linux") is expected
    assert display_check.uses_xcb(env, "darwin") is False and display_check.uses_xcb(env, "win32") is False


def test_a_missing_library_is_one_message_and_a_failing_exit(monkeypatch, capsys):
    asked = []

    def fake_load(soname):
        asked.append(soname)
        return soname not in MISSING

    monkeypatch.setattr(display_check, "can_load", fake_load)
    for name in ("WAYLAND_DISPLAY", "XDG_SESSION_TYPE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("QT_QPA_PLATFORM", "xcb")
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.setitem(sys.modules, "PySide6.QtWidgets", None)  # reaching Qt fails the test, never aborts it
    assert cli.main([]) == display_check.EXIT_DISPLAY != 0
    out = capsys.readouterr()
    assert out.out == ""
    message = out.err
    assert set(asked) == {soname for soname, _, _ in display_check.LIBRARIES}
    assert message.count("cannot open its window") == 1
    for soname in MISSING:
        assert soname in message
    debian = next(line for line in message.splitlines() if "Debian/Ubuntu" in line)
    fedora = next(line for line in message.splitlines() if "Fedora" in line)
    assert debian.split("apt-get install ")[1].split() == ["libxcb-cursor0", "libxcb-icccm4", "libxcb-keysyms1"]
    assert fedora.split("dnf install ")[1].split() == ["xcb-util-cursor", "xcb-util-wm", "xcb-util-keysyms"]
    assert "libxcb-randr" not in message  # only what is missing


def test_nothing_missing_but_no_display_says_so(monkeypatch):
    env = {"QT_QPA_PLATFORM": "xcb"}
    message = display_check.display_problem(env, "linux", load=lambda soname: True)
    assert "DISPLAY is not set" in message
    assert display_check.display_problem({**env, "DISPLAY": ":1"}, "linux", load=lambda soname: True) is None
    # offscreen (tests, the bundle check) never asks the loader
    assert display_check.display_problem({"QT_QPA_PLATFORM": "offscreen"}, "linux", load=lambda s: 1 / 0) is None


def test_a_subprocess_exits_cleanly_with_the_message_instead_of_a_core_dump(tmp_path):
    child = ("import sys\nfrom workbench.gui import display_check\n"
             "display_check.can_load = lambda soname: soname != 'libxcb-icccm.so.4'\n"
             "from workbench.cli import main\nsys.exit(main([]))\n")
    env = {"PATH": "/usr/bin:/bin", "QT_QPA_PLATFORM": "xcb", "DISPLAY": ":0", "WORKBENCH_HOME": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", child], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == display_check.EXIT_DISPLAY, done.stderr
    assert "libxcb-icccm.so.4" in done.stderr and "libxcb-icccm4" in done.stderr and "xcb-util-wm" in done.stderr
    assert "Qt platform plugin" not in done.stderr  # Qt never got to try


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the dynamic loader of Linux")
def test_the_real_loader_tells_present_from_missing():
    assert display_check.can_load("libc.so.6")
    assert not display_check.can_load("libworkbench-no-such-library.so.0")


RUNTIME = ("libc.so", "libm.so", "libstdc++.so", "libgcc_s.so", "ld-linux", "libpthread.so", "libdl.so",
           "librt.so", "libz.so", "libzstd.so", "libicu", "libQt6")


def needed(path: Path) -> set[str]:
    out = subprocess.run(["readelf", "-d", str(path)], capture_output=True, text=True, check=True).stdout
    return {line.split("[")[1].rstrip("]").strip() for line in out.splitlines() if "(NEEDED)" in line}


@pytest.mark.skipif(not sys.platform.startswith("linux") or not shutil.which("readelf"),
                    reason="reads the installed Qt's ELF files")
def test_the_table_covers_what_the_installed_xcb_plugin_needs():
    import PySide6

    qt = Path(PySide6.__file__).parent / "Qt"
    files = [qt / "plugins" / "platforms" / "libqxcb.so", *sorted((qt / "lib").glob("libQt6XcbQpa.so*"))[:1],
             qt / "lib" / "libQt6Gui.so.6", qt / "lib" / "libQt6Core.so.6"]
    system = set().union(*(needed(f) for f in files if f.exists()))
    system = {name for name in system if not name.startswith(RUNTIME)}
    assert "libxcb-icccm.so.4" in system  # read the plugin for real
    assert system <= {soname for soname, _, _ in display_check.LIBRARIES}, \
        system - {soname for soname, _, _ in display_check.LIBRARIES}


def test_the_check_imports_no_qt():
    code = "import sys\nimport workbench.gui.display_check\nprint(any(m.startswith('PySide6') for m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert done.stdout.strip() == "False"


def test_the_readme_requirements_name_packages_the_check_knows():
    text = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    requirements = " ".join(text.split("**Requirements.**")[1].split("\n\n")[0].split())
    debian = requirements.split("apt-get install ")[1].split("`")[0].split()
    fedora = requirements.split("dnf install ")[1].split("`")[0].split()
    assert "libxcb-cursor0" in debian and "libxcb-icccm4" in debian and "libxcb-keysyms1" in debian
    assert set(debian) <= {deb for _, deb, _ in display_check.LIBRARIES}
    assert set(fedora) <= {fed for _, _, fed in display_check.LIBRARIES}
