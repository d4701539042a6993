"""``aeron-cffi driver``, ``stat``, ``errors`` and ``loss`` against real C media drivers."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys

import pytest

from aeron_cffi import Aeron
from aeron_cffi._native import lib
from aeron_cffi.cli import ExitCode
from aeron_cffi.cnc import is_driver_active
from aeron_cffi.errors import AeronError
from aeron_cffi.testing import free_udp_port

from tools_support import cli, wait_for

STREAM_COUNTER_TYPES = {lib.AERON_COUNTER_PUBLISHER_LIMIT_TYPE_ID, lib.AERON_COUNTER_SENDER_POSITION_TYPE_ID,
                        lib.AERON_COUNTER_PUBLISHER_POSITION_TYPE_ID, lib.AERON_COUNTER_SENDER_LIMIT_TYPE_ID}
DATE = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}[+-]\d{4}"


# -- stat ----------------------------------------------------------------------------------


def test_stat_prints_counters_like_aeron_stat(aeron_testbed):
    # A driver of its own: on the session's driver, counters of clients earlier tests left
    # come and go between the two reads below.
    driver = aeron_testbed.driver("process")
    result = cli("stat", "--aeron-dir", driver.dir)
    assert result.returncode == 0, result.stderr
    header, rule, *rows, end = result.stdout.splitlines()
    assert re.fullmatch(rf"\d\d:\d\d:\d\d - Aeron Stat \(CnC v\d+\.\d+\.\d+\), pid {driver.pid}, "
                        r"heartbeat age \d+ms", header)
    assert rule == "=" * 70 and end == "--"
    assert re.fullmatch(r" *0: +[\d,]+ - Bytes sent", rows[0])

    snapshot = cli("stat", "--aeron-dir", driver.dir, "--json").json()
    assert snapshot["pid"] == driver.pid
    assert snapshot["counters"][0]["label"] == "Bytes sent"
    assert len(snapshot["counters"]) == len(rows)


def test_stat_filters_by_type_stream_and_channel(driver):
    system = cli("stat", "--aeron-dir", driver.dir, "--type", "^0$", "--json").json()["counters"]
    assert system and {c["type_id"] for c in system} == {lib.AERON_COUNTER_SYSTEM_COUNTER_TYPE_ID}
    assert [c["label"] for c in cli("stat", "--aeron-dir", driver.dir, "--type", "^0$", "--identity", "^1$",
                                    "--json").json()["counters"]] == ["Bytes received"]

    port, other = free_udp_port(), free_udp_port()
    with Aeron(dir=driver.dir) as client, client.add_publication(f"aeron:udp?endpoint=localhost:{port}", 4242), \
            client.add_publication(f"aeron:udp?endpoint=localhost:{other}", 4243):
        def stream_counters(*filters):
            counters = cli("stat", "--aeron-dir", driver.dir, *filters, "--json").json()["counters"]
            return [c for c in counters if c["type_id"] in STREAM_COUNTER_TYPES]

        def types_on(endpoint: int) -> set[int]:
            return {c["type_id"] for c in stream_counters() if f"localhost:{endpoint}" in c["label"]}

        wait_for(lambda: types_on(port) == types_on(other) == STREAM_COUNTER_TYPES)
        # As in AeronStat, a filter applies to the counters that have its field:
        # stream counters must match stream and channel, other types pass.
        for filters in (["--channel", f"localhost:{port}"], ["--stream", "^4242$"]):
            found = stream_counters(*filters)
            assert {c["type_id"] for c in found} == STREAM_COUNTER_TYPES
            assert all(f"localhost:{port}" in c["label"] for c in found)
        assert stream_counters("--channel", f"localhost:{port}", "--stream", "^4243$") == []
        assert [c["type_id"] for c in stream_counters("--stream", "^4243$", "--type", "^1$")] == [1]


def test_stat_watch_prints_again(driver):
    snapshots = cli("stat", "--aeron-dir", driver.dir, "--watch", "0.05", "--count", "3", "--json").json_lines()
    assert len(snapshots) == 3
    assert all(s["pid"] == driver.pid for s in snapshots)
    assert snapshots[0]["timestamp"] <= snapshots[1]["timestamp"] <= snapshots[2]["timestamp"]


# -- errors and loss ---------------------------------------------------------------------------


@pytest.fixture
def lossy_driver(aeron_testbed):
    """aeronmd dropping a fifth of the data frames it receives (Aeron's loss interceptor)."""
    return aeron_testbed.driver("process", properties={
        "aeron.udp.channel.incoming.interceptors": "loss",
        "aeron.udp.channel.transport.bindings.loss.args": "rate=0.2|recv-msg-mask=0x2|seed=7",
    })


def test_errors_and_loss_report_what_the_driver_saw(lossy_driver, aeron_testbed):
    client = aeron_testbed.client(lossy_driver)
    with pytest.raises(AeronError):
        client.add_publication("aeron:udp?endpoint=does-not-resolve.invalid:40123", 1)
    channel = f"aeron:udp?endpoint=localhost:{free_udp_port()}"
    received = []
    with client.add_subscription(channel, 77) as subscription, client.add_publication(channel, 77) as publication:
        wait_for(lambda: subscription.is_connected)

        def poll() -> int:
            return subscription.poll(lambda data, header: received.append(bytes(data[:5])), 100)

        for i in range(200):  # polling as it goes, so the receiver's window keeps moving
            wait_for(lambda: poll() >= 0 and publication.offer(b"%05d" % i + bytes(300)) > 0, what="offer")
        wait_for(lambda: poll() >= 0 and len(received) == 200)
    assert received == [b"%05d" % i for i in range(200)]  # every message, once, despite the loss

    errors = cli("errors", "--aeron-dir", lossy_driver.dir, "--json").json()
    assert errors["distinct_errors"] == len(errors["errors"]) >= 1
    (unknown_host,) = [e for e in errors["errors"] if "does-not-resolve.invalid" in e["error"]]
    assert unknown_host["observation_count"] == 1
    text = cli("errors", "--aeron-dir", lossy_driver.dir).stdout
    assert re.search(rf"^\*\*\*\n1 observations from {DATE} to {DATE} for:\n .*unknown host", text, re.M)
    assert text.endswith(f"\n\n{errors['distinct_errors']} distinct errors observed.\n")

    loss = cli("loss", "--aeron-dir", lossy_driver.dir, "--json").json()
    (entry,) = [e for e in loss["entries"] if e["channel"] == channel]
    assert entry["stream_id"] == 77 and entry["total_bytes_lost"] > 0 and entry["observation_count"] >= 1
    header, *rows, footer = cli("loss", "--aeron-dir", lossy_driver.dir).stdout.splitlines()
    assert header == "#OBSERVATION_COUNT,TOTAL_BYTES_LOST,FIRST_OBSERVATION,LAST_OBSERVATION,SESSION_ID," \
                     "STREAM_ID,CHANNEL,SOURCE"
    assert footer == f"{loss['loss_entries']} loss entries"
    fields = rows[0].split(",")
    assert fields[:2] == [str(entry["observation_count"]), str(entry["total_bytes_lost"])]
    assert re.fullmatch(DATE, fields[2]) and fields[6] == channel


def test_errors_and_loss_watch(driver):
    assert cli("loss", "--aeron-dir", driver.dir, "--watch", "0.05", "--count", "2", "--json").json_lines() == [
        {"loss_entries": 0, "entries": []}] * 2
    errors = cli("errors", "--aeron-dir", driver.dir, "--watch", "0.05", "--count", "2", "--json").json_lines()
    assert len(errors) == 2 and errors[0] == errors[1]


@pytest.mark.parametrize("command", ["stat", "errors", "loss"])
def test_no_driver_is_exit_3(command, tmp_path):
    result = cli(command, "--aeron-dir", tmp_path, "--timeout-ms", "100")
    assert result.returncode == ExitCode.NO_DRIVER
    assert result.stdout == ""
    assert result.error_line() == f"aeron-cffi {command}: no media driver in {tmp_path} (no CnC file within 100 ms)"


# -- driver ---------------------------------------------------------------------------------


def _start_driver(*args) -> tuple[subprocess.Popen, dict]:
    process = subprocess.Popen([sys.executable, "-m", "aeron_cffi", "driver", "--json", *map(str, args)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = process.stdout.readline()
    if not line:
        process.wait()
        raise AssertionError(f"driver did not start: {process.stderr.read()}")
    return process, json.loads(line)


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_driver_runs_until_signalled(tmp_path, stop):
    aeron_dir = tmp_path / "aeron"
    process, ready = _start_driver("--dir", aeron_dir, "--threading-mode", "SHARED", "--term-buffer-length", 65536,
                                   "-D", "aeron.dir.delete.on.shutdown=true")
    try:
        assert ready["status"] == "ready" and ready["aeron_dir"] == str(aeron_dir)
        assert is_driver_active(aeron_dir, 1000)
        assert cli("stat", "--aeron-dir", aeron_dir, "--json").json()["pid"] == ready["pid"]
        process.send_signal(stop)
        assert process.wait(20) == 0
    finally:
        process.kill()
        process.wait()
    assert not aeron_dir.exists()  # the driver shut down cleanly and deleted its directory
    with pytest.raises(ProcessLookupError):
        os.kill(ready["pid"], 0)


def test_driver_reads_a_properties_file(tmp_path):
    aeron_dir = tmp_path / "from-file"
    properties = tmp_path / "driver.properties"
    properties.write_text(f"# a comment\naeron.dir={aeron_dir}\naeron.threading.mode=SHARED\n"
                          "aeron.dir.delete.on.shutdown=true\n")
    process, ready = _start_driver(properties)
    try:
        assert ready["aeron_dir"] == str(aeron_dir)
        assert cli("stat", "--aeron-dir", aeron_dir, "--json").json()["pid"] == ready["pid"]
        process.terminate()
        assert process.wait(20) == 0
    finally:
        process.kill()
        process.wait()


def test_driver_errors(tmp_path, driver):
    missing = cli("driver", tmp_path / "missing.properties")
    assert missing.returncode == ExitCode.IO_ERROR
    assert missing.error_line().startswith(f"aeron-cffi driver: cannot read properties file {tmp_path}")
    taken = cli("driver", "--dir", driver.dir, "--start-timeout", "10")  # a driver is active there
    assert taken.returncode == ExitCode.NO_DRIVER
    assert is_driver_active(driver.dir, 1000)
    assert taken.stderr.splitlines()[-1].startswith("aeron-cffi driver: aeronmd exited with ")
    assert cli("driver", "-D", "no-equals-sign").returncode == ExitCode.USAGE
