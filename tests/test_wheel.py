"""A built wheel stands alone: installed into a new venv, with the Aeron build tree
moved out of the way, it runs the embedded-driver IPC round trip and the packaged
``aeronmd`` UDP round trip (Aeron is linked statically; the driver ships inside)."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys
import zipfile

ROOT = pathlib.Path(__file__).resolve().parents[1]
AERON_TREES = [ROOT / "vendor" / "aeron" / "build", ROOT / "vendor" / "aeron" / "src"]


def run(*cmd, **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kwargs)
    assert result.returncode == 0, f"{cmd} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


def test_wheel_installs_and_runs_without_the_source_tree(tmp_path: pathlib.Path):
    run(sys.executable, "-m", "pip", "wheel", "--no-build-isolation", "--no-deps", "-w", tmp_path / "dist", ROOT)
    (wheel,) = (tmp_path / "dist").glob("aeron_cffi-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "aeron_cffi/bin/aeronmd" in names
    assert any(n.startswith("aeron_cffi/_aeron") and n.endswith(".so") for n in names)

    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", venv)
    python = venv / "bin" / "python"
    run(python, "-m", "pip", "install", "-q", wheel, "pytest")

    moved = [tree.with_name(tree.name + ".moved-by-test-wheel") for tree in AERON_TREES]
    for tree, away in zip(AERON_TREES, moved):
        tree.rename(away)
    try:
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
        where = run(python, "-I", "-c", "import aeron_cffi, sys; print(aeron_cffi.__file__)", cwd=tmp_path, env=env)
        assert where.stdout.strip().startswith(str(venv))
        result = subprocess.run(
            [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", str(tmp_path),
             str(ROOT / "tests" / "test_raw_live.py"), "-k", "embedded_driver or aeronmd_process"],
            cwd=tmp_path, env=env, capture_output=True, text=True,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert "2 passed" in result.stdout
    finally:
        for tree, away in zip(AERON_TREES, moved):
            away.rename(tree)
