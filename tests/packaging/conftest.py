"""The packaging suite's artefacts, built once per session from this checkout: the sdist
(``python -m build --sdist``) and the repaired abi3 manylinux wheel (``pip wheel`` over
the Aeron build already in ``vendor/aeron/build``, then ``auditwheel repair``).

Installing the sdist builds Aeron from scratch, the one slow step (a minute of CPU), and
every supported Python does it, as a user without a matching wheel would. So the
installs start in the background as soon as the sdist exists, while the wheel is built
and tested, for the Pythons the session's tests ask for (``sdist_installs``). They share
a compiler cache (ccache): the first builds Aeron alone, filling it; the others, two at a
time (the machine has two cores), still unpack, configure, build and install the sdist
each, but take Aeron's objects from the cache. Only the extension, compiled against
each Python's own headers, is compiled again."""

from __future__ import annotations

import concurrent.futures
import dataclasses
import os
import pathlib
import shutil
import sys
from collections.abc import Mapping

import pytest

from packaging_support import (PLATFORM, PYTHONS, ROOT, TOOLS, clean_env, compiler_cache_env, fresh_venv,
                               path_without_cargo, pyenv_python, run)


@dataclasses.dataclass(frozen=True)
class SdistInstall:
    python: pathlib.Path  # of the fresh venv the sdist was installed into
    compiler_log: pathlib.Path  # ccache's stats log of its build (packaging_support.compiler_cache_outcomes)


@dataclasses.dataclass(frozen=True)
class Artefacts:
    sdist: pathlib.Path
    sdist_build_output: str
    wheel: pathlib.Path  # repaired: cp310-abi3-manylinux
    # By Python version, in build order: the sdist installing into a fresh venv of it, with no cargo on PATH.
    sdist_installs: Mapping[str, concurrent.futures.Future[SdistInstall]]


def sdist_versions(session: pytest.Session) -> list[str]:
    """The Pythons whose sdist install a test of this session asks for (all of them for a
    test not parametrized by ``version``), in the order tests use them."""
    wanted: list[str] = []
    for item in session.items:
        if "sdist_installs" in item.fixturenames:
            params = item.callspec.params if hasattr(item, "callspec") else {}
            wanted += [params["version"]] if "version" in params else PYTHONS
    return list(dict.fromkeys(wanted))


def install_sdist(sdist: pathlib.Path, version: str, where: pathlib.Path, compiler_cache: pathlib.Path,
                  after: concurrent.futures.Future[SdistInstall] | None) -> SdistInstall:
    """Install ``sdist`` into a fresh venv of pyenv's ``version`` at ``where``, with no cargo
    on PATH (the pinned crate comes from cargo's cache), once ``after`` (the install that
    fills the compiler cache) has ended."""
    if after is not None:
        concurrent.futures.wait([after])  # its failure is its own test's; this one still builds
    build_root = where / "tmp"
    build_root.mkdir(parents=True)
    compiler_log = where / "ccache-stats.log"
    env = clean_env(PATH=path_without_cargo(), **compiler_cache_env(compiler_cache, build_root, compiler_log))
    return SdistInstall(fresh_venv(pyenv_python(version), where / "venv", sdist, env=env), compiler_log)


@pytest.fixture(scope="session")
def artefacts(request, tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    built = run(sys.executable, "-m", "build", "--sdist", "--no-isolation", "-o", out, ROOT, env=clean_env())
    (sdist,) = out.glob("aeron_cffi-*.tar.gz")
    compiler_cache = tmp_path_factory.mktemp("ccache")
    versions = sdist_versions(request.session)
    assert not versions or shutil.which("ccache"), "the sdist installs build through ccache: ci/bootstrap installs it"
    # Two workers: the first install and, waiting for it, the second; then two builds at a time.
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as background:
        sdist_installs: dict[str, concurrent.futures.Future[SdistInstall]] = {}
        first = None
        for version in versions:
            sdist_installs[version] = background.submit(install_sdist, sdist, version,
                                                        tmp_path_factory.mktemp(f"sdist-{version}"), compiler_cache,
                                                        first)
            first = first or sdist_installs[version]
        run(sys.executable, "-m", "pip", "wheel", "-q", "--no-build-isolation", "--no-deps", "-w", out / "raw", ROOT,
            env=clean_env())
        (raw,) = (out / "raw").glob("aeron_cffi-*.whl")
        run(TOOLS / "auditwheel", "repair", "--plat", PLATFORM, "-w", out / "wheel", raw,
            env=clean_env(PATH=f"{TOOLS}{os.pathsep}{os.environ['PATH']}"))
        (wheel,) = (out / "wheel").glob("aeron_cffi-*.whl")
        yield Artefacts(sdist, built.stdout + built.stderr, wheel, sdist_installs)


@pytest.fixture(scope="session")
def sdist_installs(artefacts) -> Mapping[str, concurrent.futures.Future[SdistInstall]]:
    """By Python version, in build order, the sdist installing into a fresh venv of it
    (built with no cargo on PATH): ``.result()`` waits for it."""
    return artefacts.sdist_installs
