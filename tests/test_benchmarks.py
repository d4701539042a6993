"""The benchmark command runs end to end (``--quick``) and reports every scenario.

No timing thresholds: only that each scenario produced a positive figure for every
metric from C, Java and Python (Java and Python for Cluster, C and Python for the
queue), and from pyaeron, the peer, in the IPC and ping-pong scenarios; and that ratios
to the baseline (C, or Java for Cluster), and our Python rows' ratios to pyaeron, are
computed. pyaeron comes from the package registry into .venv-peers (benchmarks.peers):
if it cannot be had, these tests fail and say why.
"""

from __future__ import annotations

import json
import pathlib
import subprocess
import sys

import pytest

from benchmarks import peers

ROOT = pathlib.Path(__file__).resolve().parent.parent
SCENARIOS = {"ipc-throughput-32B", "ipc-throughput-1KiB", "ping-pong-ipc", "ping-pong-udp", "archive-throughput",
             "cluster-echo-round-trip", "cluster-echo-throughput", "queue-throughput"}
# Cluster has no C API: its scenarios compare a Python service with a Java one.
LANGUAGES = {"c": {"c", "java", "python"}, "java": {"java", "python"}}
#: The queue stands beside the raw recording in C; Aeron has no queue of this kind in Java.
C_AND_PYTHON = {"queue-throughput"}
#: pyaeron (issue 13) runs beside our Python rows in these.
WITH_PYAERON = {"ipc-throughput-32B", "ipc-throughput-1KiB", "ping-pong-ipc", "ping-pong-udp"}
PERCALL_PEER_ROWS = {"offer 32 B bytes", "offer 1 KiB bytes", "poll(handler) 32 B", "poll(handler) 1 KiB",
                     "poll(handler, view=True) 32 B", "poll(handler, view=True) 1 KiB"}


@pytest.fixture(scope="module")
def peer_python() -> str:
    """The peers' venv, made here first (a failure says which step failed and why)."""
    try:
        return peers.python()
    except peers.PeerUnavailable as exc:
        pytest.fail(f"pyaeron, the peer the benchmarks compare with, cannot be had: {exc}")


def test_quick_run_reports_every_scenario_for_every_language(tmp_path, peer_python):
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
        if scenario["name"] in WITH_PYAERON:
            languages = languages | {"pyaeron"}
            assert scenario["peer"] == "pyaeron"
        assert {r["language"] for r in scenario["results"]} == languages
        for result in scenario["results"]:
            assert result["errors"] == [], (scenario["name"], result["implementation"])
            assert len(result["runs"]) == 1
            for metric in scenario["metrics"]:
                assert result["median"][metric] > 0, (scenario["name"], result["implementation"], metric)
                assert result["ratio"][metric] > 0
            if result["language"] == scenario["baseline"]:
                assert all(r == 1.0 for r in result["ratio"].values())
            if scenario["name"] in WITH_PYAERON and result["language"] == "python":
                assert all(result["peer_ratio"][m] > 0 for m in scenario["metrics"]), result["implementation"]
            else:
                assert result["peer_ratio"] is None
    assert "÷ C" in completed.stdout and "÷ Java" in completed.stdout
    assert "÷ pyaeron" in completed.stdout and "pyaeron ÷" in completed.stdout
    assert report["peers"]["pyaeron"].startswith(f"pyaeron {peers.PYAERON_VERSION} ")


def test_per_call_costs_run_and_report_every_operation():
    completed = subprocess.run([sys.executable, "-m", "benchmarks.percall", "--rounds", "1", "--round", "64"],
                               cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-5000:]
    figures = {line.rsplit(None, 2)[0]: float(line.split()[-2])
               for line in completed.stdout.splitlines() if line.endswith("ns/msg")}
    assert {"offer 32 B bytes", "poll(handler) 32 B", "poll(handler, view=True) 32 B",
            "CopyingPoller.poll(handler) 32 B", "BatchPoller.poll 32 B"} <= set(figures)
    assert all(value > 0 for value in figures.values()), figures


def test_per_call_costs_beside_pyaeron(peer_python):
    completed = subprocess.run([sys.executable, "-m", "benchmarks.percall", "--rounds", "1", "--round", "64",
                                "--peer", "pyaeron"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-5000:]
    figures = {line.rsplit(None, 2)[0]: float(line.split()[-2])
               for line in completed.stdout.splitlines() if line.endswith("ns/msg")}
    assert set(figures) == PERCALL_PEER_ROWS | {f"pyaeron {row}" for row in PERCALL_PEER_ROWS}
    assert all(value > 0 for value in figures.values()), figures
    ratios = {line.rsplit(None, 1)[0].strip(): float(line.split()[-1])
              for line in completed.stdout.split("ours ÷ pyaeron", 1)[1].splitlines()[1:]}
    assert set(ratios) == PERCALL_PEER_ROWS and all(r > 0 for r in ratios.values()), ratios
    assert f"pyaeron {peers.PYAERON_VERSION} " in completed.stdout and "Python 3.12." in completed.stdout
