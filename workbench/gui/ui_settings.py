"""QSettings for UI state only (geometry, splitters, last form values); app settings that the
CLI shares live in `workbench.core.paths` instead.

Always the INI format. With `WORKBENCH_HOME` set the file is `<home>/ui-state.ini`, so a second
profile (or a test) never opens with another's window; without it, the platform's config folder
(user scope), as before.
"""

from __future__ import annotations

import os

from PySide6.QtCore import QSettings

from workbench.core.paths import HOME_ENV, home_dir

ORGANIZATION = "gan-workbench"
APPLICATION = "gan-workbench-ui"
HOME_FILE = "ui-state.ini"


def ui_settings() -> QSettings:
    if os.environ.get(HOME_ENV):
        return QSettings(str(home_dir() / HOME_FILE), QSettings.Format.IniFormat)
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, ORGANIZATION, APPLICATION)


def read_str(settings: QSettings, key: str, default: str = "") -> str:
    value = settings.value(key, default)
    return value if isinstance(value, str) else default


def read_float(settings: QSettings, key: str, default: float) -> float:
    try:
        return float(settings.value(key, default))
    except (TypeError, ValueError):
        return default
