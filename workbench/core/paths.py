"""Where runs, data and settings live; bound once, overridable by environment variables.

`WORKBENCH_HOME` moves everything (runs, settings, default data folder);
`WORKBENCH_DATA_DIR` points at a folder holding the datasets (torchvision's layout).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

APP_NAME = "gan-workbench"
HOME_ENV = "WORKBENCH_HOME"
DATA_ENV = "WORKBENCH_DATA_DIR"
CACHE_ENV = "WORKBENCH_CACHE_DIR"


def home_dir() -> Path:
    """The app's own folder: `WORKBENCH_HOME`, else the platform's user data folder."""
    override = os.environ.get(HOME_ENV)
    if override:
        return Path(override).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def cache_dir() -> Path:
    """Derived files that can be made again (trained feature classifiers, feature statistics):
    `WORKBENCH_CACHE_DIR`, else `<home>/cache` when `WORKBENCH_HOME` moves the home, else the
    platform's user cache folder."""
    override = os.environ.get(CACHE_ENV)
    if override:
        return Path(override).expanduser()
    if os.environ.get(HOME_ENV):
        return home_dir() / "cache"
    import platformdirs

    return Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False))


def runs_dir() -> Path:
    return home_dir() / "runs"


def settings_file() -> Path:
    return home_dir() / "settings.json"


def load_settings() -> dict:
    """App settings shared by the CLI and the GUI (not UI state); missing or bad file → {}."""
    try:
        data = json.loads(settings_file().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def save_setting(key: str, value) -> None:
    from workbench.core.atomic import write_json

    settings = load_settings()
    if value in (None, ""):
        settings.pop(key, None)
    else:
        settings[key] = value
    write_json(settings_file(), settings)


def data_dir(explicit: str | os.PathLike | None = None) -> Path:
    """The dataset root: an explicit folder, else `WORKBENCH_DATA_DIR`, else the saved
    `data_dir` setting, else `<home>/data`."""
    for candidate in (explicit, os.environ.get(DATA_ENV), load_settings().get("data_dir")):
        if candidate:
            return Path(candidate).expanduser()
    return home_dir() / "data"
