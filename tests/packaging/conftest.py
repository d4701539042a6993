"""The packaging suite's artefacts, built once per session from this checkout: the sdist
(``python -m build --sdist``) and the repaired abi3 manylinux wheel (``pip wheel`` over
the Aeron build already in ``vendor/aeron/build``, then ``auditwheel repair``).

Installing the sdist builds Aeron from scratch, the one slow step (a minute of CPU), so
it starts in the background as soon as the sdist exists, while the wheel is built and
tested, when the session has a test that needs it (``sdist_venv``)."""

from __future__ import annotations

import concurrent.futures
import dataclasses
import os
import pathlib
import sys

import pytest

from packaging_support import PLATFORM, ROOT, SDIST_PYTHON, TOOLS, clean_env, fresh_venv, path_without_cargo, pyenv_python, run


@dataclasses.dataclass(frozen=True)
class Artefacts:
    sdist: pathlib.Path
    sdist_build_output: str
    wheel: pathlib.Path  # repaired: cp310-abi3-manylinux
    # The sdist installing into a fresh venv of SDIST_PYTHON (its python), with no cargo on PATH.
    sdist_install: concurrent.futures.Future[pathlib.Path] | None


@pytest.fixture(scope="session")
def artefacts(request, tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    built = run(sys.executable, "-m", "build", "--sdist", "--no-isolation", "-o", out, ROOT, env=clean_env())
    (sdist,) = out.glob("aeron_cffi-*.tar.gz")
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as background:
        sdist_install = None
        if any("sdist_venv" in item.fixturenames for item in request.session.items):
            sdist_install = background.submit(fresh_venv, pyenv_python(SDIST_PYTHON),
                                              tmp_path_factory.mktemp("sdist") / "venv", sdist,
                                              env=clean_env(PATH=path_without_cargo()))
        run(sys.executable, "-m", "pip", "wheel", "-q", "--no-build-isolation", "--no-deps", "-w", out / "raw", ROOT,
            env=clean_env())
        (raw,) = (out / "raw").glob("aeron_cffi-*.whl")
        run(TOOLS / "auditwheel", "repair", "--plat", PLATFORM, "-w", out / "wheel", raw,
            env=clean_env(PATH=f"{TOOLS}{os.pathsep}{os.environ['PATH']}"))
        (wheel,) = (out / "wheel").glob("aeron_cffi-*.whl")
        yield Artefacts(sdist, built.stdout + built.stderr, wheel, sdist_install)


@pytest.fixture(scope="session")
def sdist_venv(artefacts) -> pathlib.Path:
    """The python of a fresh venv where the sdist was installed (built with no cargo on PATH)."""
    return artefacts.sdist_install.result()
