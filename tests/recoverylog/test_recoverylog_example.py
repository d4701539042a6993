"""examples/recovered_sqlite.py runs and tells the story it promises."""

import subprocess
import sys

from recoverylog_support import REPO


def test_recovered_sqlite_example():
    result = subprocess.run([sys.executable, str(REPO / "examples" / "recovered_sqlite.py"), "--transactions", "40"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    total = sum(100 * i for i in range(40))
    assert lines[1].startswith("host A committed 40 transactions")
    assert lines[2] == f"host B played the log back: 40 accounts, balance {total}, integrity ok"
    assert lines[3] == "host A is fenced: Fenced"
    assert lines[4] == f"host B carries on: 40 accounts, balance {total + 40}"
