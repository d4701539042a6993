"""The benchmark command runs end to end (``--quick``) and reports every scenario.

No timing thresholds: only that each scenario produced a positive figure for every
metric from C, Java and Python (Java and Python for Cluster, C and Python for the
queue), and that ratios to the baseline (C, or Java for Cluster) are computed.
"""

from __future__ import annotations

import json
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
SCENARIOS = {"ipc-throughput-32B", "ipc-throughput-1KiB", "ping-pong-ipc", "ping-pong-udp", "archive-throughput",
             "cluster-echo-round-trip", "cluster-echo-throughput", "queue-throughput"}
# Cluster has no C API: its scenarios compare a Python service with a Java one.
LANGUAGES = {"c": {"c", "java", "python"}, "java": {"java", "python"}}
#: The queue stands beside the raw recording in C; Aeron has no queue of this kind in Java.
C_AND_PYTHON = {"queue-throughput"}


def test_quick_run_reports_every_scenario_for_every_language(tmp_path):
    out = tmp_path / "results.json"
    completed = subprocess.run([sys.executable, "-m", "benchmarks", "--quick", "--json", str(out)], cwd=ROOT,
                               capture_output=True, text=True, timeout=420)
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-5000:]
    report = json.loads(out.read_text())

    assert report["quick"] is True and report["settings"]["repetitions"] == 1
    assert report["machine"]["cores"] >= 1 and report["aeron_version"]
    assert {s["name"] for s in report["scenarios"]} == SCENARIOS
    for scenario in report["scenarios"]:
        assert scenario["metrics"] and scenario["unit"]
        languages = {"c", "python"} if scenario["name"] in C_AND_PYTHON else LANGUAGES[scenario["baseline"]]
        assert {r["language"] for r in scenario["results"]} == languages
        for result in scenario["results"]:
            assert result["errors"] == [], (scenario["name"], result["implementation"])
            assert len(result["runs"]) == 1
            for metric in scenario["metrics"]:
                assert result["median"][metric] > 0, (scenario["name"], result["implementation"], metric)
                assert result["ratio"][metric] > 0
            if result["language"] == scenario["baseline"]:
                assert all(r == 1.0 for r in result["ratio"].values())
    assert "÷ C" in completed.stdout and "÷ Java" in completed.stdout


def test_per_call_costs_run_and_report_every_operation():
    completed = subprocess.run([sys.executable, "-m", "benchmarks.percall", "--rounds", "1", "--round", "64"],
                               cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-5000:]
    figures = {line.rsplit(None, 2)[0]: float(line.split()[-2])
               for line in completed.stdout.splitlines() if line.endswith("ns/msg")}
    assert {"offer 32 B bytes", "poll(handler) 32 B", "CopyingPoller.poll(handler) 32 B",
            "BatchPoller.poll 32 B"} <= set(figures)
    assert all(value > 0 for value in figures.values()), figures
