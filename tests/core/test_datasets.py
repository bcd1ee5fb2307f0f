import struct

import numpy as np
import pytest
import torch

from workbench.core.data.datasets import (
    BatchSource,
    DatasetMissing,
    expected_files,
    load_images,
    raw_folder,
    rotate_nearest,
)


def write_idx(folder, name, images: np.ndarray, labels: np.ndarray):
    """Write a tiny dataset in the IDX format torchvision reads (same for all three datasets)."""
    folder.mkdir(parents=True, exist_ok=True)
    files = expected_files(name)
    img_file = next(f for f in files if f.startswith("train-images"))
    lbl_file = next(f for f in files if f.startswith("train-labels"))
    n, h, w = images.shape
    (folder / img_file).write_bytes(struct.pack(">IIII", 0x803, n, h, w) + images.astype(np.uint8).tobytes())
    (folder / lbl_file).write_bytes(struct.pack(">II", 0x801, n) + labels.astype(np.uint8).tobytes())
    for f in files:  # the test split must exist for torchvision's existence check
        if not (folder / f).exists():
            size = 0
            if "images" in f:
                (folder / f).write_bytes(struct.pack(">IIII", 0x803, size, h, w))
            else:
                (folder / f).write_bytes(struct.pack(">II", 0x801, size))


@pytest.mark.parametrize("name", ["fashion-mnist", "kmnist", "mnist"])
def test_idx_files_load_as_one_uint8_tensor(tmp_path, name):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(10, 28, 28))
    write_idx(raw_folder(name, tmp_path), name, images, np.arange(10) % 10)
    data = load_images(name, tmp_path, "cpu", download=False)
    assert data.dtype == torch.uint8 and data.shape == (10, 1, 28, 28)
    assert torch.equal(data[:, 0], torch.from_numpy(images.astype(np.uint8)))


def test_missing_dataset_says_where_and_how(tmp_path):
    with pytest.raises(DatasetMissing) as info:
        load_images("fashion-mnist", tmp_path / "nowhere", "cpu", download=False)
    text = str(info.value)
    assert str(tmp_path / "nowhere" / "FashionMNIST" / "raw") in text
    assert "train-images-idx3-ubyte" in text
    assert "--data-dir" in text and "WORKBENCH_DATA_DIR" in text


def test_offline_environment_turns_download_off(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBENCH_OFFLINE", "1")
    with pytest.raises(DatasetMissing, match="downloading is turned off"):
        load_images("kmnist", tmp_path, "cpu")


def test_real_mnist_training_split(mnist_root):
    data = load_images("mnist", mnist_root, "cpu")
    assert data.shape == (60000, 1, 28, 28) and data.dtype == torch.uint8


def source(n=300, batch=64, **kw):
    images = torch.randint(0, 256, (n, 1, 28, 28), dtype=torch.uint8)
    return BatchSource(images, batch, **kw)


def test_batches_cover_the_dataset_once_per_epoch_including_the_last_partial_batch():
    s = source(n=300, batch=64)
    assert s.batches_per_epoch == 5  # 4 full + one of 44, as a DataLoader without drop_last
    torch.manual_seed(0)
    perm = s.permutation()
    sizes = [s.batch(perm, b).shape[0] for b in range(s.batches_per_epoch)]
    assert sizes == [64, 64, 64, 64, 44]
    assert sorted(perm.tolist()) == list(range(300))


def test_max_batches_caps_an_epoch():
    assert source(n=300, batch=64, max_batches=2).batches_per_epoch == 2


def test_normalization_matches_to_tensor_then_normalize():
    s = source(image_range="symmetric")
    perm = torch.arange(300)
    x = s.batch(perm, 0)
    expected = (s.images[:64].float() / 255 - 0.5) / 0.5
    assert torch.allclose(x, expected)
    unit = source(image_range="unit")
    assert torch.allclose(unit.batch(perm, 0), unit.images[:64].float() / 255)


def test_batched_rotation_matches_torchvision_nearest_rotate():
    from torchvision.transforms import InterpolationMode
    from torchvision.transforms import functional as TF

    torch.manual_seed(0)
    images = (torch.rand(6, 1, 28, 28) > 0.7).float()
    angles = torch.tensor([-20.0, -12.5, -3.0, 5.0, 13.0, 20.0])
    ours = rotate_nearest(images, angles)
    agree = []
    for i, a in enumerate(angles.tolist()):
        theirs = TF.rotate(images[i], a, interpolation=InterpolationMode.NEAREST, fill=0.0)
        agree.append((ours[i] == theirs).float().mean().item())
    assert min(agree) > 0.97, agree  # nearest sampling may differ on exact pixel-centre ties


def test_rotation_keeps_pixel_values_no_blending():
    torch.manual_seed(1)
    images = torch.randint(0, 256, (32, 1, 28, 28), dtype=torch.uint8)
    s = BatchSource(images, 32, image_range="unit", rotation_degrees=20)
    x = s.batch(torch.arange(32), 0)
    allowed = set((images.float() / 255).unique().tolist()) | {0.0}
    assert set(x.unique().tolist()) <= allowed  # nearest neighbour: no new grey levels


def test_zero_angle_rotation_is_identity():
    images = torch.rand(4, 1, 28, 28)
    assert torch.equal(rotate_nearest(images, torch.zeros(4)), images)
