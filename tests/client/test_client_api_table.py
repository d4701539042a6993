"""docs/client-api.md maps every aeronc.h / aeronmd.h function to its Python name or a reason."""

from __future__ import annotations

import inspect
import pathlib
import re

import aeron_cffi

ROOT = pathlib.Path(__file__).resolve().parents[2]
AERON = ROOT / "vendor" / "aeron" / "src" / "libaeron_archive_c_client-sys-1.51.0" / "aeron"
HEADERS = [AERON / "aeron-client/src/main/c/aeronc.h", AERON / "aeron-driver/src/main/c/aeronmd.h"]
DECLARATION = re.compile(r"(?m)^[A-Za-z_][\w \*]*?\b(aeron_\w+)\s*\(")
ROW = re.compile(r"^\| `(aeron_\w+)` \| (.+) \|$", re.M)


def header_functions() -> set[str]:
    names: set[str] = set()
    for header in HEADERS:
        text = re.sub(r"/\*.*?\*/", "", header.read_text(), flags=re.S)
        text = re.sub(r"//[^\n]*", "", text)
        text = re.sub(r"typedef[^;]*;", "", text)
        names.update(n for n in DECLARATION.findall(text) if not n.endswith("_t"))
    return names


def has_attribute(obj: object, name: str) -> bool:
    """A module/class attribute, or an instance attribute a class's ``__init__`` assigns."""
    if hasattr(obj, name):
        return True
    classes = obj.__mro__ if isinstance(obj, type) else ()
    return any(f"self.{name} = " in inspect.getsource(cls) for cls in classes if cls.__module__.startswith("aeron_cffi"))


def table() -> dict[str, str]:
    return dict(ROW.findall((ROOT / "docs" / "client-api.md").read_text()))


def test_every_header_function_is_in_the_table():
    functions = header_functions()
    assert len(functions) > 400
    rows = table()
    missing = sorted(functions - set(rows))
    assert not missing, f"missing from docs/client-api.md: {missing}"
    assert not sorted(set(rows) - functions), "table names functions the headers do not declare"


def test_every_python_name_in_the_table_exists():
    checked = 0
    for function, python in table().items():
        if python.startswith("not wrapped: "):
            assert len(python) > len("not wrapped: ") + 10, f"{function}: give the reason"
            continue
        path = re.match(r"[A-Za-z_][\w.]*", python).group(0)
        obj = aeron_cffi
        for part in path.split("."):
            assert has_attribute(obj, part), f"{function}: {path} does not exist"
            obj = getattr(obj, part, None)
        keyword = re.match(r"\w+\((\w+)=", python)
        if keyword:
            prefix = "aeron_driver_context_set_" if path == "MediaDriver" else "aeron_context_set_"
            assert function == prefix + keyword.group(1) or keyword.group(1) in (
                "termination_validator", "termination_hook", "error_handler", "agent_on_start_function",
                "registration_id"), function
        checked += 1
    assert checked > 350
