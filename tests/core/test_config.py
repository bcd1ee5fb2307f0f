import json

import pytest

from workbench.core.config import (
    ConfigError,
    FieldError,
    TrainConfig,
    coerce,
    field_names,
    field_specs,
)


def bad_values(spec):
    """Values each kind of field must reject."""
    if spec.kind == "choice":
        return ["not-a-choice", 3]
    if spec.kind == "text":
        return [5]
    if spec.kind == "bool":
        return ["maybe", 1, None]
    if spec.kind == "int_list":
        return [[], "a, b", [0] if spec.minimum == 1 else [-1], [1.5]]
    values = ["abc", float("nan"), True]
    if spec.minimum is not None:
        values.append(spec.minimum - 1 if not spec.min_exclusive else spec.minimum)
    if spec.maximum is not None:
        values.append(spec.maximum + 1 if not spec.max_exclusive else spec.maximum)
    if spec.kind == "int":
        values.append(1.5)
    return values


CASES = [(name, value) for name, spec in field_specs().items() for value in bad_values(spec)]


def test_defaults_are_valid():
    assert TrainConfig().validate() == []


@pytest.mark.parametrize("name,value", CASES, ids=[f"{n}={v!r}" for n, v in CASES])
def test_every_field_rejects_bad_values_with_field_value_and_allowed(name, value):
    config = TrainConfig()
    setattr(config, name, value)
    errors = config.validate()
    mine = [e for e in errors if e.field == name]
    assert mine, f"{name}={value!r} was accepted"
    text = str(mine[0])
    assert name in text and repr(value) in text and "expected" in text


def test_validate_returns_every_error_at_once():
    config = TrainConfig(lr_g=-1, batch_size=0, dataset="cifar", g_widths=[1, 2, 3])
    fields = {e.field for e in config.validate()}
    assert {"lr_g", "batch_size", "dataset", "g_widths"} <= fields


def test_allowed_text_names_the_range_and_choices():
    specs = field_specs()
    assert specs["dataset"].allowed() == "one of mnist, fashion-mnist, kmnist, cifar10, folder"
    assert specs["channels"].allowed() == "one of 1, 3"
    assert specs["image_size"].allowed() == "one of 28, 32, 64"
    assert specs["lr_g"].allowed() == "a number > 0 and <= 1"
    assert specs["epochs"].allowed() == "a whole number >= 1 and <= 10000"


def test_json_round_trip(tmp_path):
    config = TrainConfig(lr_g=0.001, g_widths=[256, 32], rotation_degrees=15.0)
    path = tmp_path / "c.json"
    path.write_text(config.to_json())
    assert TrainConfig.load(path) == config


def test_unknown_keys_are_an_error_not_dropped():
    data = TrainConfig().to_dict() | {"learning_rate": 0.1}
    with pytest.raises(ConfigError) as info:
        TrainConfig.from_dict(data)
    assert info.value.errors[0].field == "learning_rate"
    assert "not a TrainConfig field" in str(info.value)


def test_from_dict_collects_type_errors_and_ranges():
    with pytest.raises(ConfigError) as info:
        TrainConfig.from_dict({"epochs": "many", "dropout": 1.0, "device": "tpu"})
    assert {e.field for e in info.value.errors} == {"epochs", "dropout", "device"}


def test_partial_dict_fills_defaults():
    assert TrainConfig.from_dict({"epochs": 3}) == TrainConfig(epochs=3)


def test_bad_json_file_is_a_config_error(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text("{not json")
    with pytest.raises(ConfigError, match="valid JSON"):
        TrainConfig.load(path)
    with pytest.raises(ConfigError, match="readable"):
        TrainConfig.load(tmp_path / "missing.json")


def test_coerce_parses_cli_and_widget_strings():
    assert coerce("g_widths", "128, 64") == [128, 64]
    assert coerce("g_widths", "128 64") == [128, 64]
    assert coerce("lr_g", "2e-4") == pytest.approx(0.0002)
    assert coerce("epochs", "12") == 12
    assert coerce("epochs", 12.0) == 12
    with pytest.raises(FieldError):
        coerce("epochs", "12.5")


def test_architecture_fixes_the_number_of_widths():
    errors = TrainConfig(architecture="dcgan-small", g_widths=[64, 32], d_widths=[1, 2, 3]).validate()
    assert [e.field for e in errors] == ["g_widths"]
    assert "exactly 3 values" in errors[0].allowed


def test_every_field_has_a_known_group_and_help():
    from workbench.core.config import GROUPS

    for name, spec in field_specs().items():
        assert spec.group in GROUPS, name
        assert spec.help and spec.label, name
    assert len(field_names()) == len(set(field_names()))


def test_saved_config_is_plain_json():
    assert json.loads(TrainConfig().to_json())["g_widths"] == [128, 64]


def test_hinge_loss_takes_no_label_smoothing():
    errors = TrainConfig(loss="hinge", real_label=0.9).validate()
    assert [e.field for e in errors] == ["real_label"]
    assert "1 with loss hinge" in str(errors[0])
    assert TrainConfig(loss="hinge", d_norm="spectral").validate() == []
    assert TrainConfig.from_dict({}).d_norm == "batch"  # configs saved before the field load unchanged
