"""The one place that imports the compiled extension (DESIGN.md section 3).

Every other module takes ``ffi`` and ``lib`` from here, so the binding has a single
seam to the C surface: ``lib`` holds every function, enum and integer/string
constant of ``aeronc.h``, ``aeronmd.h`` and ``aeron_archive.h``; ``hot`` is
``aeron_cffi._hot``, the per-message paths compiled into the same extension
(``ffibuild/hot_paths.c``), which the extension puts in ``sys.modules`` when asked.
"""

import sys
from typing import Any

from aeron_cffi._aeron import ffi, lib

if "aeron_cffi._hot" not in sys.modules and lib.aeron_cffi_hot_register() < 0:
    raise ImportError("aeron_cffi._hot could not be made (its error is printed above)")
from aeron_cffi import _hot as hot  # noqa: E402  (exists once registered)

__all__ = ["ffi", "lib", "hot", "address", "bytes_view", "c_string", "c_text", "aeron_version", "release_views"]


def address(pointer: Any) -> int:
    """A cffi pointer as the int ``aeron_cffi._hot``'s objects take."""
    return int(ffi.cast("uintptr_t", pointer))

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
