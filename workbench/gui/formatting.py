"""How run values read in the GUI: durations, losses, dates, escaped text.

Plain functions (no widgets), shared by the Runs tab and the compare view so a run's numbers
read the same wherever it is shown.
"""

from __future__ import annotations


def format_duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    seconds = float(seconds)
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(round(seconds)), 60)
    if minutes < 60:
        return f"{minutes}m {secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m"


def format_loss(value) -> str:
    return f"{value:.4f}" if isinstance(value, (int, float)) else ""


def format_created(text: str) -> str:
    return text[:16].replace("T", " ") if text else ""


def escape_html(text: str) -> str:
    """Names, notes and paths are the user's text; rich-text labels must not read them as markup."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
