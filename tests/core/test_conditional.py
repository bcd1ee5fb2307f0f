"""Class-conditional runs (`condition: class`): the config field, the data's labels (built-in
and a folder of class subfolders), the conditional networks of every family, and training:
exact resume and the class-per-row grid."""

import numpy as np
import pytest
import torch

from tests.helpers.image_files import write_class_folders, write_images
from workbench.cli import main
from workbench.core.config import ConfigError, TrainConfig
from workbench.core.data.classes import BUILT_IN_CLASSES
from workbench.core.data.training_data import data_problem, training_images, training_labels
from workbench.core.events import EpochEnded, Finished
from workbench.core.nets.models import build_discriminator, build_generator, parameter_count
from workbench.core.nets.sampling import GRID_GAP
from workbench.core.presets import preset_config
from workbench.core.store.checkpoints import load_checkpoint
from workbench.core.store.runs import RunStore
from workbench.core.training.trainer import Trainer


def test_old_configs_load_unconditional_and_bad_values_name_the_choices():
    old = preset_config("cpu-fast").to_dict()
    del old["condition"]
    assert TrainConfig.from_dict(old).condition == "none"
    with pytest.raises(ConfigError, match="condition: 'label' is not allowed; expected one of none, class"):
        TrainConfig.from_dict(old | {"condition": "label"})


def folder_config(folder, **changes):
    return preset_config("folder-dcgan64").with_changes(
        image_folder=str(folder), image_size=32, g_widths=[16, 8, 8], d_widths=[8, 8, 16], batch_size=4,
        epochs=2, max_batches=3, **({"condition": "class"} | changes))


def test_a_folder_without_class_subfolders_is_refused_with_how_to_lay_it_out(tmp_path, capsys):
    write_images(tmp_path / "flat", 12)  # half at the top, half in one subfolder
    problem = data_problem(folder_config(tmp_path / "flat"))
    assert "one subfolder per class" in problem and "cats/001.png" in problem and "condition to none" in problem
    assert data_problem(folder_config(tmp_path / "flat", condition="none")) is None
    args = ["train", "--preset", "folder-dcgan64", "--image-folder", str(tmp_path / "flat"), "--condition", "class",
            "--batch-size", "4", "--image-size", "32"]
    assert main(args) == 2
    assert "one subfolder per class" in capsys.readouterr().err
    assert RunStore().runs() == []  # refused before a run was made


def test_a_class_folder_gives_labels_in_the_images_order(tmp_path):
    names = write_class_folders(tmp_path / "classes", classes=3, per_class=5, names=["zebra", "ant", "mole"])
    (tmp_path / "classes" / "mole" / "broken.png").write_bytes(b"not an image")  # skipped, label too
    config = folder_config(tmp_path / "classes")
    assert data_problem(config) is None
    images = training_images(config, torch.device("cpu"))
    labels, classes = training_labels(config, torch.device("cpu"))
    assert classes == sorted(names) == ["ant", "mole", "zebra"]
    assert images.shape[0] == labels.shape[0] == 15
    assert labels.tolist() == [0] * 5 + [1] * 5 + [2] * 5
    # each class's stripes (written by class_pattern in its own channel) are where its label says
    brightest = images.float().mean((2, 3)).argmax(1)
    assert torch.equal(brightest, torch.tensor([1] * 5 + [2] * 5 + [0] * 5))  # ant 1, mole 2, zebra 0


@pytest.mark.parametrize("preset", ["mlp-small", "cpu-fast", "cpu-quality", "cifar10-dcgan"])
def test_every_family_is_conditioned_on_the_class(preset):
    config = preset_config(preset).with_changes(condition="class")
    torch.manual_seed(0)
    G, D = build_generator(config, 10), build_discriminator(config, 10)
    plain = preset_config(preset)
    assert parameter_count(G) > parameter_count(build_generator(plain))
    assert parameter_count(D) > parameter_count(build_discriminator(plain))
    G.eval()
    D.eval()
    with torch.no_grad():
        for net in (G, D):  # move the zero-initialised conditional parts off zero
            for p in net.parameters():
                p.add_(torch.randn_like(p) * 0.05)
        z = torch.randn(4, config.latent_size)
        a, b = G(z, torch.tensor([1, 1, 1, 1])), G(z, torch.tensor([2, 2, 2, 2]))
        assert a.shape == (4, config.channels, config.image_size, config.image_size)
        assert (a - b).abs().max() > 1e-3  # the class changes the image at the same z
        ea, eb = G.condition.table(torch.tensor([1])), G.condition.table(torch.tensor([2]))
        assert torch.allclose(G(z, embedding=ea.expand(4, -1)), a, atol=1e-6)  # a morph's end is the class
        assert not torch.allclose(G(z, embedding=((ea + eb) / 2).expand(4, -1)), a, atol=1e-4)
        assert (D(a, torch.tensor([1] * 4)) - D(a, torch.tensor([2] * 4))).abs().max() > 0


@pytest.fixture
def store(isolated_home, mnist_root, monkeypatch):
    monkeypatch.setenv("WORKBENCH_DATA_DIR", str(mnist_root))
    return RunStore()


SMALL_CONDITIONAL = dict(condition="class", g_widths=[32, 16, 8], d_widths=[8, 16, 16], epochs=2, max_batches=4,
                         eval_samples=0, grid_size=16)


def fit(config, run):
    events = []
    final = Trainer(config, run).fit(events.append)
    return events, final


@pytest.mark.parametrize("recipe", [
    "cpu-quality",  # CBN, projection D with batch norm, g_ema
    "cpu-conditional",  # and spectral norm, the batch spread within each class, hinge
])
def test_conditional_mnist_run_resumes_exactly_and_draws_a_row_per_class(store, recipe):
    config = preset_config(recipe).with_changes(**SMALL_CONDITIONAL)
    straight = store.create(config)
    events, final = fit(config, straight)
    assert isinstance(final, Finished)
    assert straight.info()["classes"] == BUILT_IN_CLASSES["mnist"]
    state = load_checkpoint(straight.latest_checkpoint)
    assert state["classes"] == BUILT_IN_CLASSES["mnist"]
    grid = [e for e in events if isinstance(e, EpochEnded)][-1].grid
    pitch = 28 + GRID_GAP
    assert grid.shape == (10 * pitch + GRID_GAP, 4 * pitch + GRID_GAP)  # 10 classes × 4 fixed z of 16

    resumed = store.create(config.with_changes(epochs=1))
    fit(config.with_changes(epochs=1), resumed)
    resumed.save_config(config)
    _, final = fit(config, resumed)
    assert isinstance(final, Finished)
    a, b = load_checkpoint(straight.latest_checkpoint), load_checkpoint(resumed.latest_checkpoint)
    for key in ("generator", "discriminator"):
        for name in a[key]:
            assert torch.equal(a[key][name], b[key][name]), (key, name)
    assert [m["d_loss"] for m in straight.metrics().epochs] == [m["d_loss"] for m in resumed.metrics().epochs]
    assert np.array_equal(np.asarray(load_png(straight.sample_file(2))), np.asarray(load_png(resumed.sample_file(2))))


def load_png(path):
    from PIL import Image

    return Image.open(path).convert("L")


def test_class_accuracy_and_intra_class_score_judge_images_against_their_asked_classes(mnist_root):
    from workbench.core.evaluation.registry import scoring_model
    from workbench.core.evaluation.scoring import image_scores

    scoring = scoring_model("mnist", mnist_root)
    images, labels = scoring.test_images[:1000], scoring.test_labels[:1000]
    right = image_scores(images, scoring, labels)
    wrong = image_scores(images, scoring, (labels + 1) % 10)
    assert right["class_accuracy"] > 0.97 and wrong["class_accuracy"] < 0.03
    assert right["intra_quality"] < 5 < 50 < wrong["intra_quality"]
    assert right["quality"] == wrong["quality"]  # the plain score does not see the labels
    assert "class_accuracy" not in image_scores(images, scoring)

    # a conditional generator is scored on samples drawn for every class in turn
    from workbench.core.evaluation.scoring import GeneratorEvaluator

    config = preset_config("cpu-quality").with_changes(**SMALL_CONDITIONAL)
    scores = GeneratorEvaluator(config, scoring, 256)(build_generator(config, 10))
    assert 0 <= scores["class_accuracy"] <= 1 and scores["intra_quality"] > 0
    run = RunStore().create(config)
    run.append_metrics({"epoch": 1, "d_loss": 1.0, "g_loss": 1.0} | scores)
    assert (run.summary().class_accuracy, run.summary().intra_quality) == (scores["class_accuracy"],
                                                                           scores["intra_quality"])


def test_the_conditional_preset_is_the_default_recipe_conditioned_on_the_class_with_a_hinge_projection_d_and_spread():
    conditional = preset_config("cpu-conditional")
    assert conditional.to_dict() == preset_config("cpu-quality").with_changes(
        condition="class", loss="hinge", d_norm="spectral", d_stddev=True).to_dict()
    assert conditional.validate() == []


def test_a_conditional_run_forks_exactly_and_a_fork_cannot_drop_the_condition(store):
    from workbench.core.store.forking import ForkError, fork_run, plan_fork

    config = preset_config("cpu-quality").with_changes(**SMALL_CONDITIONAL, keep_checkpoint_every=1)
    parent = store.create(config)
    fit(config, parent)
    fork = fork_run(store, plan_fork(parent, 1, {}))
    _, final = fit(fork.config(), fork)
    assert isinstance(final, Finished) and fork.info()["classes"] == BUILT_IN_CLASSES["mnist"]
    a, b = load_checkpoint(parent.latest_checkpoint), load_checkpoint(fork.latest_checkpoint)
    for name in a["generator"]:
        assert torch.equal(a["generator"][name], b["generator"][name]), name
    with pytest.raises(ForkError, match="condition"):
        plan_fork(parent, 1, {"condition": "none"})
