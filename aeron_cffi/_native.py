"""The one place that imports the compiled extension (DESIGN.md section 3).

Every other module takes ``ffi`` and ``lib`` from here, so the binding has a single
seam to the C surface: ``lib`` holds every function, enum and integer/string
constant of ``aeronc.h``, ``aeronmd.h`` and ``aeron_archive.h``.
"""

from typing import Any

from aeron_cffi._aeron import ffi, lib

__all__ = ["ffi", "lib", "bytes_view", "c_string", "c_text", "aeron_version", "release_views"]

BYTES_LIKE = "a bytes-like object (bytes, bytearray, memoryview, array.array, ...)"


def bytes_view(data: object, what: str, c_type: str = "char[]") -> Any:
    """``ffi.from_buffer(c_type, data)``, or a ``TypeError`` that names the method (``what``)
    and what it accepts, instead of cffi's wording about its own function."""
    try:
        return ffi.from_buffer(c_type, data)
    except TypeError:
        raise TypeError(f"{what}: data must be {BYTES_LIKE}, not {type(data).__name__}") from None


def c_string(pointer: Any) -> str:
    """A NUL-terminated C string as ``str`` ('' for NULL)."""
    if pointer == ffi.NULL:
        return ""
    return str(ffi.string(pointer).decode("utf-8", errors="replace"))


def release_views(source: Any, *views: Any) -> None:
    """Release the ``ffi.from_buffer`` views among ``views`` (``source`` itself went to C
    as it is) before an exception leaves the call that made them. The exception's
    traceback keeps that call's frame, and so the views: if the caller keeps the
    exception in a reference cycle, the collector may clear the viewed memoryview while
    cffi still holds its export, which crashes Python 3.11 (CPython gh-77894)."""
    for view in views:
        if view is not source:
            ffi.release(view)


def c_text(pointer: Any, length: int) -> str:
    """``length`` bytes of C text (not NUL-terminated) as ``str`` ('' for NULL)."""
    if pointer == ffi.NULL:
        return ""
    return str(ffi.unpack(pointer, length).decode("utf-8", errors="replace"))


def aeron_version() -> str:
    """The compiled-in Aeron release, e.g. ``'1.51.0'`` (``aeron_version_text``)."""
    return c_string(lib.aeron_version_text())
