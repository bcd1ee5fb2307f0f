"""A folder of the user's own images as a training set.

Every file Pillow can open, found recursively (hidden files and folders left out), is converted
to the run's channels, centre-cropped to a square and resized with antialiasing, once, into one
uint8 tensor (N, C, S, S): the same resident form the built-in datasets have, so a batch is a
gather and nothing is decoded while training. The tensor is cached in the app's cache folder
under a key made of the folder's file list, sizes and modification times, the channels and the
size: a second run on an unchanged folder starts at once, a changed folder is prepared again.
Unreadable files are skipped and counted, never fatal.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from workbench.core import paths, words
from workbench.core.data.datasets import DatasetMissing

CACHE_VERSION = 1  # bump when preparation changes what the tensor holds
CHUNK = 256  # images decoded between progress reports and cancel checks
SHOWN_SKIPPED = 5  # file names a skip message lists


class ImageFolderError(DatasetMissing):
    """The folder is missing or holds too few readable images; the message names it."""


class PreparationCancelled(Exception):
    """A stop arrived while the folder was being prepared."""


@dataclass
class FolderScan:
    """The candidate image files of a folder: (path relative to it, size, mtime in ns), sorted."""

    folder: Path
    files: list[tuple[str, int, int]]

    def key(self, channels: int, size: int) -> str:
        digest = hashlib.sha256(f"v{CACHE_VERSION} {channels} {size}\n".encode())
        for name, nbytes, mtime in self.files:
            digest.update(f"{name}\0{nbytes}\0{mtime}\n".encode())
        return digest.hexdigest()[:24]


@dataclass
class PreparedFolder:
    images: torch.Tensor  # uint8 (N, C, S, S)
    skipped: list[str] = field(default_factory=list)  # files that could not be read
    from_cache: bool = False

    def skipped_message(self, folder) -> str | None:
        """The Notice text for skipped files, or None when every file was read."""
        if not self.skipped:
            return None
        total = len(self.skipped) + self.images.shape[0]
        names = ", ".join(self.skipped[:SHOWN_SKIPPED]) + (", …" if len(self.skipped) > SHOWN_SKIPPED else "")
        return (f"{len(self.skipped)} of {words.count(total, 'file')} in the image folder {folder} could not be read "
                f"as images and {'was' if len(self.skipped) == 1 else 'were'} skipped: {names}")


def no_images_message(folder) -> str:
    return (f"The image folder {folder} holds no images (searched its subfolders too; any file Pillow opens "
            f"counts: PNG, JPEG, BMP, GIF, WebP, TIFF, …).")


def too_few_message(folder, images: int, batch_size: int) -> str:
    return (f"The image folder {folder} has {words.count(images, 'image')}, fewer than one batch of {batch_size}: "
            f"add images or lower the batch size.")


def image_extensions() -> set[str]:
    """File extensions of the formats Pillow can open."""
    from PIL import Image

    Image.init()
    return {ext.lower() for ext, fmt in Image.registered_extensions().items() if fmt in Image.OPEN}


def scan(folder: str | os.PathLike) -> FolderScan:
    """The folder's image files, recursively; raises ImageFolderError when it is no folder."""
    root = Path(folder).expanduser()
    if not root.is_dir():
        what = "is not a folder" if root.exists() else "does not exist"
        raise ImageFolderError(f"The image folder {root} {what}. Choose a folder of images (the form's "
                               f"Browse…, or --image-folder DIR).")
    extensions = image_extensions()
    files = []
    for parent, dirs, names in os.walk(root):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in names:
            if name.startswith(".") or os.path.splitext(name)[1].lower() not in extensions:
                continue
            path = os.path.join(parent, name)
            try:
                stat = os.stat(path)
            except OSError:
                continue
            files.append((Path(path).relative_to(root).as_posix(), stat.st_size, stat.st_mtime_ns))
    files.sort()
    return FolderScan(root, files)


GREY_MODES = ("1", "L", "LA", "La", "I", "F")  # and the 16-bit "I;16…" modes


def stored_channels(found: FolderScan) -> int:
    """3 when any image file is stored in colour, else 1: what a folder run trains in unless
    its channels are chosen. Reads headers only (a palette's colours), stops at the first
    colour file; an unreadable file counts as neither."""
    with ThreadPoolExecutor(max_workers=max(1, min(8, os.cpu_count() or 1))) as pool:
        for start in range(0, len(found.files), CHUNK):
            chunk = found.files[start:start + CHUNK]
            if any(pool.map(lambda entry: _stored_in_colour(found.folder / entry[0]), chunk)):
                return 3
    return 1


def _stored_in_colour(path) -> bool:
    from PIL import Image

    try:
        with Image.open(path) as image:
            if image.mode in ("P", "PA"):
                rgb = image.getpalette("RGB") or []
                return any(len({*rgb[i:i + 3]}) > 1 for i in range(0, len(rgb) - 2, 3))
            return not (image.mode in GREY_MODES or image.mode.startswith("I;16"))
    except Exception:  # a corrupt or unsupported file: preparation skips it too
        return False


def read_image(path, channels: int, size: int) -> np.ndarray:
    """One file as uint8 (channels, size, size): converted, centre-cropped, resized (Lanczos,
    antialiased); transparency is flattened onto black, the fill rotation uses too."""
    from PIL import Image, ImageOps

    mode = "RGB" if channels == 3 else "L"
    with Image.open(path) as image:
        image.draft(mode, (size, size))  # JPEG decodes straight at a reduced scale: large photos stay fast
        image = ImageOps.exif_transpose(image)
        image = _eight_bit(image)
        if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
            rgba = image.convert("RGBA")
            image = Image.alpha_composite(Image.new("RGBA", rgba.size, (0, 0, 0, 255)), rgba)
        image = ImageOps.fit(image.convert(mode), (size, size), Image.Resampling.LANCZOS)
        array = np.asarray(image, dtype=np.uint8)
    return array[None] if channels == 1 else array.transpose(2, 0, 1)


def _eight_bit(image):
    """16- and 32-bit greyscale scaled to 8 bits (Pillow's convert would clip them to white)."""
    from PIL import Image

    if image.mode.startswith("I;16"):
        return Image.fromarray((np.asarray(image, dtype=np.float32) / 257.0).round().astype(np.uint8))
    if image.mode in ("I", "F"):
        values = np.asarray(image, dtype=np.float32)
        scale = 257.0 if values.max(initial=0) > 255 else 1.0
        return Image.fromarray((values / scale).round().clip(0, 255).astype(np.uint8))
    return image


def cache_folder() -> Path:
    return paths.cache_dir() / "image-folders"


def cache_file(found: FolderScan, channels: int, size: int) -> Path:
    """`<folder id>-<content key>.pt`: one file per folder, replaced when the folder changes."""
    return cache_folder() / f"{_folder_id(found.folder)}-{found.key(channels, size)}.pt"


def _folder_id(folder: Path) -> str:
    return hashlib.sha256(str(folder.resolve()).encode()).hexdigest()[:12]


def prepare(folder: str | os.PathLike | FolderScan, channels: int, size: int,
            progress: Callable[[float, str], None] | None = None,
            cancel: Callable[[], bool] | None = None,
            on_cache_problem: Callable[[str], None] | None = None) -> PreparedFolder:
    """The folder (or a scan of it) as one uint8 tensor, from the cache or decoded now (with
    progress, cancellable between chunks). Raises ImageFolderError when no file is readable."""
    found = folder if isinstance(folder, FolderScan) else scan(folder)
    if not found.files:
        raise ImageFolderError(no_images_message(found.folder))
    target = cache_file(found, channels, size)
    cached = _load_cached(target)
    if cached is not None:
        return cached
    prepared = _decode_all(found, channels, size, progress, cancel)
    if prepared.images.shape[0] == 0:
        raise ImageFolderError(f"The image folder {found.folder} holds no readable images: none of its "
                               f"{words.count(len(prepared.skipped), 'image file')} opened.")
    problem = _store(target, prepared)
    if problem and on_cache_problem:
        on_cache_problem(problem)
    return prepared


def _decode_all(found: FolderScan, channels: int, size: int, progress, cancel) -> PreparedFolder:
    """Decode in threads (Pillow releases the GIL while decoding and resizing) into one
    preallocated tensor, readable images packed in file order: the order never depends on
    which thread finished first."""
    total = len(found.files)
    images = torch.empty((total, channels, size, size), dtype=torch.uint8)
    target = images.numpy()
    skipped: list[str] = []
    count = 0

    def read(entry):
        try:
            return read_image(found.folder / entry[0], channels, size)
        except Exception:  # a corrupt, truncated or unsupported file: skipped, not fatal
            return None

    last = 0.0
    with ThreadPoolExecutor(max_workers=max(1, min(8, os.cpu_count() or 1))) as pool:
        for start in range(0, total, CHUNK):
            if cancel and cancel():
                raise PreparationCancelled()
            chunk = found.files[start:start + CHUNK]
            for entry, array in zip(chunk, pool.map(read, chunk)):
                if array is None:
                    skipped.append(entry[0])
                else:
                    target[count] = array
                    count += 1
            now = time.monotonic()
            if progress and (now - last > 0.2 or start + CHUNK >= total):
                last = now
                done = min(start + CHUNK, total)
                progress(done / total, f"preparing the image folder ({done:,} of {total:,} images; once, "
                                       f"cached afterwards)")
    # a view of the packed part: skipped files waste only their own few bytes of the storage
    return PreparedFolder(images[:count], skipped)


def _load_cached(path: Path) -> PreparedFolder | None:
    if not path.exists():
        return None
    try:
        saved = torch.load(path, map_location="cpu", weights_only=True)
        images = saved["images"]
        if images.dtype != torch.uint8 or images.dim() != 4:
            return None
        return PreparedFolder(images, list(saved.get("skipped", [])), from_cache=True)
    except Exception:  # a damaged cache file is prepared again
        return None


def _store(path: Path, prepared: PreparedFolder) -> str | None:
    """Write the cache file (streamed, atomically) and drop this folder's older ones; returns a
    message when the cache could not be written (training goes on without it)."""
    from workbench.core.atomic import (
        describe_write_error,
        format_size,
        free_bytes,
        write_streamed,
    )

    images = prepared.images
    nbytes = images.numel() * images.element_size()
    free = free_bytes(path.parent)
    if free is not None and free < nbytes * 1.1 + 50_000_000:
        return (f"The prepared images ({format_size(nbytes)}) were not cached: only {format_size(free)} is "
                f"free in {path.parent}. The next run prepares the folder again.")
    payload = {"images": images, "skipped": prepared.skipped, "version": CACHE_VERSION}
    try:
        write_streamed(path, lambda f: torch.save(payload, f), nbytes)
    except OSError as e:
        return f"The prepared images were not cached ({describe_write_error(e, path)}). " \
               f"The next run prepares the folder again."
    for old in path.parent.glob(path.name.split("-")[0] + "-*.pt"):
        if old != path:
            try:
                old.unlink()
            except OSError:
                pass
    return None
