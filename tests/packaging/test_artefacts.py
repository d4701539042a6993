"""What a package index would serve: the sdist is complete and clean, the wheel is one
abi3 manylinux wheel, and both install into fresh venvs and run the smoke tests
(``installed_smoke.py``: pub/sub through the packaged driver, record/replay against the
Java archive, the plugin's fixtures, ``aeron-cffi --version``)."""

from __future__ import annotations

import pathlib
import shutil
import subprocess
import sys
import tarfile
import zipfile

import pytest

import aeron_cffi
from packaging_support import (PLATFORM, PYTHONS, TOOLS, clean_env, compiler_cache_outcomes, fresh_venv,
                               path_without_cargo, pyenv_python, python_version, run, run_smoke_tests)

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "vendor" / "aeron"))
import aeron_build  # noqa: E402

SMOKE_PASSED = "3 passed in "  # the summary line: all three ran (none skipped)
NEEDS_SOURCES = "install cargo (Rust) to fetch the crate"


def test_sdist_is_complete_and_clean(artefacts):
    with tarfile.open(artefacts.sdist) as sdist:
        names = {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name}
    needed = {"LICENSE", "setup.py", "pyproject.toml", "build_ffi.py", "ffibuild/cdef.py", "ffibuild/helpers.c",
              "ffibuild/helpers.cdef", "vendor/aeron/aeron.pin", "vendor/aeron/CMakeLists.txt",
              "vendor/aeron/aeron_build.py"}
    assert needed - names == set()
    built_or_fetched = sorted(name for name in names if name.startswith(
        ("vendor/aeron/src", "vendor/aeron/build", "aeron_cffi/bin", "aeron_cffi/licenses", "build/"))
        or name.endswith((".so", ".o", ".a", ".crate")))
    assert built_or_fetched == []
    # Making the sdist neither fetched nor built Aeron, nor compiled the extension.
    assert "[aeron-build]" not in artefacts.sdist_build_output
    assert "building 'aeron_cffi._aeron'" not in artefacts.sdist_build_output


def test_wheel_is_one_abi3_manylinux_wheel_with_its_licences(artefacts, tmp_path):
    assert artefacts.wheel.name == f"aeron_cffi-{aeron_cffi.__version__}-cp310-abi3-{PLATFORM}.whl"
    shown = " ".join(run(TOOLS / "auditwheel", "show", artefacts.wheel).stdout.split())
    assert f'consistent with the following platform tag: "{PLATFORM}"' in shown
    # abi3audit fails on any symbol outside the stable ABI of the wheel's cp310 tag.
    run(TOOLS / "abi3audit", "--strict", artefacts.wheel)

    with zipfile.ZipFile(artefacts.wheel) as wheel:
        names = wheel.namelist()
        wheel.extract("aeron_cffi/bin/aeronmd", tmp_path)
    assert {"aeron_cffi/_aeron.abi3.so", "aeron_cffi/bin/aeronmd", "aeron_cffi/licenses/aeron/LICENSE",
            f"aeron_cffi-{aeron_cffi.__version__}.dist-info/licenses/LICENSE"} <= set(names)
    # libuuid: bundled for the extension by auditwheel, linked statically into aeronmd.
    assert any(name.startswith("aeron_cffi.libs/libuuid") for name in names)
    dynamic = run("objdump", "-p", tmp_path / "aeron_cffi/bin/aeronmd").stdout
    needed = sorted(line.split()[1] for line in dynamic.splitlines() if line.strip().startswith("NEEDED"))
    assert needed == ["libc.so.6", "libm.so.6"]


@pytest.mark.parametrize("version", PYTHONS)
def test_wheel_runs_on_each_supported_python(artefacts, tmp_path, version):
    venv_python = fresh_venv(pyenv_python(version), tmp_path / "venv", artefacts.wheel)
    assert python_version(venv_python) == version
    assert run_smoke_tests(venv_python, tmp_path / "smoke").startswith(SMOKE_PASSED)


@pytest.mark.parametrize("version", PYTHONS)
def test_sdist_installs_on_each_supported_python_with_cargos_cached_crate_and_no_cargo(sdist_installs, tmp_path,
                                                                                       version):
    pin = aeron_build.read_pin()
    assert aeron_build.cached_crate(pin["AERON_VERSION"], pin["AERON_CRATE_SHA256"]), \
        "ci/bootstrap's cargo fetch should have left the pinned crate in cargo's cache"
    installed = sdist_installs[version].result()
    assert python_version(installed.python) == version
    assert run_smoke_tests(installed.python, tmp_path / "smoke").startswith(SMOKE_PASSED)


def test_only_the_first_sdist_build_compiles_aeron_the_others_take_it_from_the_compiler_cache(sdist_installs):
    """What keeps four sdist builds cheap: each later build's compilations of Aeron's
    sources all hit ccache (each still configures, links and compiles the extension)."""
    (first, *later) = [future.result().compiler_log for future in sdist_installs.values()]
    compiled = {log: {source: outcome for source, outcome in compiler_cache_outcomes(log).items()
                      if aeron_build.CRATE in source} for log in (first, *later)}
    assert len(compiled[first]) > 100 and "miss" in compiled[first].values()
    for log in later:
        assert compiled[log].keys() == compiled[first].keys()
        assert set(compiled[log].values()) == {"hit"}, [s for s, outcome in compiled[log].items() if outcome != "hit"]


def test_without_cargo_or_its_cache_the_build_says_in_one_line_what_it_needs(artefacts, tmp_path):
    shutil.unpack_archive(artefacts.sdist, tmp_path)
    (source,) = tmp_path.glob("aeron_cffi-*")
    failed = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-build-isolation", "--no-deps", "-w", tmp_path / "out", source],
        capture_output=True, text=True, timeout=300,
        env=clean_env(PATH=path_without_cargo(), CARGO_HOME=str(tmp_path / "empty-cargo-home")))
    output = failed.stdout + failed.stderr
    assert failed.returncode != 0
    (line,) = [line for line in output.splitlines() if NEEDS_SOURCES in line]
    assert "or set AERON_SOURCE_DIR" in line
    assert "Traceback" not in output
