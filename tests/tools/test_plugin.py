"""The pytest plugin in a user's situation: pytest run in a subprocess on a generated
test file that asks for the fixtures by name, then fails, raises KeyboardInterrupt or
kills its archive. Afterwards no process and no directory of those tests is left:
the test lists both before and after, in roots given to the plugin for this run."""

from __future__ import annotations

import json
import re
import os
import pathlib
import subprocess
import sys
import textwrap

import pytest

TEST_FILE = '''
import json, os, signal
import pytest

def note(**parts):
    """Record what the fixtures started, for the outer test to check afterwards."""
    with open(os.environ["RESOURCES_FILE"], "a") as f:
        f.write(json.dumps({k: str(v) for k, v in parts.items()}) + "\\n")

def note_all(driver, java_archive, testbed):
    note(driver_pid=driver.pid, driver_dir=driver.dir, archive_pid=java_archive.pid,
         archive_dir=java_archive.archive_dir, tmp_dir=testbed.tmp_dir, shm_dir=testbed.shm_dir)

@pytest.mark.parametrize("aeron_driver", ["process"], indirect=True)
def test_fails(aeron_driver, aeron_java_archive, aeron_archive, aeron_client, aeron_testbed):
    note_all(aeron_driver, aeron_java_archive, aeron_testbed)
    assert aeron_archive.archive_id == aeron_java_archive.archive_id
    with pytest.raises(Exception):
        aeron_client.add_publication("aeron:udp?endpoint=no-such-host.invalid:40123", 1)
    assert False, "this test fails on purpose"

def test_archive_crashes(aeron_driver, aeron_java_archive, aeron_archive, aeron_testbed):
    note_all(aeron_driver, aeron_java_archive, aeron_testbed)
    os.kill(aeron_java_archive.pid, signal.SIGKILL)
    aeron_java_archive._process.wait()
    with pytest.raises(Exception):
        aeron_archive.list_recordings()

def test_replica_and_session_fixtures(aeron_java_archive_replica_session, aeron_archive_session,
                                      aeron_java_archive_session, aeron_driver_session, aeron_testbed_session,
                                      aeron_free_port):
    note_all(aeron_driver_session, aeron_java_archive_session, aeron_testbed_session)
    note(archive_pid=aeron_java_archive_replica_session.pid, archive_dir=aeron_java_archive_replica_session.archive_dir)
    assert aeron_java_archive_replica_session.archive_id != aeron_java_archive_session.archive_id
    assert aeron_archive_session.archive_id == aeron_java_archive_session.archive_id
    assert aeron_free_port() != aeron_free_port()

@pytest.mark.parametrize("aeron_driver", ["process"], indirect=True)
def test_interrupted(aeron_driver, aeron_java_archive, aeron_testbed):
    note_all(aeron_driver, aeron_java_archive, aeron_testbed)
    if os.environ.get("INTERRUPT") == "KeyboardInterrupt":
        raise KeyboardInterrupt
    if os.environ.get("INTERRUPT") == "SIGTERM":
        os.kill(os.getpid(), signal.SIGTERM)
'''


def _processes_mentioning(text: str) -> list[str]:
    """Command lines of live processes that mention ``text`` (our private roots)."""
    found = []
    for entry in pathlib.Path("/proc").iterdir():
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if entry.name.isdigit() and text in cmdline and (entry / "stat").read_text().split()[2] != "Z":
            found.append(cmdline)
    return found


def _alive(pid: int) -> bool:
    try:
        state = pathlib.Path(f"/proc/{pid}/stat").read_text().split()[2]
    except FileNotFoundError:
        return False
    return state != "Z"


@pytest.fixture
def roots(tmp_path: pathlib.Path):
    """Private roots for the inner run's directories: one on /dev/shm, one on disk."""
    shm = pathlib.Path("/dev/shm") / f"aeron-cffi-plugin-test-{os.getpid()}-{tmp_path.name}"
    shm.mkdir()
    disk = tmp_path / "tmp-root"
    disk.mkdir()
    yield shm, disk
    shm.rmdir()  # fails the teardown if anything was left in it


def _run_inner(tmp_path: pathlib.Path, roots, *args: str, interrupt: str = "") -> tuple[
        subprocess.CompletedProcess, list[dict]]:
    shm, disk = roots
    test_file = tmp_path / "test_user_project.py"
    test_file.write_text(textwrap.dedent(TEST_FILE))
    resources = tmp_path / "resources.jsonl"
    env = dict(os.environ, RESOURCES_FILE=str(resources), INTERRUPT=interrupt)
    before = (_processes_mentioning(str(shm)) + _processes_mentioning(str(disk)), sorted(shm.iterdir()),
              sorted(disk.iterdir()))
    assert before == ([], [], [])
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", str(tmp_path),
         "--aeron-shm-root", str(shm), "--aeron-tmp-root", str(disk), str(test_file), *args],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    after = (_processes_mentioning(str(shm)) + _processes_mentioning(str(disk)), sorted(shm.iterdir()),
             sorted(disk.iterdir()))
    assert after == ([], [], []), result.stdout + result.stderr
    noted = [json.loads(line) for line in resources.read_text().splitlines()]
    for part in noted:
        for key, value in part.items():
            if key.endswith("_pid"):
                assert not _alive(int(value)), f"{key} {value} survived"
            else:
                assert not pathlib.Path(value).exists(), f"{key} {value} survived"
    return result, noted


def test_teardown_after_failure_crash_and_session_fixtures(tmp_path, roots):
    result, noted = _run_inner(tmp_path, roots, "-k", "not interrupted")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "1 failed, 2 passed" in result.stdout, result.stdout
    assert "this test fails on purpose" in result.stdout
    # the report of the failed test shows what its driver logged
    assert re.search(r"-+ aeron process-driver-\d+ errors -+\n1 observations of: \(-9\) unknown host", result.stdout)
    # three testbeds (two per test, one per session) and four archives
    assert len({part["tmp_dir"] for part in noted if "tmp_dir" in part}) == 3
    assert len({part["archive_pid"] for part in noted}) == 4
    assert all(str(roots[0]) in part["shm_dir"] for part in noted if "shm_dir" in part)


@pytest.mark.parametrize("interrupt", ["KeyboardInterrupt", "SIGTERM"])
def test_teardown_after_keyboard_interrupt_or_sigterm(tmp_path, roots, interrupt):
    result, noted = _run_inner(tmp_path, roots, "-k", "interrupted", interrupt=interrupt)
    assert result.returncode == 2, result.stdout + result.stderr  # pytest's "interrupted"
    assert "KeyboardInterrupt" in result.stdout + result.stderr
    (part,) = noted
    assert part["driver_pid"] != str(os.getpid())


def test_driver_kind_from_the_command_line_and_ini(tmp_path):
    test_file = tmp_path / "test_kind.py"
    test_file.write_text(textwrap.dedent('''
        import os
        def test_kind(aeron_driver, aeron_client):
            assert aeron_driver.kind == os.environ["EXPECTED_KIND"]
            assert (aeron_driver.pid == os.getpid()) == (aeron_driver.kind == "embedded")
            assert aeron_client.client_id >= 0
    '''))
    (tmp_path / "pytest.ini").write_text("[pytest]\naeron_driver_kind = process\n")

    def run(*args: str, expected: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(test_file), *args],
                              cwd=tmp_path, env=dict(os.environ, EXPECTED_KIND=expected), capture_output=True,
                              text=True, timeout=120)

    from_ini = run(expected="process")
    assert from_ini.returncode == 0, from_ini.stdout
    from_option = run("--aeron-driver-kind", "embedded", expected="embedded")
    assert from_option.returncode == 0, from_option.stdout
    bad = run("--aeron-driver-kind", "jvm", expected="embedded")
    assert bad.returncode == 4 and "invalid choice: 'jvm'" in bad.stderr  # pytest's usage error
