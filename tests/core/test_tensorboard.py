"""The TensorBoard log: the `tensorboard` option (a bool field), the live mirror of tiny MNIST
runs read back with TensorBoard's own event reader, export, resume without repeated steps, and
the clear message when the extra is missing (its import made to fail)."""

import io
import json
import shutil
import sys

import numpy as np
import pytest
from PIL import Image

from workbench.cli import main
from workbench.cli.parser import build_parser, config_overrides
from workbench.core.config import ConfigError, TrainConfig, coerce
from workbench.core.events import Finished, Notice
from workbench.core.presets import matching_preset, preset_config
from workbench.core.store.runs import RunStore
from workbench.core.training.tensorboard_log import (
    EPOCH_TAGS,
    IMAGE_TAG,
    MISSING_MESSAGE,
    TRACE_TAGS,
    RunLog,
    export_log,
    log_folder,
    trace_steps,
)
from workbench.core.training.trainer import Trainer

pytest.importorskip("tensorboard")
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator  # noqa: E402
from tensorboard.plugins.hparams import plugin_data_pb2  # noqa: E402

HINT = "pip install 'gan-workbench[tensorboard]'"


@pytest.fixture
def store(isolated_home, mnist_root, monkeypatch):
    monkeypatch.setenv("WORKBENCH_DATA_DIR", str(mnist_root))
    return RunStore()


@pytest.fixture
def no_tensorboard(monkeypatch):
    """TensorBoard as if not installed: importing it (directly or through torch) fails."""
    for name in ("tensorboard", "torch.utils.tensorboard"):
        monkeypatch.setitem(sys.modules, name, None)


def tiny(epochs=2, batches=6, **changes):
    return preset_config("mlp-small").with_changes(**{"epochs": epochs, "max_batches": batches,
                                                      "tensorboard": True, **changes})


def train(config, run):
    events = []
    final = Trainer(config, run).fit(events.append)
    assert isinstance(final, Finished), final
    return events


def read(folder):
    acc = EventAccumulator(str(folder), size_guidance={"scalars": 0, "images": 0, "tensors": 0})
    acc.Reload()
    return acc


def scalars(acc, tag):
    return [(e.step, e.value) for e in acc.Scalars(tag)]


# ---- the option ------------------------------------------------------------------------------

def test_tensorboard_is_a_bool_field_in_json_flags_and_old_configs():
    assert TrainConfig().tensorboard is False
    assert TrainConfig.from_dict({"epochs": 3}).tensorboard is False, "configs saved before the field load"
    assert json.loads(TrainConfig(tensorboard=True).to_json())["tensorboard"] is True
    assert [coerce("tensorboard", v) for v in ("on", "OFF", "true", "no", True)] == [True, False, True, False, True]
    with pytest.raises(ConfigError, match="tensorboard: 1 is not allowed; expected true or false"):
        TrainConfig.from_dict({"tensorboard": 1})
    parser = build_parser()
    for argv, expected in ((["--tensorboard"], True), (["--tensorboard", "off"], False), ([], None)):
        overrides = config_overrides(parser.parse_args(["train", *argv]))
        value = TrainConfig.from_dict(overrides).tensorboard if overrides else None
        assert value is expected, argv
    assert matching_preset(preset_config("dcgan").with_changes(tensorboard=True)) == "dcgan"


def test_trace_steps_are_global_batch_indices_that_join_epochs():
    steps = trace_steps(1, 94, 469) + trace_steps(2, 94, 469)  # 469 batches averaged in chunks of 5
    assert steps[0] == 5 and steps[93] == 469 and steps[-1] == 2 * 469
    assert all(b > a for a, b in zip(steps, steps[1:]))
    assert trace_steps(3, 12, 12) == list(range(25, 37)), "one point per batch: exactly its index"
    assert trace_steps(2, 7, 0) == [100 + round(100 * (i + 1) / 7) for i in range(7)]  # batches unknown


# ---- live, export, resume --------------------------------------------------------------------

def test_training_mirrors_every_epoch_live_and_export_writes_the_same(store, tmp_path, capsys):
    config = tiny(epochs=3, batches=6)
    run = store.create(config)
    events = train(config, run)
    assert not [e for e in events if isinstance(e, Notice)]
    folder = log_folder(run)
    assert [p.name for p in folder.iterdir()] == [p.name for p in folder.glob("events.out.tfevents.*")], \
        "config, hparams and epochs share one event file: no timestamped sub-run"
    acc = read(folder)
    epochs = run.metrics().epochs
    for key in ("d_loss", "g_loss", "d_real", "d_fake", "images_per_sec"):
        got = scalars(acc, EPOCH_TAGS[key])
        assert [s for s, _ in got] == [1, 2, 3], key
        assert [v for _, v in got] == pytest.approx([e[key] for e in epochs], rel=1e-6), key
    assert EPOCH_TAGS["quality"] not in acc.Tags()["scalars"], "no evaluation, no quality"

    for key, tag in TRACE_TAGS.items():  # 6 batches, one point each: the steps are the batch indices
        got = scalars(acc, tag)
        assert [s for s, _ in got] == list(range(1, 19))
        assert [v for _, v in got] == pytest.approx([v for e in epochs for v in e[key]], rel=1e-6)

    images = acc.Images(IMAGE_TAG)
    assert [i.step for i in images] == [1, 2, 3], "one image per epoch, stepped by epoch"
    for image in images:
        shown = np.asarray(Image.open(io.BytesIO(image.encoded_image_string)))
        assert shown.shape == (image.height, image.width) == (8 * 28 + 9 * 2,) * 2
        assert np.array_equal(shown, np.asarray(Image.open(run.sample_file(image.step))))

    (text,) = acc.Tensors("config/text_summary")
    assert json.loads(text.tensor_proto.string_val[0].decode()) == run.config().to_dict()
    content = acc.PluginTagToContent("hparams")
    start = plugin_data_pb2.HParamsPluginData.FromString(content["_hparams_/session_start_info"])
    assert start.session_start_info.hparams["lr_g"].number_value == pytest.approx(config.lr_g)
    assert start.session_start_info.hparams["g_widths"].string_value == ", ".join(map(str, config.g_widths))
    experiment = plugin_data_pb2.HParamsPluginData.FromString(content["_hparams_/experiment"]).experiment
    assert [m.name.tag for m in experiment.metric_infos] == list(EPOCH_TAGS.values()), \
        "the same metrics in every run, quality too: TensorBoard shows one run's list for all"

    out = tmp_path / "exported"
    assert main(["export", run.id, "--tensorboard", str(out)]) == 0
    assert "3 new epochs" in capsys.readouterr().out
    exported = read(out)
    assert exported.Tags()["scalars"] and sorted(exported.Tags()["scalars"]) == sorted(acc.Tags()["scalars"])
    for tag in acc.Tags()["scalars"]:
        assert scalars(exported, tag) == scalars(acc, tag), tag
    assert [i.encoded_image_string for i in exported.Images(IMAGE_TAG)] == [i.encoded_image_string for i in images]
    files = sorted(out.iterdir())
    assert main(["export", run.id, "--tensorboard", str(out)]) == 0
    assert "0 new epochs" in capsys.readouterr().out
    assert sorted(out.iterdir()) == files, "a repeated export adds nothing, not even an empty file"


def test_resume_writes_each_epoch_once(store):
    """Killed after the log had epoch 3 but before epoch 3's checkpoint: the resume trains epoch 3
    again and the log keeps its one copy; epoch 4 follows."""
    config = tiny(epochs=3, batches=5, keep_checkpoint_every=1)
    run = store.create(config)
    train(config, run)
    shutil.copyfile(run.epoch_checkpoint(2), run.latest_checkpoint)
    train(config.with_changes(epochs=4), run)
    acc = read(log_folder(run))
    assert [s for s, _ in scalars(acc, EPOCH_TAGS["d_loss"])] == [1, 2, 3, 4]
    assert [i.step for i in acc.Images(IMAGE_TAG)] == [1, 2, 3, 4]
    assert [s for s, _ in scalars(acc, TRACE_TAGS["batch_g_loss"])] == list(range(1, 21))
    assert len(acc.Tensors("config/text_summary")) == 1
    assert [v for _, v in scalars(acc, EPOCH_TAGS["g_loss"])] == pytest.approx(
        [e["g_loss"] for e in run.metrics().epochs], rel=1e-6), "the retrained epoch 3 is the same epoch"


def test_turning_it_on_at_resume_catches_up_the_epochs_already_trained(store):
    config = tiny(epochs=2, batches=4, tensorboard=False)
    run = store.create(config)
    train(config, run)
    assert not log_folder(run).exists()
    train(config.with_changes(epochs=3, tensorboard=True), run)
    acc = read(log_folder(run))
    assert [s for s, _ in scalars(acc, EPOCH_TAGS["d_loss"])] == [1, 2, 3]
    assert [i.step for i in acc.Images(IMAGE_TAG)] == [1, 2, 3]


def test_quality_values_and_a_colour_grid_are_mirrored(isolated_home, tmp_path):
    """An evaluated epoch's scores become scalars (evaluation itself is tested elsewhere), and a
    colour grid stays in colour."""
    run = RunStore().create(TrainConfig(eval_samples=500))
    entry = {"epoch": 1, "d_loss": 1.2, "g_loss": 0.8, "d_real": 0.6, "d_fake": 0.4, "images_per_sec": 900.0,
             "seconds": 2.0, "batch_d_loss": [1.3, 1.1], "batch_g_loss": [0.7, 0.9],
             "quality": 42.5, "precision": 0.7, "recall": 0.6, "density": 0.8, "coverage": 0.9,
             "class_balance": 0.95, "confidence": 0.75, "class_hist": [0.1] * 10}
    colour = np.random.default_rng(0).integers(0, 256, (34, 66, 3), dtype=np.uint8)
    Image.fromarray(colour).save(tmp_path / "grid.png")
    log = RunLog(run, tmp_path / "log")
    assert log.record(entry, tmp_path / "grid.png") and not log.record(entry), "an epoch is written once"
    log.close()
    acc = read(tmp_path / "log")
    for key in ("quality", "precision", "recall", "density", "coverage", "class_balance", "confidence"):
        assert scalars(acc, EPOCH_TAGS[key]) == [(1, pytest.approx(entry[key]))]
    assert scalars(acc, TRACE_TAGS["batch_d_loss"]) == [(50, pytest.approx(1.3)), (100, pytest.approx(1.1))]
    (image,) = acc.Images(IMAGE_TAG)
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(image.encoded_image_string))), colour)


# ---- without the extra -----------------------------------------------------------------------

def test_training_without_the_extra_says_how_to_install_it_and_trains(store, no_tensorboard):
    config = tiny(epochs=1, batches=3)
    run = store.create(config)
    events = train(config, run)
    notices = [e.message for e in events if isinstance(e, Notice)]
    assert len(notices) == 1 and notices[0].startswith(MISSING_MESSAGE) and HINT in notices[0]
    assert [m["epoch"] for m in run.metrics().epochs] == [1]
    assert not log_folder(run).exists()


def test_export_without_the_extra_is_one_message_and_status_1(store, tmp_path, capsys):
    run = store.create(tiny(epochs=1, batches=3))
    train(run.config(), run)
    capsys.readouterr()
    with pytest.MonkeyPatch.context() as patch:
        for name in ("tensorboard", "torch.utils.tensorboard"):
            patch.setitem(sys.modules, name, None)
        code = main(["export", run.id, "--tensorboard", str(tmp_path / "tb"), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 1 and HINT in err and "Traceback" not in err
    assert not (tmp_path / "tb").exists() and not (tmp_path / "out").exists(), "nothing half-exported"
    assert export_log(run, tmp_path / "tb") == 1, "with the extra back, the same export works"
