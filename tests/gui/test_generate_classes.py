"""A conditional run (condition: class) in the window: the Generate window's class picker (one
class, all classes with a row each, a morph between two) and the class names beside the rows
of its grids, in the Generate window and the Runs tab's details."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from helpers.browser_runs import mnist_available
from workbench.core.store.runs import RunStore

SETTLE_MS = 30_000


@pytest.fixture(scope="module")
def conditional_run(tmp_path_factory):
    """A tiny conditional mlp run on real MNIST, trained once."""
    if not mnist_available():
        pytest.skip("real MNIST not available: set WORKBENCH_DATA_DIR to a folder holding MNIST/raw")
    from workbench.core.presets import preset_config
    from workbench.core.training.trainer import Trainer

    root = tmp_path_factory.mktemp("conditional")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("WORKBENCH_HOME", str(root / "home"))
        config = preset_config("mlp-small").with_changes(condition="class", epochs=1, max_batches=3, device="cpu",
                                                         grid_size=16)
        run = RunStore(root / "runs").create(config, name="digits")
        final = Trainer(config, run).fit()
    assert type(final).__name__ == "Finished", final
    return run


@pytest.fixture
def window(qtbot, conditional_run):
    from workbench.gui.generate.window import GenerateWindow

    made = GenerateWindow(conditional_run)
    made.show()
    qtbot.waitUntil(made.is_idle, timeout=SETTLE_MS)
    yield made
    made.close()
    made.deleteLater()


def shown(qtbot, window, change) -> None:
    with qtbot.waitSignal(window.image_shown, timeout=SETTLE_MS):
        change()
    qtbot.waitUntil(window.is_idle, timeout=SETTLE_MS)


def test_the_class_picker_draws_one_class_every_class_and_a_morph(qtbot, window, conditional_run, tmp_path):
    from workbench.core.outputs.generation import LoadedGenerator, seed_latents
    from workbench.gui.generate.worker import MORPH_ROWS

    loaded = LoadedGenerator(conditional_run)
    picker = window.class_picker
    assert picker is not None and picker.which.count() == 10 + 2
    assert not picker.morph_from.isVisible()
    window.count.setValue(5)
    qtbot.waitUntil(window.is_idle, timeout=SETTLE_MS)
    latents = seed_latents(loaded.config, 5, 0)

    def drawn(label):
        return loaded.render(latents, torch.full((5,), label, dtype=torch.int64))

    assert np.allclose(window.images, drawn(0), atol=1e-6)  # class 0 until another is picked
    shown(qtbot, window, lambda: picker.pick_class(7))
    assert np.allclose(window.images, drawn(7), atol=1e-6) and not np.allclose(drawn(7), drawn(0), atol=1e-4)
    assert "class 7" in window.status.text()

    shown(qtbot, window, picker.pick_all)
    assert window.images.shape == (50, 28, 28) and window.nrow == 5
    assert np.allclose(window.images[35:40], drawn(7), atol=1e-6)  # row 7: the same points as a 7
    assert window.view.row_labels() == [str(c) for c in range(10)]
    window.ask_save_file = lambda kind: str(tmp_path / "all.npy")
    window.save("npy")
    assert np.load(tmp_path / "all.labels.npy").tolist() == [c for c in range(10) for _ in range(5)]

    shown(qtbot, window, lambda: picker.pick_morph(3, 8, steps=6))
    assert picker.morph_from.isVisible() and window.view.row_labels() == []
    rows = window.images.reshape(MORPH_ROWS, 6, 28, 28)
    ends = seed_latents(loaded.config, MORPH_ROWS, 0)
    for label, column in ((3, 0), (8, -1)):
        expected = loaded.render(ends, torch.full((MORPH_ROWS,), label, dtype=torch.int64))
        assert np.allclose(rows[:, column], expected, atol=1e-6)
    assert "from class 3 to 8" in window.status.text()
    window.grab().save(str(tmp_path / "generate-morph.png"))


def test_the_runs_details_name_the_class_of_every_grid_row(qtbot, conditional_run):
    from workbench.gui.plots.colours import RunPalette
    from workbench.gui.runs.details import RunDetails

    details = RunDetails(RunPalette())
    qtbot.addWidget(details)
    details.show_run(conditional_run)
    view = details.grid_view.image_view
    assert view.row_labels() == [str(c) for c in range(10)]
    labelled = view.target_rect()
    view.set_row_labels([])
    assert view.target_rect().x() < labelled.x()  # the labels take room at the left of the grid


def test_the_training_view_labels_the_rows_of_a_conditional_run_from_its_start(qtbot):
    from workbench.core.events import Started
    from workbench.gui.training.view import TrainingView

    view = TrainingView()
    qtbot.addWidget(view)
    labels = view.live_view.grid_view.image_view.row_labels
    view._on_started(Started("run", 3, 0, 10, "cpu", ("T-shirt/top", "Trouser")))
    assert labels() == ["T-shirt/top", "Trouser"]
    view._on_started(Started("next", 3, 0, 10, "cpu"))  # an unconditional run next: no labels
    assert labels() == []
