"""TrainConfig: the single description of a run, with the metadata the form, the CLI flags,
validation messages and the saved `config.json` are derived from.

Each field carries a `FieldSpec` (label, group, help, kind, allowed values); nothing about a
field is written anywhere else.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from workbench.core import geometry

GROUPS = ("Data", "Model", "Optimization", "Run")


@dataclass(frozen=True)
class FieldSpec:
    """What a config field means and allows; read by the form, the CLI and `validate()`."""

    label: str
    group: str
    help: str
    kind: str  # "int" | "float" | "choice" | "text" | "int_list" | "bool"
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    min_exclusive: bool = False
    max_exclusive: bool = False

    def allowed(self) -> str:
        """A human description of the allowed values, used in every error message."""
        if self.kind == "choice" or self.choices:
            return "one of " + ", ".join(self.choices)
        if self.kind == "text":
            return "text"
        if self.kind == "bool":
            return "true or false (on/off)"
        lo = "" if self.minimum is None else f"{'>' if self.min_exclusive else '>='} {_num(self.minimum)}"
        hi = "" if self.maximum is None else f"{'<' if self.max_exclusive else '<='} {_num(self.maximum)}"
        what = {"int": "a whole number", "float": "a number", "int_list": "a list of whole numbers, each"}[self.kind]
        bounds = " and ".join(b for b in (lo, hi) if b)
        return f"{what} {bounds}".strip()


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(x)


def _f(default, label, group, help, kind, **kw) -> Any:
    meta = {"spec": FieldSpec(label, group, help, kind, **kw)}
    if isinstance(default, list):
        return field(default_factory=lambda: list(default), metadata=meta)
    return field(default=default, metadata=meta)


DATASETS = ("mnist", "fashion-mnist", "kmnist", "cifar10", "folder")
ARCHITECTURES = ("mlp", "dcgan", "dcgan-small")
LOSSES = ("bce", "bce-logits", "hinge")
D_NORMS = ("batch", "spectral")
WEIGHT_INITS = ("default", "dcgan", "normal-0.02")
DEVICES = ("auto", "cpu", "cuda", "mps")
IMAGE_RANGES = ("symmetric", "unit")
LATENT_DISTRIBUTIONS = ("normal", "uniform")
LR_DECAYS = ("none", "linear")
CONDITIONS = ("none", "class")


@dataclass
class TrainConfig:
    """Every hyperparameter of a run. Defaults are the `dcgan` preset's."""

    # Data
    dataset: str = _f("mnist", "Dataset", "Data", "Which image dataset to train on.", "choice", choices=DATASETS)
    data_dir: str = _f("", "Data folder", "Data",
                       "Folder holding the datasets (torchvision layout); empty uses the app's default.", "text")
    image_folder: str = _f("", "Image folder", "Data",
                           "For dataset folder: your own images, searched recursively (every file Pillow "
                           "reads); centre-cropped, resized and cached once when a run starts.", "text")
    channels: int = _f(1, "Channels", "Data",
                       "Colour channels of the images: 1 (greyscale) or 3 (colour). MNIST-like sets are 1, "
                       "cifar10 is 3, a folder is converted to either.", "int", choices=("1", "3"))
    image_size: int = _f(28, "Image size (px)", "Data",
                         "Side of the square images: MNIST-like sets are 28 and cifar10 32 in their files; "
                         "other sizes are resized once when a run starts.", "int", choices=("28", "32", "64"))
    image_range: str = _f("symmetric", "Image range", "Data",
                          "Pixel range the real images are scaled to: symmetric is [-1, 1], unit is [0, 1].",
                          "choice", choices=IMAGE_RANGES)
    rotation_degrees: float = _f(0.0, "Rotation (±°)", "Data",
                                 "Random rotation augmentation of real images, uniform in ±degrees "
                                 "(nearest neighbour, black fill); 0 turns it off.",
                                 "float", minimum=0, maximum=180)
    condition: str = _f("none", "Condition", "Data",
                        "none: the generator draws any image; class: both networks see the dataset's class "
                        "labels (a folder needs one subfolder per class), so you can ask for a class.",
                        "choice", choices=CONDITIONS)
    # Model
    architecture: str = _f("dcgan", "Architecture", "Model",
                           "Network family: mlp (fully connected), dcgan (transposed convolutions from 7×7 "
                           "at 28 px, the DCGAN paper's 4×4 start at 32 and 64 px), dcgan-small (three "
                           "strided blocks, 28 px).", "choice", choices=ARCHITECTURES)
    latent_size: int = _f(100, "Latent size", "Model", "Length of the noise vector z fed to the generator.",
                          "int", minimum=1, maximum=1024)
    latent_distribution: str = _f("normal", "Latent distribution", "Model",
                                  "Noise z is drawn from N(0, 1) (normal) or U(-1, 1) (uniform).",
                                  "choice", choices=LATENT_DISTRIBUTIONS)
    g_widths: list = _f([128, 64], "Generator widths", "Model",
                        "Hidden sizes (mlp) or channels (dcgan: 2 values at 28 px, 3 at 32, 4 at 64; "
                        "dcgan-small: 3) of the generator; they follow a new size or architecture unless given.",
                        "int_list", minimum=1, maximum=geometry.MAX_WIDTH)
    d_widths: list = _f([64, 128], "Discriminator widths", "Model",
                        "Hidden sizes (mlp) or channels (dcgan: 2 values at 28 px, 3 at 32, 4 at 64; "
                        "dcgan-small: 3) of the discriminator; they follow a new size or architecture unless given.",
                        "int_list", minimum=1, maximum=geometry.MAX_WIDTH)
    d_norm: str = _f("batch", "Discriminator norm", "Model",
                     "batch: batch norm between D's convolution blocks (as the DCGAN paper); spectral: "
                     "spectral norm on every D layer and no batch norm, which keeps D's slope bounded.",
                     "choice", choices=D_NORMS)
    d_stddev: bool = _f(False, "Batch spread in D", "Model",
                        "on: D also sees how much the batch's images differ (in a conditional run, the images "
                        "of each class) as one more feature before its last block (minibatch standard "
                        "deviation), so a generator that draws one image per class is caught.", "bool")
    dropout: float = _f(0.0, "Dropout", "Model", "Dropout after every hidden layer of both mlp networks.",
                        "float", minimum=0, maximum=1, max_exclusive=True)
    weight_init: str = _f("default", "Weight init", "Model",
                          "default: PyTorch's; dcgan: conv N(0, 0.02), batch-norm N(1, 0.02); "
                          "normal-0.02: conv and batch-norm weights N(0, 0.02), batch-norm bias 0.",
                          "choice", choices=WEIGHT_INITS)
    # Optimization
    loss: str = _f("bce", "Loss", "Optimization",
                   "Non-saturating BCE: bce puts a sigmoid on D and uses BCELoss; bce-logits uses "
                   "BCEWithLogitsLoss on raw scores. hinge: D minimises relu(1 − D(x)) + relu(1 + D(G(z))) "
                   "on raw scores, G minimises −D(G(z)).", "choice", choices=LOSSES)
    real_label: float = _f(1.0, "Real label", "Optimization",
                           "Target for real images in D's loss; below 1 is one-sided label smoothing.",
                           "float", minimum=0.5, maximum=1)
    lr_g: float = _f(0.0002, "Generator LR", "Optimization", "Adam learning rate of the generator.",
                     "float", minimum=0, maximum=1, min_exclusive=True)
    lr_d: float = _f(0.0002, "Discriminator LR", "Optimization", "Adam learning rate of the discriminator.",
                     "float", minimum=0, maximum=1, min_exclusive=True)
    beta1_g: float = _f(0.5, "Generator β1", "Optimization", "Adam β1 of the generator.",
                        "float", minimum=0, maximum=1, max_exclusive=True)
    beta2_g: float = _f(0.999, "Generator β2", "Optimization", "Adam β2 of the generator.",
                        "float", minimum=0, maximum=1, max_exclusive=True)
    beta1_d: float = _f(0.5, "Discriminator β1", "Optimization", "Adam β1 of the discriminator.",
                        "float", minimum=0, maximum=1, max_exclusive=True)
    beta2_d: float = _f(0.999, "Discriminator β2", "Optimization", "Adam β2 of the discriminator.",
                        "float", minimum=0, maximum=1, max_exclusive=True)
    lr_decay: str = _f("none", "LR decay", "Optimization",
                       "none keeps both learning rates; linear lowers both, step by step, in a straight "
                       "line to 0 at the end of the last epoch.", "choice", choices=LR_DECAYS)
    d_steps: int = _f(1, "D steps per G step", "Optimization",
                      "Discriminator updates for every generator update.", "int", minimum=1, maximum=10)
    g_ema: float = _f(0.0, "Generator averaging", "Optimization",
                      "Grids, scores and samples use an exponential moving average of the generator's "
                      "weights with this decay per step (e.g. 0.999); 0 uses the weights as trained.",
                      "float", minimum=0, maximum=1, max_exclusive=True)
    batch_size: int = _f(128, "Batch size", "Optimization", "Real images per training step.",
                         "int", minimum=1, maximum=4096)
    # Run
    epochs: int = _f(10, "Epochs", "Run", "Passes over the training set.", "int", minimum=1, maximum=10000)
    max_batches: int = _f(0, "Max batches per epoch", "Run",
                          "Cap on batches per epoch for quick trials; 0 uses the whole dataset.",
                          "int", minimum=0, maximum=1_000_000)
    seed: int = _f(0, "Seed", "Run", "Seeds weights, batches, noise and the fixed sample noise.",
                   "int", minimum=0, maximum=2**31 - 1)
    device: str = _f("auto", "Device", "Run", "Where to train; auto picks CUDA, then MPS, then CPU.",
                     "choice", choices=DEVICES)
    grid_size: int = _f(64, "Sample grid size", "Run",
                        "Fixed-noise images drawn each epoch (64 makes an 8×8 grid).", "int", minimum=1, maximum=256)
    eval_samples: int = _f(0, "Evaluation samples", "Run",
                           "Generated images scored after every epoch: Fréchet score, precision, recall, density, "
                           "coverage and class balance against the test split, with the dataset's feature "
                           "classifier. 0 turns evaluation off; otherwise at least 256.", "int", minimum=0,
                           maximum=50000)
    keep_checkpoint_every: int = _f(0, "Keep checkpoint every", "Run",
                                    "Besides the latest checkpoint, keep one every N epochs; 0 keeps only the latest.",
                                    "int", minimum=0, maximum=10000)
    tensorboard: bool = _f(False, "TensorBoard log", "Run",
                           "Also write every epoch (losses, D(x), D(G(z)), quality, the per-batch trace, "
                           "the sample grid, the config) to the run's tensorboard/ folder; needs the "
                           "tensorboard extra.", "bool")

    # ---- derived views -------------------------------------------------------------

    def to_dict(self) -> dict:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2) + "\n"

    @classmethod
    def from_dict(cls, data: dict) -> TrainConfig:
        """Build from saved or user JSON; unknown keys and bad values raise ConfigError."""
        if not isinstance(data, dict):
            raise ConfigError([FieldError("(config)", data, "a JSON object of field: value")])
        names = field_names()
        unknown = [k for k in data if k not in names]
        errors = [FieldError(k, data[k], "not a TrainConfig field; known fields: " + ", ".join(names))
                  for k in unknown]
        values = {}
        for k, v in data.items():
            if k in names:
                try:
                    values[k] = coerce(k, v)
                except FieldError as e:
                    errors.append(e)
        if errors:
            raise ConfigError(errors)
        config = cls(**values)
        config.check()
        return config

    @classmethod
    def from_changes(cls, base: dict, changes: dict) -> TrainConfig:
        """`base` (a preset's or a saved config's fields) with the user's `changes` (values or
        their text) and what those carry along (`geometry.follow`): the widths follow a new
        size or architecture, the channels a dataset of one kind, unless `changes` gives them.
        Raises ConfigError as `from_dict` does."""
        values = dict(base)
        for name, value in changes.items():
            try:
                values[name] = coerce(name, value) if name in _SPECS else value
            except FieldError:
                values[name] = value  # from_dict reports it
        return cls.from_dict(geometry.follow(values, changes))

    @classmethod
    def load(cls, path: str | Path) -> TrainConfig:
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except OSError as e:
            problem = FieldError("(config file)", str(path), f"a readable JSON file ({e.strerror})")
            raise ConfigError([problem]) from None
        except ValueError as e:
            raise ConfigError([FieldError("(config file)", str(path), f"valid JSON ({e})")]) from None
        return cls.from_dict(data)

    def with_changes(self, **changes) -> TrainConfig:
        return replace(self, **changes)

    def validate(self) -> list[FieldError]:
        """Every problem at once, each naming the field, the bad value and what is allowed."""
        errors = []
        for f in fields(self):
            value = getattr(self, f.name)
            try:
                coerce(f.name, value)
            except FieldError as e:
                errors.append(e)
        errors.extend(_cross_field_errors(self))
        return errors

    def check(self) -> TrainConfig:
        errors = self.validate()
        if errors:
            raise ConfigError(errors)
        return self


@dataclass
class FieldError(Exception):
    field: str
    value: Any
    allowed: str

    def __str__(self) -> str:
        return f"{self.field}: {self.value!r} is not allowed; expected {self.allowed}"


class ConfigError(ValueError):
    """One or more field errors; `str()` lists them one per line."""

    def __init__(self, errors: list[FieldError]):
        self.errors = list(errors)
        super().__init__("\n".join(str(e) for e in self.errors))


def spec_of(name: str) -> FieldSpec:
    return _SPECS[name]


def field_names() -> list[str]:
    return [f.name for f in fields(TrainConfig)]


def field_specs() -> dict[str, FieldSpec]:
    return dict(_SPECS)


def coerce(name: str, value: Any) -> Any:
    """Turn `value` (from JSON, a CLI string or a widget) into the field's type, or raise
    FieldError saying what the field allows."""
    spec = _SPECS[name]
    bad = FieldError(name, value, spec.allowed())
    if spec.kind == "text":
        if value is None:
            return ""
        if not isinstance(value, str):
            raise bad
        return value
    if spec.kind == "choice":
        if not isinstance(value, str) or value not in spec.choices:
            raise bad
        return value
    if spec.kind == "bool":
        if isinstance(value, bool):
            return value
        if not isinstance(value, str) or value.strip().lower() not in _BOOL_WORDS:
            raise bad
        return _BOOL_WORDS[value.strip().lower()]
    if spec.kind == "int_list":
        if isinstance(value, str):
            parts = [p for p in value.replace(",", " ").split()]
        elif isinstance(value, (list, tuple)):
            parts = list(value)
        else:
            raise bad
        if not parts:
            raise bad
        out = [_number(p, int, bad) for p in parts]
        for v in out:
            _bounds(spec, v, bad)
        return out
    kind = int if spec.kind == "int" else float
    out = _number(value, kind, bad)
    _bounds(spec, out, bad)
    if spec.choices and _num(out) not in spec.choices:
        raise bad
    return out


_BOOL_WORDS = {"true": True, "on": True, "yes": True, "1": True,
               "false": False, "off": False, "no": False, "0": False}  # CLI and form text


def _number(value, kind, bad: FieldError):
    if isinstance(value, bool):
        raise bad
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            raise bad from None
    if not isinstance(value, (int, float)) or not math.isfinite(value):
        raise bad
    if kind is int:
        if float(value) != int(value):
            raise bad
        return int(value)
    return float(value)


def _bounds(spec: FieldSpec, v: float, bad: FieldError) -> None:
    if spec.minimum is not None and (v <= spec.minimum if spec.min_exclusive else v < spec.minimum):
        raise bad
    if spec.maximum is not None and (v >= spec.maximum if spec.max_exclusive else v > spec.maximum):
        raise bad


MIN_EVAL_SAMPLES = 256  # fewer cannot estimate the 128-feature covariance the score needs


def _cross_field_errors(config: TrainConfig) -> list[FieldError]:
    errors = []
    samples = config.eval_samples
    if isinstance(samples, int) and 0 < samples < MIN_EVAL_SAMPLES:
        errors.append(FieldError("eval_samples", samples, f"0 (off) or at least {MIN_EVAL_SAMPLES}"))
    errors.extend(FieldError(*problem) for problem in geometry.problems(config))
    if config.loss == "hinge" and isinstance(config.real_label, (int, float)) and config.real_label != 1:
        errors.append(FieldError("real_label", config.real_label,
                                 "1 with loss hinge (label smoothing applies to the bce losses)"))
    return errors


_SPECS: dict[str, FieldSpec] = {f.name: f.metadata["spec"] for f in fields(TrainConfig)}
