"""cffi builder for ``aeron_cffi._aeron`` (API mode, out of line).

``setup.py``'s ``build_ext`` calls ``make_builder`` only when the extension is really
built (``pip install .``, ``pip wheel .``, an editable install), never for an sdist
or for metadata. ``python build_ffi.py`` builds in place, for working on the tree.

1. ``vendor/aeron/aeron_build.py`` fetches and builds the pinned Aeron release
   (cached: a second run does nothing).
2. ``ffibuild.cdef`` generates the cdef from the three public headers.
3. The extension links Aeron's static PIC libraries, so it needs nothing of the
   build tree at run time.
   It is compiled against Python's limited API of 3.10, so one abi3 wheel serves
   every CPython >= 3.10. ``package_native_files`` puts the driver executable and
   Aeron's licence beside it.
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

__all__ = ["LIMITED_API", "LIMITED_API_TAG", "make_builder", "package_native_files"]

HELPERS = ROOT / "ffibuild" / "helpers.c"
HELPERS_CDEF = ROOT / "ffibuild" / "helpers.cdef"  # what helpers.c and hot_paths.c add to the C surface
# aeron_cffi._hot: the per-message paths as CPython methods holding the GIL (see its comment)
HOT_PATHS = ROOT / "ffibuild" / "hot_paths.c"
# The oldest CPython whose stable ABI the extension is built for, as Py_LIMITED_API
# and as the wheel's tag (cp310-abi3).
_OLDEST_PYTHON = (3, 10)
LIMITED_API = (_OLDEST_PYTHON[0] << 24) | (_OLDEST_PYTHON[1] << 16)
LIMITED_API_TAG = "cp{}{}".format(*_OLDEST_PYTHON)


def _install(source: pathlib.Path, target: pathlib.Path) -> None:
    """Copy ``source`` to ``target``: an unchanged file is left alone, and a new one replaces
    the old by rename, because a running aeronmd keeps its file busy."""
    if target.is_file() and filecmp.cmp(source, target, shallow=False):
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    staged = target.with_name(f".{target.name}.tmp")
    shutil.copy2(source, staged)
    os.replace(staged, target)


def package_native_files(built: aeron_build.AeronBuild, package_dir: pathlib.Path) -> None:
    """Put into the package what ships beside the extension: the driver executable
    (``bin/aeronmd``) and the licence of the Aeron code linked into both (``licenses/aeron/``)."""
    _install(built.executable("aeronmd_s"), package_dir / "bin" / "aeronmd")
    _install(built.source_dir / "LICENSE", package_dir / "licenses" / "aeron" / "LICENSE")


def make_builder(built: aeron_build.AeronBuild) -> cffi.FFI:
    """The FFI of ``aeron_cffi._aeron`` over a finished Aeron build."""
    generated = cdef.generate(built.headers, built.source_dir)
    builder = cffi.FFI()
    builder.cdef(generated.text + HELPERS_CDEF.read_text())
    builder.set_source(
        "aeron_cffi._aeron",
        "".join(f'#include "{name}"\n' for name in generated.source_includes) + HELPERS.read_text()
        + HOT_PATHS.read_text(),
        include_dirs=[str(d) for d in built.include_dirs],
        extra_objects=[str(lib) for lib in built.static_libs],
        # libuuid.so: distributions build libuuid.a without -fPIC, so a shared object
        # cannot take it in; the wheel's repair step (auditwheel) bundles the .so instead.
        libraries=["uuid", "dl", "m", "pthread"],
        # cffi would define a version-less Py_LIMITED_API; ours pins the 3.10 stable ABI.
        define_macros=[("Py_LIMITED_API", hex(LIMITED_API))],
        py_limited_api=True,
        extra_compile_args=["-O2"],
    )
    return builder


if __name__ == "__main__":
    aeron = aeron_build.build()
    package_native_files(aeron, ROOT / "aeron_cffi")
    make_builder(aeron).compile(tmpdir=str(ROOT), verbose=False)
