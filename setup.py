"""The compiled part of the build; everything else is in pyproject.toml.

Aeron is fetched and built, and the cffi C source generated, inside ``build_ext``: only
when the extension is really built (a wheel, ``pip install``, an editable install), so
an sdist or a metadata query never compiles anything. The wheel is tagged abi3 for
CPython >= 3.10, the stable ABI the extension is compiled against (build_ffi.LIMITED_API).
Importing ``build_ffi`` builds nothing.
"""

from __future__ import annotations

import pathlib
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
import build_ffi  # noqa: E402

EXTENSION = "aeron_cffi._aeron"


class BuildAeronExtension(build_ext):
    """Builds Aeron, generates the cffi C source and compiles it; puts aeronmd and
    Aeron's licence beside it (in the build tree for a wheel, and in the source tree
    too for in-place builds)."""

    def run(self) -> None:
        aeron = build_ffi.aeron_build.build()
        generated = build_ffi.make_builder(aeron).distutils_extension(tmpdir=self.build_temp, verbose=False)
        (ext,) = self.extensions
        for field in ("sources", "include_dirs", "define_macros", "libraries", "extra_objects", "extra_compile_args"):
            setattr(ext, field, getattr(generated, field))
        super().run()
        build_ffi.package_native_files(aeron, pathlib.Path(self.build_lib) / "aeron_cffi")
        if self.inplace:
            build_ffi.package_native_files(aeron, ROOT / "aeron_cffi")


setup(
    ext_modules=[Extension(EXTENSION, sources=[], py_limited_api=True)],
    cmdclass={"build_ext": BuildAeronExtension},
    options={"bdist_wheel": {"py_limited_api": build_ffi.LIMITED_API_TAG}},
)
