"""What the Sweeps tab says about a planned sweep, in the words of what the user sees there: the
Base, and the Field and Values columns. The core words its problems for the command line
(`--set FIELD=V1,V2`); those messages stay the CLI's.

A plan is rows of (field name, values text), as the table holds them.
"""

from __future__ import annotations

from workbench.core.config import FieldError
from workbench.core.sweeps.grid import MAX_RUNS
from workbench.gui.formatting import field_problem

EMPTY_PLAN = ("Add a field, then type the values it should take in the Values column, separated by commas "
              "(e.g. 64, 128, 256). Every combination of the values is one run.")
LIST_VALUES = "e.g. 64, 32; 128, 64 (a ; between the lists)"
VALUES = "e.g. 64, 128, 256"


def _names(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def plan_hint(rows: list[tuple[str, str]], has_axes: bool = False) -> str:
    """What the plan still lacks before it can be checked, as a hint (not an error); "" when
    nothing is missing. `has_axes`: the base (a built-in study) brings fields of its own."""
    if not rows and not has_axes:
        return EMPTY_PLAN
    empty = [name for name, values in rows if not values.strip()]
    if empty:
        return f"Type the values of {_names(empty)} in the Values column, separated by commas."
    return ""


def row_problems(rows: list[tuple[str, str]]) -> list[str]:
    """Problems of the table itself: a field chosen in more than one row."""
    names = [name for name, _values in rows]
    return [f"Field {name} is chosen in {names.count(name)} rows: choose it in one row and list all its values "
            f"there." for name in dict.fromkeys(names) if names.count(name) > 1]


def too_many_runs(count: int) -> str:
    return f"These values make {count} runs; a sweep has at most {MAX_RUNS}. Remove some values."


def problem_text(error: FieldError, fields: set[str]) -> str:
    """One of the core's problems with the plan, naming the row it is about."""
    if error.field in fields:
        return f"Values of {error.field}: {field_problem(error)}"
    if error.field.startswith("-") and str(error.value).endswith(" runs"):  # the grid's size
        return too_many_runs(int(str(error.value).split()[0]))
    if error.field.startswith("-"):  # about the grid as a whole, worded for the command line
        return "Check the Field and Values columns: every field needs at least one value."
    return f"{error.field}, from the base, with these values: {field_problem(error)}"


def values_placeholder(kind: str) -> str:
    """The Values cell's example for a field of this kind (lists of numbers take ; between them)."""
    return LIST_VALUES if kind == "int_list" else VALUES
