"""Generate the cffi cdef from Aeron's public C headers (DESIGN.md section 3).

The cdef is never written by hand: the C preprocessor expands the three public
headers (``aeronc.h``, ``aeronmd.h``, ``aeron_archive.h``), and this module keeps
what those headers (and the Aeron headers they include) declare, dropping every
system header. Then it makes the text digestible by cffi:

* structs declared under ``#pragma pack`` end with ``...;`` so cffi takes their
  layout from the compiler instead of guessing it, and array lengths that are
  expressions become ``...`` for the same reason;
* object-like ``#define``s become constants: integer expressions as
  ``#define NAME ...`` (the compiler supplies the value), strings as
  ``static const char *const NAME;``;
* every callback typedef ``R (*aeron_x_t)(args)`` gets an ``extern "Python"``
  trampoline named ``trampoline_name("aeron_x_t")`` with the same signature.

Two internal headers contribute their integer literal ``#define``s and nothing else
(``DEFINES_ONLY_HEADERS``): the driver's error codes (``AERON_ERROR_CODE_*``) that a
failed registration carries, and the driver's counter type ids and system counter ids
(``AERON_COUNTER_*_TYPE_ID``, ``AERON_SYSTEM_COUNTER_ID_*``) that stat tools filter
on, are declared only there. The extension's source includes
it (``Cdef.source_includes``) so the compiler supplies the values, but the cdef takes
no functions or types from it.
"""

from __future__ import annotations

import dataclasses
import pathlib
import re
import subprocess
import tempfile

_LINEMARKER = re.compile(r'^# (\d+) "([^"]*)"')
_DEFINE = re.compile(r"^#define (\w+)(\([^)]*\))?\s*(.*)$")
_CALLBACK_TYPEDEF = re.compile(r"typedef\s+([^;(){}]+?)\(\s*\*\s*(\w+)\s*\)\s*\(([^;]*?)\)\s*;", re.S)
_FUNCTION_DECL = re.compile(r"^[\w\s\*]+?\b(aeron_\w+)\s*\(", re.M)
_ARRAY_EXPRESSION = re.compile(r"\[([^\]]*[^\]\d\s][^\]]*)\]")
_INTEGER_LITERAL = re.compile(r"^\(?\s*(-?(?:0x[0-9a-fA-F]+|\d+))\s*\)?$")

# relative to the Aeron source root
DEFINES_ONLY_HEADERS = (
    "aeron-client/src/main/c/command/aeron_control_protocol.h",
    "aeron-client/src/main/c/aeron_counters.h",
)


@dataclasses.dataclass(frozen=True)
class Cdef:
    """The generated cdef text plus what it was made of (for the build and tests)."""

    text: str
    functions: tuple[str, ...]
    callbacks: dict[str, str]  # callback typedef -> trampoline name
    integer_constants: tuple[str, ...]
    string_constants: tuple[str, ...]
    source_includes: tuple[str, ...]  # what the extension's C source #includes


def trampoline_name(callback_typedef: str) -> str:
    """``aeron_fragment_handler_t`` -> ``aeron_cffi_on_fragment_handler``."""
    stem = callback_typedef.removeprefix("aeron_").removesuffix("_t")
    return f"aeron_cffi_on_{stem}"


def preprocess(headers: list[str], include_dirs: list[pathlib.Path], cc: str = "cc") -> str:
    """The preprocessor's output (with line markers and ``#define``s) for ``headers``."""
    with tempfile.NamedTemporaryFile("w", suffix=".h") as wrapper:
        wrapper.write("".join(f'#include "{h}"\n' for h in headers))
        wrapper.flush()
        cmd = [cc, "-E", "-dD", *(f"-I{d}" for d in include_dirs), wrapper.name]
        return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


def _aeron_lines(preprocessed: str, aeron_root: pathlib.Path) -> list[str]:
    """The lines that come from Aeron's own headers, in order."""
    root = str(aeron_root.resolve())
    keep, lines = False, []
    for line in preprocessed.splitlines():
        marker = _LINEMARKER.match(line)
        if marker:
            keep = str(pathlib.Path(marker.group(2)).resolve()).startswith(root)
        elif keep and line.strip():
            lines.append(line)
    return lines


def _split_defines(lines: list[str]) -> tuple[list[str], dict[str, str]]:
    """Separate declarations from object-like macros (name -> body)."""
    declarations, macros = [], {}
    for line in lines:
        define = _DEFINE.match(line)
        if define:
            name, params, body = define.groups()
            if params is None and body and name.startswith(("AERON_", "ARCHIVE_")):
                macros[name] = body.strip()
        elif not line.startswith("#") or line.startswith("#pragma pack"):
            declarations.append(line)
    return declarations, macros


def literal_defines(header: pathlib.Path) -> list[str]:
    """The ``AERON_*`` macros of ``header`` whose body is an integer literal."""
    names = []
    for line in header.read_text().splitlines():
        define = _DEFINE.match(line.strip())
        if define and define.group(2) is None and define.group(1).startswith("AERON_") and \
                _INTEGER_LITERAL.match(define.group(3).strip()):
            names.append(define.group(1))
    return names


def _cffi_declarations(declarations: list[str]) -> list[str]:
    """Top-level declarations, rewritten where cffi cannot parse or must not guess,
    each once (the headers repeat some typedefs, which C allows and cffi does not)."""
    statements, current, packed, depth = {}, [], False, 0
    for line in declarations:
        if line.startswith("#pragma pack"):
            packed = "pop" not in line  # push / pack(N) open a packed region, pop ends it
            continue
        line = _ARRAY_EXPRESSION.sub("[...]", line)
        opened, closed = line.count("{"), line.count("}")
        if packed and closed and depth + opened - closed == 0:
            # closing brace of a packed struct: let the compiler fill in the layout
            line = line.replace("}", "...; }", 1)
        depth += opened - closed
        current.append(line)
        if depth == 0 and line.rstrip().endswith(";"):
            statement = "\n".join(current)
            statements.setdefault(" ".join(statement.split()), statement)
            current = []
    return list(statements.values())


def generate(headers: dict[str, pathlib.Path], aeron_root: pathlib.Path, cc: str = "cc") -> Cdef:
    """Build the cdef for ``headers`` (name -> path) found under ``aeron_root``."""
    include_dirs = sorted({p.parent for p in headers.values()})
    lines = _aeron_lines(preprocess(list(headers), include_dirs, cc), aeron_root)
    declarations, macros = _split_defines(lines)
    body = "\n".join(_cffi_declarations(declarations))

    strings = tuple(sorted(n for n, v in macros.items() if v.startswith('"')))
    integers = tuple(sorted(n for n, v in macros.items() if not v.startswith('"')))
    defines_only = [aeron_root / header for header in DEFINES_ONLY_HEADERS]
    integers += tuple(name for header in defines_only for name in literal_defines(header) if name not in macros)
    includes = tuple(headers) + tuple(
        str(path.relative_to(next(d for d in include_dirs if path.is_relative_to(d)))) for path in defines_only)
    callbacks = {m.group(2): trampoline_name(m.group(2)) for m in _CALLBACK_TYPEDEF.finditer(body)}
    functions = tuple(dict.fromkeys(_FUNCTION_DECL.findall(_without_typedefs(body))))

    parts = [body]
    parts += [f"#define {name} ..." for name in integers]
    parts += [f"static const char *const {name};" for name in strings]
    for match in _CALLBACK_TYPEDEF.finditer(body):
        result, typedef, params = match.groups()
        parts.append(f'extern "Python" {result.strip()} {callbacks[typedef]}({params.strip()});')
    return Cdef("\n".join(parts) + "\n", functions, callbacks, integers, strings, includes)


def _without_typedefs(text: str) -> str:
    return _CALLBACK_TYPEDEF.sub("", text)
