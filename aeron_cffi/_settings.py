"""Context settings as keywords: ``name=value`` calls ``<prefix>set_<name>(ptr, value)``.

Shared by the client ``Context`` (``aeron_context_``) and the embedded driver's
context (``aeron_driver_context_``), so every setter of those headers is a keyword
without a hand-written list that could drift from the headers.
"""

from __future__ import annotations

import os
from typing import Any

from aeron_cffi._native import c_string, ffi, lib
from aeron_cffi.errors import check


def _c_value(value: Any) -> Any:
    if isinstance(value, os.PathLike):
        value = os.fspath(value)
    if isinstance(value, str):
        return value.encode()
    return value


def setter(prefix: str, name: str, owner: str) -> Any:
    """``lib.<prefix>set_<name>``, or ``TypeError`` naming the owner if there is none."""
    function = getattr(lib, f"{prefix}set_{name}", None)
    if function is None or name.startswith("_"):
        raise TypeError(f"{owner} got an unexpected setting {name!r}")
    return function


def apply(prefix: str, ptr: Any, name: str, value: Any, owner: str) -> None:
    """Set one setting; a tuple value passes several C arguments (e.g. a port range)."""
    function = setter(prefix, name, owner)
    args = value if isinstance(value, tuple) else (value,)
    try:
        result = function(ptr, *(_c_value(arg) for arg in args))
    except (TypeError, OverflowError) as exc:
        raise TypeError(f"{owner} setting {name}={value!r}: {exc}") from None
    check(result, f"{prefix}set_{name}")


def get(prefix: str, ptr: Any, name: str, owner: str) -> Any:
    """The current value of a setting (``<prefix>get_<name>``), strings decoded."""
    function = getattr(lib, f"{prefix}get_{name}", None)
    if function is None:
        raise AttributeError(f"{owner} has no setting {name!r}")
    value = function(ptr)
    if isinstance(value, ffi.CData) and ffi.typeof(value) is ffi.typeof("char *"):
        return c_string(value)
    return value
