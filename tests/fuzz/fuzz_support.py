"""Running the fuzz machines and the regression scripts in child interpreters.

A crash (SIGSEGV, SIGABRT) of the child is a negative exit status; the report then carries
what the child printed and, for the fuzz machines, the steps of the sequence that was running.
Each child runs in a session of its own, which is killed when it ends, so that a driver or an
archive it started cannot outlive a crash.
"""

from __future__ import annotations

import dataclasses
import os
import pathlib
import re
import signal
import subprocess
import sys
import textwrap

MACHINE_SCRIPT = pathlib.Path(__file__).with_name("fuzz_machine.py")
_RESULT = re.compile(r"fuzz: sequences=(\d+) steps=(\d+) seconds=([\d.]+) seed=(\d+)")


@dataclasses.dataclass(frozen=True)
class FuzzRun:
    sequences: int
    steps: int
    seconds: float
    seed: int


def run_child(args: list[str], timeout: float, cwd: str | os.PathLike | None = None) -> subprocess.CompletedProcess:
    """Run ``python args...`` in its own session; kill what is left of the session afterwards."""
    process = subprocess.Popen([sys.executable, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               start_new_session=True, cwd=cwd)
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        stdout, stderr = process.communicate()
        stderr += f"\n(killed after {timeout} s)"
    finally:
        try:
            os.killpg(process.pid, signal.SIGKILL)  # drivers and archives of a child that crashed
        except ProcessLookupError:
            pass
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def describe(result: subprocess.CompletedProcess, tail: int = 6000) -> str:
    status = result.returncode
    if status < 0:
        status = f"{status} ({signal.Signals(-status).name})"
    return f"exit status {status}\n--- stdout\n{result.stdout[-tail:]}\n--- stderr\n{result.stderr[-tail:]}"


def run_fuzz(tmp_path: pathlib.Path, machine: str, examples: int, steps: int = 40, timeout: float = 1200) -> FuzzRun:
    """Run one machine for ``examples`` sequences; fail with the seed, the output and the
    running sequence's steps unless it exits 0. ``AERON_FUZZ_SEED`` replays a seed."""
    trace = tmp_path / f"{machine}-trace.txt"
    args = [str(MACHINE_SCRIPT), "--machine", machine, "--examples", str(examples), "--steps", str(steps),
            "--trace", str(trace), "--dir", str(tmp_path)]
    if os.environ.get("AERON_FUZZ_SEED"):
        args += ["--seed", os.environ["AERON_FUZZ_SEED"]]
    result = run_child(args, timeout)
    found = _RESULT.search(result.stdout)
    if result.returncode != 0 or found is None:
        steps_run = trace.read_text() if trace.exists() else "(no trace)"
        raise AssertionError(f"fuzz machine {machine!r} failed: {describe(result)}\n"
                             f"--- steps of the sequence that was running\n{steps_run[-6000:]}\n"
                             "(replay: AERON_FUZZ_SEED=<seed above> pytest tests/fuzz)")
    run = FuzzRun(int(found[1]), int(found[2]), float(found[3]), int(found[4]))
    print(f"{machine}: {run.sequences} sequences, {run.steps} steps in {run.seconds} s (seed {run.seed})")
    return run


def run_script(code: str, tmp_path: pathlib.Path, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run a regression scenario; it must exit 0 (not by a signal) and print no "Exception
    ignored" (an exception a finalizer or a callback swallowed). The scenario may import
    ``lifetime_child`` (this directory is on its path). Returns the result for the caller to
    check what the scenario printed."""
    path = f"import sys; sys.path.insert(0, {str(MACHINE_SCRIPT.parent)!r})\n"
    result = run_child(["-c", path + textwrap.dedent(code)], timeout, cwd=tmp_path)
    assert result.returncode == 0, describe(result)
    assert "Exception ignored" not in result.stderr, describe(result)
    return result
