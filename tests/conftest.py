"""Shared fixtures: every test gets its own WORKBENCH_HOME and never downloads anything."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def isolated_home(tmp_path, monkeypatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("WORKBENCH_HOME", str(home))
    monkeypatch.setenv("WORKBENCH_OFFLINE", "1")
    return home


@pytest.fixture(scope="session")
def mnist_root() -> Path:
    """The real MNIST root (torchvision layout), from WORKBENCH_DATA_DIR; tests needing it skip
    when it is not set (CI sets it)."""
    root = os.environ.get("WORKBENCH_DATA_DIR")
    if not root or not (Path(root) / "MNIST" / "raw").is_dir():
        pytest.skip("real MNIST not available: set WORKBENCH_DATA_DIR to a folder holding MNIST/raw")
    return Path(root)


@pytest.fixture
def data(mnist_root, monkeypatch):
    """The real MNIST as the app's data folder (commands run in process or as subprocesses)."""
    monkeypatch.setenv("WORKBENCH_DATA_DIR", str(mnist_root))
    return mnist_root


@pytest.fixture
def fresh_scoring_memory():
    """Scoring models and resident training images forgotten before and after: each test trains
    and caches its own classifiers."""
    from workbench.core.data.placement import forget_resident
    from workbench.core.evaluation import registry

    registry.forget_memo()
    forget_resident()
    yield
    registry.forget_memo()
    forget_resident()


SMALL_TRAINING_SPLIT = 6000


@pytest.fixture
def small_training_split(monkeypatch):
    """Near-copies compare with the first 6,000 training images instead of all 60,000: the same
    code, a tenth of the one-off feature pass (seconds instead of a minute on two cores)."""
    from workbench.core.evaluation import neighbours

    monkeypatch.setattr(neighbours, "TRAINING_IMAGES", SMALL_TRAINING_SPLIT)
    return SMALL_TRAINING_SPLIT
