"""QSettings for UI state only (geometry, splitters, last form values); app settings that the
CLI shares live in `workbench.core.paths` instead.

Always the INI format in the user scope, so tests can redirect it with `QSettings.setPath`.
"""

from __future__ import annotations

from PySide6.QtCore import QSettings

ORGANIZATION = "gan-workbench"
APPLICATION = "gan-workbench-ui"


def ui_settings() -> QSettings:
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, ORGANIZATION, APPLICATION)


def read_str(settings: QSettings, key: str, default: str = "") -> str:
    value = settings.value(key, default)
    return value if isinstance(value, str) else default


def read_float(settings: QSettings, key: str, default: float) -> float:
    try:
        return float(settings.value(key, default))
    except (TypeError, ValueError):
        return default
