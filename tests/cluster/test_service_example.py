"""``examples/cluster_echo.py`` runs: a Python echo service on a launched node answers a client."""

from __future__ import annotations

import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_cluster_echo_example_echoes_and_shuts_down() -> None:
    result = subprocess.run([sys.executable, str(ROOT / "examples" / "cluster_echo.py"), "--messages", "3"],
                            capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert [line for line in lines if line.startswith("client:")] == [f"client: echoed hello {i}" for i in range(3)]
    assert "service: terminating" in lines
    assert "ClusterTool shutdown: ok" in lines
    assert "node exited with 0" in lines
