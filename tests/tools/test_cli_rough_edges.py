"""Rough edges of the CLI a new user met (issue 12, "Errors and tools"): each one now
says what happened in one line and exits with the documented status."""

from __future__ import annotations

import json
import signal
import subprocess
import sys

from aeron_cffi.cli import ExitCode
from aeron_cffi.driver_process import DriverProcess
from aeron_cffi.testing.waiting import wait_until

from tools_support import archive_options, cli, record

LIVENESS_TIMEOUT_NS = 2_000_000_000  # the stale driver's: its heartbeat is stale 2 s after it dies


def test_stat_with_a_filter_that_is_not_a_regular_expression_is_one_line_and_exit_2(tmp_path):
    result = cli("stat", "--type", "(", "--aeron-dir", tmp_path)
    assert result.returncode == ExitCode.USAGE
    assert result.error_line() == ("aeron-cffi stat: --type '(' is not a regular expression: "
                                   "missing ), unterminated subpattern at position 0")


def test_replay_from_past_the_end_says_so_and_exits_5(driver, source_archive, source, signals):
    recording_id, messages = record(source, signals, 601, 10)
    options = archive_options(driver, source_archive)
    end = source.list_recording(recording_id).stop_position
    expected = f"position 999936 is outside recording {recording_id}, which holds positions 0 to {end}"

    result = cli("archive", "replay", recording_id, "--position", 999936, *options)
    assert (result.returncode, result.stdout) == (ExitCode.ARCHIVE_ERROR, "")
    assert result.error_line() == f"aeron-cffi archive: {expected}"

    summarised = cli("archive", "replay", recording_id, "--position", 999936, "--json", *options)
    assert summarised.returncode == ExitCode.ARCHIVE_ERROR
    assert json.loads(summarised.stdout) == {"recording_id": recording_id, "start_position": 999936,
                                             "end_position": 999936, "messages": 0, "bytes": 0, "error": expected}


def test_a_stale_driver_directory_is_a_warning_for_stat_and_no_driver_for_the_archive(tmp_path):
    aeron_dir = tmp_path / "aeron"
    driver = DriverProcess(aeron_dir, threading_mode="SHARED", client_liveness_timeout_ns=LIVENESS_TIMEOUT_NS).start()
    try:
        pid = driver.process.pid
        assert cli("stat", "--aeron-dir", aeron_dir).stderr == ""  # running: no warning
        driver.process.kill()
        driver.process.wait()
        stale = wait_until(lambda: (r := cli("stat", "--aeron-dir", aeron_dir, "--json")).stderr and r,
                           "stat to notice the driver stopped")
    finally:
        driver.stop()
    assert stale.returncode == ExitCode.OK and json.loads(stale.stdout)["pid"] == pid  # what it left is still read
    warning = stale.error_line()
    assert warning.startswith(f"aeron-cffi stat: warning: the media driver in {aeron_dir} is not running "
                              f"(pid {pid}, last heartbeat ")

    listed = cli("archive", "list", "-d", aeron_dir, "--timeout", "1")
    assert listed.returncode == ExitCode.NO_DRIVER
    assert listed.error_line().startswith(f"aeron-cffi archive: the media driver in {aeron_dir} is not running")


def test_driver_threading_mode_in_any_case_as_the_python_api_takes_it(tmp_path):
    aeron_dir = tmp_path / "aeron"
    process = subprocess.Popen([sys.executable, "-m", "aeron_cffi", "driver", "--json", "--dir", str(aeron_dir),
                                "--threading-mode", "shared", "-D", "aeron.dir.delete.on.shutdown=true"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        ready = json.loads(process.stdout.readline() or "{}")
        assert ready.get("status") == "ready", process.stderr.read() if process.poll() is not None else ready
        assert cli("stat", "--aeron-dir", aeron_dir, "--json").json()["pid"] == ready["pid"]
        process.send_signal(signal.SIGTERM)
        assert process.wait(20) == 0
    finally:
        process.kill()
        process.wait()
    bogus = cli("driver", "--threading-mode", "bogus")
    assert bogus.returncode == ExitCode.USAGE
    assert "invalid choice: 'BOGUS' (choose from 'DEDICATED', 'SHARED_NETWORK', 'SHARED')" in bogus.stderr


def test_record_on_a_channel_the_driver_refuses_says_why_first(driver, source_archive):
    result = cli("archive", "record", "--channel", "aeron:udp?endpoint=localhost:99999", "--stream", 602,
                 *archive_options(driver, source_archive))
    assert (result.returncode, result.stdout) == (ExitCode.ARCHIVE_ERROR, "")
    line = result.error_line()
    assert line.startswith("aeron-cffi archive: port out of range: '99999' (the media driver's error; "), line
    assert "Invalid argument" in line  # what the archive relayed comes after
