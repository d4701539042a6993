"""The CLI's errors a new user met (issue 12): each one line, saying what happened, with
its documented exit status."""

from __future__ import annotations

import json
import signal

import pytest

from aeron_cffi.cli import ExitCode, parser
from aeron_cffi.cnc import CncFile
from aeron_cffi.driver_process import DriverProcess
from aeron_cffi.testing import wait_until

from tools_support import archive_options, cli, record


@pytest.fixture
def options(driver, source_archive) -> list[str]:
    return archive_options(driver, source_archive)


def test_stat_with_an_invalid_regular_expression_is_one_line_and_exit_2(tmp_path):
    result = cli("stat", "--type", "(", "--aeron-dir", tmp_path)
    assert result.returncode == ExitCode.USAGE
    assert result.error_line() == ("aeron-cffi stat: --type: invalid regular expression '(' "
                                   "(missing ), unterminated subpattern at position 0)")


def test_driver_threading_mode_takes_the_python_spellings_in_any_case(capsys):
    assert parser().parse_args(["driver", "--threading-mode", "shared_network"]).threading_mode == "SHARED_NETWORK"
    with pytest.raises(SystemExit) as exited:
        parser().parse_args(["driver", "--threading-mode", "bogus"])
    assert exited.value.code == ExitCode.USAGE
    assert "invalid choice: 'BOGUS' (choose from DEDICATED, SHARED_NETWORK, SHARED)" in \
        capsys.readouterr().err.replace("'DEDICATED', 'SHARED_NETWORK', 'SHARED'", "DEDICATED, SHARED_NETWORK, SHARED")


def test_replay_from_past_the_end_says_so_and_fails(options, source, signals):
    recording_id, messages = record(source, signals, 611, 10)
    result = cli("archive", "replay", recording_id, "--position", 999999, *options)
    assert result.returncode == ExitCode.ARCHIVE_ERROR
    assert "position 999999 is outside recording" in result.error_line()
    summary = cli("archive", "replay", recording_id, "--position", 999999, "--json", *options)
    assert summary.returncode == ExitCode.ARCHIVE_ERROR
    assert {key: value for key, value in json.loads(summary.stdout).items()
            if key in ("recording_id", "start_position", "messages", "bytes", "recording_start_position")} == {
        "recording_id": recording_id, "start_position": 999999, "messages": 0, "bytes": 0,
        "recording_start_position": 0}


def test_record_on_a_bad_channel_carries_the_cause_on_its_line(options):
    result = cli("archive", "record", "--channel", "aeron:udp?endpoint=localhost:99999", "--stream", 1, *options)
    assert result.returncode == ExitCode.ARCHIVE_ERROR, (result.returncode, result.error_line())  # the archive refused it
    assert "port out of range" in result.error_line()


def test_a_stale_driver_directory_is_no_driver(tmp_path, monkeypatch):
    """A driver killed -9 leaves its CnC file: stat warns with the heartbeat's age, the
    archive commands exit 3 (no driver) rather than 4 (no archive)."""
    monkeypatch.setenv("AERON_DRIVER_TIMEOUT", "300")  # (Aeron's driver timeout, in ms, read by the CLI too)
    driver = DriverProcess(tmp_path / "aeron", threading_mode="SHARED").start()
    try:
        driver.process.send_signal(signal.SIGKILL)
        driver.process.wait(10)
    finally:
        driver.stop()
    with CncFile(tmp_path / "aeron") as cnc:
        wait_until(lambda: cnc.heartbeat_age_ms > 400, "the dead driver's heartbeat to age past 300 ms")
    stat = cli("stat", "--aeron-dir", tmp_path / "aeron", "--type", "^0$")
    assert stat.returncode == ExitCode.OK
    assert "aeron-cffi stat: warning: the driver is not running" in stat.error_line()
    listing = cli("archive", "list", "-d", tmp_path / "aeron", "--timeout", "0.5")
    assert listing.returncode == ExitCode.NO_DRIVER
    assert listing.error_line().startswith(f"aeron-cffi archive: no media driver is running in {tmp_path / 'aeron'} "
                                           f"(its CnC file is stale")
