"""Image geometry: which channel counts and sizes each dataset and network family allows.

Plain values only (no torch, no TrainConfig import), so config validation, the networks, data
loading and evaluation read one table instead of each knowing "1×28×28".
"""

from __future__ import annotations

CHANNELS = (1, 3)
IMAGE_SIZES = (28, 32, 64)
GREYSCALE_DATASETS = ("mnist", "fashion-mnist", "kmnist")
COLOUR_DATASETS = ("cifar10",)
FOLDER_DATASET = "folder"
#: rows of a conditional run's fixed-noise grid: one per class, the first ones when there are more
GRID_CLASSES = 10


def grid_rows(classes: list[str]) -> list[str]:
    """The class names of a conditional run's grid rows, top to bottom."""
    return list(classes[:GRID_CLASSES])

#: the shape a built-in dataset's files hold: what its quality classifier would be trained on
NATIVE = {**{name: (1, 28) for name in GREYSCALE_DATASETS}, "cifar10": (3, 32)}

#: dcgan: 28 px starts from a 7×7 kernel and doubles twice; 32 and 64 px start from 4×4 (the
#: DCGAN paper's projection) and double three or four times; one width per doubling
DCGAN_WIDTHS = {28: 2, 32: 3, 64: 4}
SMALL_SIZES = (28,)  # dcgan-small's kernels (3, 4, 3, 4 with strides 2, 1, 2, 2) land on 28 only
MAX_WIDTH = 4096
#: what the widths follow when it changes and they are not given: the blocks a size needs
WIDTHS_FOLLOW = ("dataset", "channels", "image_size", "architecture")


def image_shape(config) -> tuple[int, int, int]:
    """(channels, height, width) of the images a config's networks make and judge."""
    return (config.channels, config.image_size, config.image_size)


def allowed_channels(dataset: str) -> tuple[int, ...]:
    if dataset in GREYSCALE_DATASETS:
        return (1,)
    if dataset in COLOUR_DATASETS:
        return (3,)
    return CHANNELS


def allowed_sizes(architecture: str) -> tuple[int, ...]:
    return SMALL_SIZES if architecture == "dcgan-small" else IMAGE_SIZES


def widths_needed(architecture: str, image_size: int) -> int | None:
    """How many widths a family takes at a size; None for any number (mlp)."""
    if architecture == "dcgan":
        return DCGAN_WIDTHS.get(image_size)
    if architecture == "dcgan-small":
        return 3
    return None


def fitted_widths(widths, architecture: str, image_size: int, generator: bool) -> list:
    """`widths` extended or trimmed to the blocks `architecture` has at `image_size`: the blocks
    nearest the image stay (G's last widths, D's first), a block added at the deep end is twice
    as wide as its neighbour (the DCGAN paper's layout), so cpu-fast's G 64,32 becomes 128,64,32
    at 32 px. Unchanged when the count fits or any count does (mlp)."""
    needed = widths_needed(architecture, image_size)
    widths = list(widths)
    if not needed or not widths or len(widths) == needed:
        return widths
    outward = (widths[::-1] if generator else widths)[:needed]  # from the image to the deepest block
    while len(outward) < needed:
        outward.append(min(outward[-1] * 2, MAX_WIDTH))
    return outward[::-1] if generator else outward


def follow(values: dict, changed) -> dict:
    """A config's field values after the user changed the `changed` fields, with what those
    carry along, unless the user changed it too: the channels follow a dataset of one kind
    (cifar10 is colour, MNIST-like sets greyscale), the widths the dataset, channels, size and
    architecture (`fitted_widths`). A value that is not a valid one is left for validation."""
    out, changed = dict(values), set(changed)
    if "dataset" in changed and "channels" not in changed:
        kinds = allowed_channels(out.get("dataset"))
        if len(kinds) == 1:
            out["channels"] = kinds[0]
    if changed & set(WIDTHS_FOLLOW):
        for name, generator in (("g_widths", True), ("d_widths", False)):
            widths = out.get(name)
            if name not in changed and isinstance(widths, list) and all(type(w) is int for w in widths):
                out[name] = fitted_widths(widths, out.get("architecture"), out.get("image_size"), generator)
    return out


def dcgan_first_kernel(image_size: int) -> int:
    """The kernel between the 1×1 latent and the first feature map (7×7 or 4×4)."""
    return 7 if image_size == 28 else 4


def problems(config) -> list[tuple[str, object, str]]:
    """(field, value, what is allowed) for every geometry mismatch between dataset, channels,
    size, family and widths; the config turns them into FieldErrors."""
    out = []
    dataset, arch, size = config.dataset, config.architecture, config.image_size
    channels = allowed_channels(dataset)
    if config.channels in CHANNELS and config.channels not in channels:
        kind = "greyscale" if channels == (1,) else "colour"
        out.append(("channels", config.channels, f"{channels[0]} for dataset {dataset} ({kind})"))
    sizes = allowed_sizes(arch)
    if size in IMAGE_SIZES and size not in sizes:
        out.append(("image_size", size, f"one of {', '.join(map(str, sizes))} for architecture {arch} "
                                         f"(dcgan and mlp take {', '.join(map(str, IMAGE_SIZES))})"))
    needed = widths_needed(arch, size) if size in sizes else None
    if needed:
        for name, generator in (("g_widths", True), ("d_widths", False)):
            value = getattr(config, name)
            if isinstance(value, (list, tuple)) and len(value) != needed:
                where = f" at image_size {size}" if arch == "dcgan" else ""
                whole = bool(value) and all(type(w) is int for w in value)
                example = f", e.g. {','.join(map(str, fitted_widths(value, arch, size, generator)))}" if whole else ""
                out.append((name, value, f"exactly {needed} values for architecture {arch}{where}{example}"))
    if dataset == FOLDER_DATASET and not str(config.image_folder or "").strip():
        hint = " (data_dir is the root of the built-in datasets, not your images)" if config.data_dir else ""
        out.append(("image_folder", config.image_folder,
                    f"the folder holding your images for dataset folder: --image-folder DIR or "
                    f"the form's Browse…{hint}"))
    return out
