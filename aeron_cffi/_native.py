"""The one place that imports the compiled extension (DESIGN.md section 3).

Every other module takes ``ffi`` and ``lib`` from here, so the binding has a single
seam to the C surface: ``lib`` holds every function, enum and integer/string
constant of ``aeronc.h``, ``aeronmd.h`` and ``aeron_archive.h``.
"""

from aeron_cffi._aeron import ffi, lib

__all__ = ["ffi", "lib", "c_string", "c_text", "aeron_version"]


def c_string(pointer) -> str:
    """A NUL-terminated C string as ``str`` ('' for NULL)."""
    if pointer == ffi.NULL:
        return ""
    return ffi.string(pointer).decode("utf-8", errors="replace")


def c_text(pointer, length: int) -> str:
    """``length`` bytes of C text (not NUL-terminated) as ``str`` ('' for NULL)."""
    if pointer == ffi.NULL:
        return ""
    return ffi.unpack(pointer, length).decode("utf-8", errors="replace")


def aeron_version() -> str:
    """The compiled-in Aeron release, e.g. ``'1.51.0'`` (``aeron_version_text``)."""
    return c_string(lib.aeron_version_text())
