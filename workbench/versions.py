"""What `gan-workbench --version` prints: the app, the libraries it runs on and the device it
would train on. A bug report needs all of these, and a bundle or a fresh install is checked by
them; torch is imported only here, only when asked."""

from __future__ import annotations

import argparse
import importlib
import platform
import sys

import workbench


def _module_version(name: str) -> str:
    try:
        return getattr(importlib.import_module(name), "__version__", "unknown")
    except Exception as e:  # a broken install (a bundle missing a library) is what this reports
        return f"not available ({type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''})"


def describe_device(torch) -> str:
    """The device `auto` picks, with the GPU names when there are GPUs."""
    if torch.cuda.is_available():
        names = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
        backend = f"CUDA {torch.version.cuda}" if getattr(torch.version, "cuda", None) else "ROCm"
        return f"cuda ({backend}): " + ", ".join(names)
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return "mps (Apple GPU)"
    return "cpu (no CUDA or Apple MPS GPU found)"


def qt_versions() -> str:
    try:
        import PySide6
        from PySide6.QtCore import qVersion
    except ImportError as e:
        return f"not available ({e})"
    return f"{PySide6.__version__} (Qt {qVersion()})"


def report() -> str:
    try:
        import torch
    except ImportError as e:
        torch_version, device = f"not available ({e})", "none (training needs torch)"
    else:
        torch_version, device = torch.__version__, describe_device(torch)
    return "\n".join([f"gan-workbench {workbench.__version__}",
                      f"Python {platform.python_version()} on {sys.platform}",
                      f"torch {torch_version}",
                      f"torchvision {_module_version('torchvision')}",
                      f"PySide6 {qt_versions()}",
                      f"device {device}"])


class VersionAction(argparse.Action):
    """`--version`: print the report and exit, like argparse's own version action (whose text
    is fixed when the parser is built, which would import torch for every command)."""

    def __init__(self, option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS,
                 help="print the versions of the app, torch, torchvision, PySide6 and the device found, then exit"):
        super().__init__(option_strings, dest=dest, default=default, nargs=0, help=help)

    def __call__(self, parser, namespace, values, option_string=None):
        print(report(), flush=True)
        parser.exit()
