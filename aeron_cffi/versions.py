"""Version and clock functions of the C client (``aeron_version_*``, ``aeron_*_clock``)."""

from __future__ import annotations

from typing import NamedTuple

from aeron_cffi._native import c_string, lib

__all__ = ["VersionInfo", "epoch_clock", "nano_clock", "version_info"]


class VersionInfo(NamedTuple):
    """(``aeron_version_major/minor/patch``, ``aeron_version_full``, ``aeron_version_gitsha``)"""

    major: int
    minor: int
    patch: int
    full: str
    gitsha: str


def version_info() -> VersionInfo:
    return VersionInfo(lib.aeron_version_major(), lib.aeron_version_minor(), lib.aeron_version_patch(),
                       c_string(lib.aeron_version_full()), c_string(lib.aeron_version_gitsha()))


def nano_clock() -> int:
    """Aeron's monotonic clock in ns (``aeron_nano_clock``)."""
    return int(lib.aeron_nano_clock())


def epoch_clock() -> int:
    """Wall clock in ms since the epoch (``aeron_epoch_clock``)."""
    return int(lib.aeron_epoch_clock())
