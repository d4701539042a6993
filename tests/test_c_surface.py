"""The cffi surface is complete: every function and error code the headers declare is in ``lib``.

The header side is read here independently of ffibuild/cdef.py (raw header text,
comments removed, no preprocessor), so a generator bug cannot hide a gap.
"""

from __future__ import annotations

import pathlib
import re
import sys

import pytest

from aeron_cffi._native import ffi, lib

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "vendor" / "aeron")]
import aeron_build  # noqa: E402
from ffibuild.cdef import trampoline_name  # noqa: E402

_COMMENTS = re.compile(r"/\*.*?\*/|//[^\n]*", re.S)
_PREPROCESSOR = re.compile(r"^\s*#.*$", re.M)
_TYPEDEF = re.compile(r"typedef[^;]*;", re.S)
# a declaration, once the text is cut at ; { and }: return type words, the name, "("
_DECLARATION = re.compile(r"^\s*(?:const\s+)?[\w\s\*]*?\b(aeron_\w+)\s*\(", re.S)
_INT_DEFINE = re.compile(r"^\s*#define\s+(\w+)\s+\(?\s*-?(?:0x[0-9a-fA-F]+|\d+)[uUlL]*\s*\)?\s*$", re.M)


@pytest.fixture(scope="module")
def headers() -> dict[str, str]:
    built = aeron_build.build()
    paths = dict(built.headers)
    # aeron_archive.h includes this one public header of Aeron's; its functions come along
    paths["aeron_common.h"] = paths["aeronc.h"].with_name("aeron_common.h")
    return {name: _COMMENTS.sub("", path.read_text()) for name, path in paths.items()}


def declared_functions(text: str) -> set[str]:
    chunks = re.split(r"[;{}]", _TYPEDEF.sub(";", _PREPROCESSOR.sub("", text)))
    return {m.group(1) for m in map(_DECLARATION.match, chunks) if m}


def test_every_header_function_is_callable_from_lib(headers):
    declared = set().union(*(declared_functions(text) for text in headers.values()))
    exposed = {name for name in dir(lib) if name.startswith("aeron_") and not name.startswith("aeron_cffi_")}
    # every header has a known, large surface: guard against the regex finding nothing
    assert len(declared_functions(headers["aeronc.h"])) > 200
    assert len(declared_functions(headers["aeronmd.h"])) > 200
    assert len(declared_functions(headers["aeron_archive.h"])) > 100
    assert sorted(declared - exposed) == []
    assert sorted(exposed - declared) == []


def test_every_integer_define_is_a_constant(headers):
    for name, text in headers.items():
        for define in _INT_DEFINE.findall(text):
            if define.startswith(("AERON_", "ARCHIVE_")):
                assert isinstance(getattr(lib, define), int), f"{name}: {define}"


def test_packed_structs_take_the_compilers_layout():
    # aeron_header_values_frame_t is declared under #pragma pack(4): 32 bytes, not 40
    assert ffi.sizeof("aeron_header_values_frame_t") == 32
    assert ffi.offsetof("aeron_header_values_frame_t", "reserved_value") == 24
    assert ffi.sizeof("aeron_counter_metadata_descriptor_t") == 512


def test_every_callback_typedef_has_a_trampoline(headers):
    callback = re.compile(r"typedef\s+[^;(){}]+\(\s*\*\s*(\w+)\s*\)\s*\(", re.S)
    typedefs = set().union(*(callback.findall(text) for text in headers.values()))
    assert len(typedefs) > 30
    missing = [t for t in typedefs if not hasattr(lib, trampoline_name(t))]
    assert missing == []
