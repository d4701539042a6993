"""``examples/queue_worker.py`` runs against the session's archive and says what it did."""

from __future__ import annotations

import pathlib
import re
import subprocess
import sys

EXAMPLE = pathlib.Path(__file__).resolve().parents[2] / "examples" / "queue_worker.py"


def test_the_worker_example_resumes_after_the_first_worker_and_cleans_up(queue_archive):
    result = subprocess.run([sys.executable, str(EXAMPLE), "--jobs", "30", "--aeron-dir", str(queue_archive.aeron_dir),
                             "--control-channel", queue_archive.control_request_channel],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    first, last = map(int, re.fullmatch(r"produced 30 jobs, sequences (\d+)\.\.(\d+)", lines[0]).groups())
    assert last - first == 29
    assert lines[1:3] == ["worker 1 did 15 jobs (JOB 0 .. JOB 14) and stopped",
                          "worker 2 resumed with JOB 15 and did 15 jobs, the last JOB 29"]
    assert lines[3:] == [f"the worker's mark in the archive: {last} (the last job: True)",
                         f"queue: head {last}, tail {last}, length 0"]
