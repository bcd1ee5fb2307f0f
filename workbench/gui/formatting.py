"""How run values read in the GUI: durations, losses, dates, escaped text, a field's bad value.

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


def field_problem(error) -> str:
    """A config FieldError as the window says it: "“abc” is not allowed: expected a number …"
    (the field itself is named by whoever shows it: beside its editor, in its table row)."""
    value = error.value if not isinstance(error.value, str) else error.value.strip()
    shown = f"“{value}”" if isinstance(value, str) else repr(value)
    if isinstance(value, list):
        shown = ", ".join(str(v) for v in value)
    return f"{shown or 'empty'} is not allowed: expected {error.allowed}"
