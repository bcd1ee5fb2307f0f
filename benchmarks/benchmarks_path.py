"""Imported first by benchmark scripts so they run from a checkout without installing."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def add_repo_root() -> None:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))


add_repo_root()
