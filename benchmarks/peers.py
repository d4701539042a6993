"""pyaeron, the peer our Python rows are compared with, in a venv of its own.

pyaeron (``pip install pyaeron``) is a hand-written CPython extension over the same
Aeron C client; its wheels are for CPython 3.12 and later, and our ``.venv`` is 3.11. So
the benchmarks make ``.venv-peers/`` on demand (git-ignored) with pyenv's CPython 3.12,
install the pinned pyaeron there, and point a ``.pth`` file at this checkout, so that
``aeron_cffi`` (an abi3 extension, built in the tree) and ``benchmarks`` import there
too: pyaeron's rows, and ours when asked, run on the same interpreter.

``python()`` is idempotent, like ``ci/bootstrap``'s steps: a stamp in the venv records
what it was made from, and a venv that matches is used as it is.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pathlib
import subprocess
from typing import Iterator

ROOT = pathlib.Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv-peers"
LOCK = ROOT / ".venv-peers.lock"
PYTHON_VERSION = "3.12"
PYAERON_VERSION = "0.1.0"
#: pyaeron, and our own runtime dependency (aeron_cffi itself comes from the checkout).
REQUIREMENTS = (f"pyaeron=={PYAERON_VERSION}", "cffi>=1.17")
PTH_NAME = "aeron_cffi_checkout.pth"
STAMP = VENV / ".peers-stamp"


class PeerUnavailable(RuntimeError):
    """The peers' venv could not be made; the message says which step failed and why."""


def base_interpreter() -> pathlib.Path:
    """pyenv's newest CPython 3.12.x (``$(pyenv root)/versions/3.12.*/bin/python``)."""
    root = os.environ.get("PYENV_ROOT")
    if not root:
        try:
            root = subprocess.run(["pyenv", "root"], capture_output=True, text=True, check=True).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            root = str(pathlib.Path.home() / ".pyenv")
    found = [p for p in pathlib.Path(root, "versions").glob(f"{PYTHON_VERSION}.*/bin/python") if p.is_file()]
    if not found:
        raise PeerUnavailable(f"pyaeron needs CPython {PYTHON_VERSION}: no {root}/versions/{PYTHON_VERSION}.* "
                              f"(install it with `pyenv install {PYTHON_VERSION}`)")
    return max(found, key=lambda p: tuple(int(part) for part in p.parent.parent.name.split(".") if part.isdigit()))


def _run(step: str, command: list[str]) -> str:
    completed = subprocess.run(command, capture_output=True, text=True)
    if completed.returncode != 0:
        raise PeerUnavailable(f"{step} failed ({' '.join(command)}, exit status {completed.returncode}):\n"
                              + (completed.stdout + completed.stderr)[-3000:])
    return completed.stdout


@contextlib.contextmanager
def _locked() -> Iterator[None]:
    """One process at a time makes the venv (a test and a benchmark may ask at once)."""
    with open(LOCK, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def python() -> str:
    """The peers' interpreter (``.venv-peers/bin/python``), the venv made or brought up to
    date first. Raises ``PeerUnavailable`` if it cannot be."""
    venv_python = VENV / "bin" / "python"
    with _locked():
        base = base_interpreter()
        wanted = "\n".join([str(base), str(ROOT), *REQUIREMENTS]) + "\n"
        if venv_python.exists() and STAMP.exists() and STAMP.read_text() == wanted:
            return str(venv_python)
        _run(f"making the peers' venv with {base}", [str(base), "-m", "venv", "--clear", str(VENV)])
        _run("installing " + " ".join(REQUIREMENTS),
             [str(venv_python), "-m", "pip", "install", "-q", "--disable-pip-version-check", *REQUIREMENTS])
        site_packages = _run("finding the venv's site-packages", [
            str(venv_python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"]).strip()
        pathlib.Path(site_packages, PTH_NAME).write_text(f"{ROOT}\n")
        _run("importing pyaeron and aeron_cffi in the peers' venv",
             [str(venv_python), "-c", "import pyaeron, aeron_cffi, benchmarks.loops"])
        STAMP.write_text(wanted)
    return str(venv_python)


def describe() -> str:
    """pyaeron's version, its Aeron client's and the interpreter's, from the venv."""
    return _run("asking pyaeron its version", [python(), "-c", (
        "import platform, pyaeron; "
        "print(f'pyaeron {pyaeron.__version__} ({pyaeron.aeron_version}) on Python {platform.python_version()}')")
    ]).strip()


if __name__ == "__main__":
    print(python())
    print(describe())
