"""Before Qt loads on Linux: can Qt's X11 ("xcb") display plugin load its system libraries?

Qt prints "Could not load the Qt platform plugin "xcb" even though it was found" and aborts
the process (a core dump) when one of them is missing, which on a minimal Debian or a stock
Ubuntu desktop is the usual first experience. Loading each library by name first lets the app
name every missing one and the packages that provide it, then exit normally. No Qt here: this
module must run before PySide6 is imported.
"""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Callable, Mapping

EXIT_DISPLAY = 1

# What Qt 6's xcb plugin (libqxcb.so, libQt6XcbQpa.so.6) and QtGui need from the system, as
# (soname, Debian/Ubuntu package, Fedora package). A test checks this against the installed plugin.
LIBRARIES: tuple[tuple[str, str, str], ...] = (
    ("libxcb.so.1", "libxcb1", "libxcb"),
    ("libxcb-cursor.so.0", "libxcb-cursor0", "xcb-util-cursor"),
    ("libxcb-icccm.so.4", "libxcb-icccm4", "xcb-util-wm"),
    ("libxcb-image.so.0", "libxcb-image0", "xcb-util-image"),
    ("libxcb-keysyms.so.1", "libxcb-keysyms1", "xcb-util-keysyms"),
    ("libxcb-randr.so.0", "libxcb-randr0", "libxcb"),
    ("libxcb-render.so.0", "libxcb-render0", "libxcb"),
    ("libxcb-render-util.so.0", "libxcb-render-util0", "xcb-util-renderutil"),
    ("libxcb-shape.so.0", "libxcb-shape0", "libxcb"),
    ("libxcb-shm.so.0", "libxcb-shm0", "libxcb"),
    ("libxcb-sync.so.1", "libxcb-sync1", "libxcb"),
    ("libxcb-util.so.1", "libxcb-util1", "xcb-util"),
    ("libxcb-xfixes.so.0", "libxcb-xfixes0", "libxcb"),
    ("libxcb-xkb.so.1", "libxcb-xkb1", "libxcb"),
    ("libxkbcommon.so.0", "libxkbcommon0", "libxkbcommon"),
    ("libxkbcommon-x11.so.0", "libxkbcommon-x11-0", "libxkbcommon-x11"),
    ("libX11.so.6", "libx11-6", "libX11"),
    ("libX11-xcb.so.1", "libx11-xcb1", "libX11-xcb"),
    ("libGL.so.1", "libgl1", "libglvnd-glx"),
    ("libEGL.so.1", "libegl1", "libglvnd-egl"),
    ("libfontconfig.so.1", "libfontconfig1", "fontconfig"),
    ("libfreetype.so.6", "libfreetype6", "freetype"),
    ("libglib-2.0.so.0", "libglib2.0-0", "glib2"),
    ("libgthread-2.0.so.0", "libglib2.0-0", "glib2"),
    ("libdbus-1.so.3", "libdbus-1-3", "dbus-libs"),
)


def can_load(soname: str) -> bool:
    """The dynamic loader finds and loads the library (and what it needs) by its soname."""
    try:
        ctypes.CDLL(soname)
    except OSError:
        return False
    return True


def uses_xcb(env: Mapping[str, str], platform: str = sys.platform) -> bool:
    """Whether Qt will try its xcb plugin first, following Qt's own choice: QT_QPA_PLATFORM when
    set (its first entry), otherwise xcb unless the session is Wayland (then Qt tries its wayland
    plugin first, and a missing X11 library must not stop an app that would start)."""
    if not platform.startswith("linux"):
        return False
    chosen = env.get("QT_QPA_PLATFORM", "").strip()
    if chosen:
        return chosen.split(";")[0].split(":")[0].strip() == "xcb"
    return env.get("XDG_SESSION_TYPE", "").lower() != "wayland" and not env.get("WAYLAND_DISPLAY")


def missing_libraries(load: Callable[[str], bool] | None = None) -> list[tuple[str, str, str]]:
    load = load or can_load
    return [entry for entry in LIBRARIES if not load(entry[0])]


def problem_message(missing: list[tuple[str, str, str]]) -> str:
    names = ", ".join(soname for soname, _, _ in missing)
    debian = " ".join(dict.fromkeys(deb for _, deb, _ in missing))
    fedora = " ".join(dict.fromkeys(fed for _, _, fed in missing))
    return (f"GAN Workbench cannot open its window: Qt's X11 display plugin (xcb) needs system "
            f"libraries that are not installed: {names}.\n"
            f"  Debian/Ubuntu:  sudo apt-get install {debian}\n"
            f"  Fedora:         sudo dnf install {fedora}\n"
            f"The command line works without them (see `gan-workbench --help`).")


def display_problem(env: Mapping[str, str] | None = None, platform: str = sys.platform,
                    load: Callable[[str], bool] | None = None) -> str | None:
    """One message saying why the window cannot open, or None when nothing is known to be wrong."""
    env = os.environ if env is None else env
    if not uses_xcb(env, platform):
        return None
    missing = missing_libraries(load)
    if missing:
        return problem_message(missing)
    if not env.get("DISPLAY"):
        return ("GAN Workbench cannot open its window: no X display (DISPLAY is not set). Start it "
                "from a desktop session, or use the command line (see `gan-workbench --help`).")
    return None
