"""``benchmarks/run recoverylog --quick`` runs end to end and reports every figure
(no timing thresholds: the machine's load decides the numbers)."""

import json
import subprocess

from recoverylog_support import REPO


def test_quick_recoverylog_benchmark_reports_its_ratios(tmp_path):
    out = tmp_path / "recoverylog.json"
    completed = subprocess.run(["sh", str(REPO / "benchmarks" / "run"), "recoverylog", "--quick", "--json", str(out)],
                               cwd=REPO, capture_output=True, text=True, timeout=180)
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    report = json.loads(out.read_text())
    assert set(report["median"]) == {"plain_full_tps", "plain_off_tps", "recorded_tps", "barrier_share",
                                      "playback_mbps", "raw_replay_mbps"}
    assert all(value > 0 for value in report["median"].values())  # every figure measured (none is ever None)
    assert set(report["ratios"]) == {"recorded_vs_plain_full", "recorded_vs_plain_off", "playback_vs_raw_replay"}
    assert all(ratio > 0 for ratio in report["ratios"].values())
    assert "÷ FULL" in completed.stdout and "÷ raw" in completed.stdout
