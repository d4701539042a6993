"""cffi builder for ``aeron_cffi._aeron`` (API mode, out of line).

Run by setuptools through ``cffi_modules`` on ``pip install .`` / ``pip install -e .``
/ ``pip wheel .``, or directly (``python build_ffi.py``) to build in place.

1. ``vendor/aeron/aeron_build.py`` fetches and builds the pinned Aeron release
   (cached: a second run does nothing).
2. ``ffibuild.cdef`` generates the cdef from the three public headers.
3. The extension links Aeron's static PIC libraries, so it needs nothing of the
   build tree at run time; the statically linked ``aeronmd`` is copied into the
   package (``aeron_cffi/bin/aeronmd``) so ``pip install`` ships a media driver.
"""

from __future__ import annotations

import filecmp
import os
import pathlib
import shutil
import sys

import cffi

ROOT = pathlib.Path(__file__).resolve().parent
sys.path[:0] = [str(ROOT), str(ROOT / "vendor" / "aeron")]

import aeron_build  # noqa: E402  (vendor/aeron/aeron_build.py)
from ffibuild import cdef  # noqa: E402

HELPERS = ROOT / "ffibuild" / "helpers.c"
HELPERS_CDEF = ROOT / "ffibuild" / "helpers.cdef"  # what helpers.c adds to the C surface
PACKAGED_AERONMD = ROOT / "aeron_cffi" / "bin" / "aeronmd"


def _package_aeronmd(built: aeron_build.AeronBuild) -> None:
    """Copy the driver into the package: unchanged files are left alone, and a new one
    replaces the old by rename, because a running aeronmd keeps its file busy."""
    source = built.executable("aeronmd_s")
    if PACKAGED_AERONMD.is_file() and filecmp.cmp(source, PACKAGED_AERONMD, shallow=False):
        return
    PACKAGED_AERONMD.parent.mkdir(exist_ok=True)
    staged = PACKAGED_AERONMD.with_name(".aeronmd.tmp")
    shutil.copy2(source, staged)
    os.replace(staged, PACKAGED_AERONMD)


def make_builder() -> cffi.FFI:
    built = aeron_build.build()
    _package_aeronmd(built)
    generated = cdef.generate(built.headers, built.source_dir)

    builder = cffi.FFI()
    builder.cdef(generated.text + HELPERS_CDEF.read_text())
    builder.set_source(
        "aeron_cffi._aeron",
        "".join(f'#include "{name}"\n' for name in generated.source_includes) + HELPERS.read_text(),
        include_dirs=[str(d) for d in built.include_dirs],
        extra_objects=[str(lib) for lib in built.static_libs],
        libraries=["uuid", "dl", "m", "pthread"],
        extra_compile_args=["-O2"],
    )
    return builder


ffibuilder = make_builder()

if __name__ == "__main__":
    ffibuilder.compile(tmpdir=str(ROOT), verbose=False)
