"""docs/archive-api.md maps every aeron_archive.h function to a Python name that exists."""

from __future__ import annotations

import inspect
import pathlib
import re

import aeron_cffi.archive
from aeron_cffi._native import lib

ROOT = pathlib.Path(__file__).resolve().parents[2]
HEADER = (ROOT / "vendor" / "aeron" / "src" / "libaeron_archive_c_client-sys-1.51.0" / "aeron"
          / "aeron-archive" / "src" / "main" / "c" / "client" / "aeron_archive.h")
DECLARATION = re.compile(r"(?m)^[A-Za-z_][\w \*]*?\b(aeron_archive_\w+)\s*\(")
ROW = re.compile(r"^\| `(aeron_archive_\w+)` \| (.+) \|$", re.M)
KEYWORD = re.compile(r"keyword `(\w+)=` of `(\w+)`")


def header_functions() -> set[str]:
    text = re.sub(r"/\*.*?\*/|//[^\n]*", "", HEADER.read_text(), flags=re.S)
    return set(DECLARATION.findall(re.sub(r"typedef[^;]*;", "", text)))


def table() -> dict[str, str]:
    return dict(ROW.findall((ROOT / "docs" / "archive-api.md").read_text()))


def resolve(path: str) -> object:
    obj: object = aeron_cffi.archive
    for part in path.split("."):
        assert hasattr(obj, part), f"{path} does not exist"
        obj = getattr(obj, part)
    return obj


def test_every_header_function_is_in_the_table_and_in_lib():
    functions = header_functions()
    assert len(functions) > 130
    assert all(hasattr(lib, name) for name in functions)
    rows = table()
    assert sorted(functions - set(rows)) == []
    assert sorted(set(rows) - functions) == []


def test_every_python_name_in_the_table_exists():
    for function, python in table().items():
        if python.startswith("not wrapped: "):
            continue
        keyword = KEYWORD.search(python)
        if keyword:
            name, owner = keyword.groups()
            assert re.search(rf"\b{name}\b", inspect.getsource(inspect.getmodule(resolve(owner)))), function
            continue
        path = re.search(r"`([A-Za-z_][\w.]*)", python).group(1)
        resolve(path)
