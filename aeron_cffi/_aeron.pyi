# Stub of the compiled cffi module that build_ffi.py makes (aeron_cffi._aeron), written
# by hand on purpose. ``lib`` is ``Any``: it holds the thousand-odd functions and
# constants of three C headers, whose cffi types (cdata pointers) a type checker cannot
# follow anyway; the package's typed surface is its Python wrappers, which convert every
# C value they return. ``ffi`` is typed where that keeps the wrappers typed: the
# ``def_extern`` decorator returns the callback it registers. Only _native.py imports it.
from typing import Any, Callable, TypeVar

_F = TypeVar("_F", bound=Callable[..., Any])

class _FFI:
    def def_extern(self, name: str = ..., error: Any = ..., onerror: Callable[..., Any] | None = ...
                   ) -> Callable[[_F], _F]: ...
    def __getattr__(self, name: str) -> Any: ...

ffi: _FFI
lib: Any
