"""``mypy --strict`` is clean for the whole package and for a user program of its public
API (tests/typing/user_program.py), as a strict user would run it."""

from __future__ import annotations

import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_the_package_and_a_user_program_pass_mypy_strict():
    # The cache lives in the venv: a first run analyses typeshed and pytest too (about
    # 30 s on a busy machine), later runs only what changed.
    completed = subprocess.run(
        # explicit package bases: module names from this checkout's root, whatever stray
        # __init__.py a parent directory holds (one in /tmp made mypy see the files twice)
        [sys.executable, "-m", "mypy", "--strict", "--explicit-package-bases",
         "--cache-dir", str(ROOT / ".venv" / "mypy-cache"),
         "--no-error-summary",
         "aeron_cffi", "tests/typing/user_program.py"],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stdout[-5000:] + completed.stderr[-2000:]
    assert completed.stdout == ""
