"""The README's main job (ci/demo) keeps working: it records, lists and replays."""

from __future__ import annotations

import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_demo_replays_what_it_recorded():
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "record_list_replay.py"), "--messages", "5"],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    recording_id = int(re.search(r"recorded 5 messages as recording (\d+)", result.stdout).group(1))
    assert any(re.match(rf"\s+recording {recording_id}: stream 1001 aeron:ipc\?session-id=-?\d+ positions 0\.\.\d+$", line)
               for line in lines)
    replayed = lines[lines.index("replayed 5 messages:") + 1:]
    assert replayed == [f"  message {i}: recorded by aeron-cffi" for i in range(5)]
