"""The tools as a user gets them: the package's wheel (the suite's ``artefacts``) installed
into a fresh venv in a directory outside the repository, and a new project's test file that
uses the plugin's fixtures by name (no conftest, nothing of our tests) and the installed
``aeron-cffi`` command."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys
import textwrap

from packaging_support import ROOT, clean_env, fresh_venv, run

USER_TEST = '''
import json, subprocess, sys, time
import pytest

def wait_for(condition):
    deadline = time.monotonic() + 20
    while not condition():
        assert time.monotonic() < deadline
        time.sleep(0.001)

@pytest.mark.parametrize("aeron_driver", ["embedded", "process"], indirect=True)
def test_record_and_list_with_the_cli(aeron_driver, aeron_java_archive, aeron_archive, aeron_free_port):
    assert aeron_free_port() != aeron_free_port()
    channel = "aeron:ipc?term-length=64k"
    with aeron_archive.add_recorded_publication(channel, 7) as publication:
        wait_for(lambda: publication.offer(b"hello from a user project") > 0)
        wait_for(aeron_archive.list_recordings)
        listed = subprocess.run(
            ["aeron-cffi", "archive", "list", "--json", "--aeron-dir", str(aeron_driver.dir),
             "--control-channel", aeron_java_archive.control_request_channel],
            capture_output=True, text=True, check=True, timeout=60)
    (recording,) = json.loads(listed.stdout)
    assert recording["stream_id"] == 7 and recording["original_channel"].startswith(channel)

def test_client_and_replica(aeron_client, aeron_java_archive_replica, aeron_driver):
    assert aeron_client.client_id >= 0
    assert aeron_java_archive_replica.running
    assert aeron_driver.kind == "embedded"
'''


def test_installed_wheel_gives_the_plugin_and_the_cli_to_a_new_project(artefacts, tmp_path: pathlib.Path):
    assert not tmp_path.is_relative_to(ROOT)
    venv = tmp_path / "venv"
    fresh_venv(pathlib.Path(sys.executable), venv, artefacts.wheel)

    project = tmp_path / "project"
    project.mkdir()
    (project / "test_user.py").write_text(textwrap.dedent(USER_TEST))
    env = clean_env(PATH=f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}")
    result = subprocess.run([venv / "bin" / "python", "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_user.py"],
                            cwd=project, env=env, capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-3000:]
    assert result.stdout.strip().splitlines()[-1].startswith("3 passed in "), result.stdout[-3000:]  # none skipped

    plugins = run(venv / "bin" / "python", "-m", "pytest", "--help", cwd=project, env=env).stdout
    assert "--aeron-driver-kind" in plugins
    where = run(venv / "bin" / "python", "-c", "import aeron_cffi.testing.plugin as p; print(p.__file__)",
                cwd=project, env=env).stdout
    assert where.startswith(str(venv))
    usage = subprocess.run([venv / "bin" / "aeron-cffi", "archive", "describe"], capture_output=True, text=True,
                           env=env)
    assert usage.returncode == 2 and "recording_id" in usage.stderr
