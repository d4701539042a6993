"""The packaging suite's artefacts, built once per session from this checkout: the sdist
(``python -m build --sdist``) and the repaired abi3 manylinux wheel (``pip wheel`` over
the Aeron build already in ``vendor/aeron/build``, then ``auditwheel repair``)."""

from __future__ import annotations

import dataclasses
import os
import pathlib
import sys

import pytest

from packaging_support import PLATFORM, ROOT, TOOLS, clean_env, run


@dataclasses.dataclass(frozen=True)
class Artefacts:
    sdist: pathlib.Path
    sdist_build_output: str
    wheel: pathlib.Path  # repaired: cp310-abi3-manylinux


@pytest.fixture(scope="session")
def artefacts(tmp_path_factory) -> Artefacts:
    out = tmp_path_factory.mktemp("dist")
    built = run(sys.executable, "-m", "build", "--sdist", "--no-isolation", "-o", out, ROOT, env=clean_env())
    (sdist,) = out.glob("aeron_cffi-*.tar.gz")
    run(sys.executable, "-m", "pip", "wheel", "-q", "--no-build-isolation", "--no-deps", "-w", out / "raw", ROOT,
        env=clean_env())
    (raw,) = (out / "raw").glob("aeron_cffi-*.whl")
    run(TOOLS / "auditwheel", "repair", "--plat", PLATFORM, "-w", out / "wheel", raw,
        env=clean_env(PATH=f"{TOOLS}{os.pathsep}{os.environ['PATH']}"))
    (wheel,) = (out / "wheel").glob("aeron_cffi-*.whl")
    return Artefacts(sdist, built.stdout + built.stderr, wheel)
