"""Executables shipped inside the package."""

from __future__ import annotations

import pathlib

__all__ = ["aeronmd_path"]

_BIN = pathlib.Path(__file__).resolve().parent / "bin"


def aeronmd_path() -> pathlib.Path:
    """The statically linked C media driver built from the pinned Aeron release."""
    path = _BIN / "aeronmd"
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: the package was not built with build_ffi.py")
    return path
