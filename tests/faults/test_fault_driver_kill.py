"""SIGKILL the media driver under a client with live streams.

The client finds out from the driver's heartbeat, which stops: after its
``driver_timeout_ms`` the C conductor closes every resource, reports
DRIVER_TIMEOUT to the error handler and stops. From then on offers raise
``PublicationClosedError``, client calls raise ``DriverTimeoutError``, polls find
nothing, and closing everything still works. The client side runs in a child
interpreter that must exit 0, so a crash fails the test instead of killing pytest.
"""

from __future__ import annotations

import re

import pytest

from faults_support import run_python

DRIVER_TIMEOUT_MS = 2000
#: Kill to error, at most: the timeout, plus a keepalive check interval and a loaded machine.
ERROR_WITHIN_S = DRIVER_TIMEOUT_MS / 1000 + 15

CLIENT = """
import os, signal, sys, time
from aeron_cffi import (Aeron, ClientErrorCode, DriverTimeoutError, PublicationClosedError,
                        ResourceClosedError)

aeron_dir, driver_pid, port, mode, timeout_ms, within_s = sys.argv[1:]
invoker = mode == "agent-invoker"
errors = []
client = Aeron(dir=aeron_dir, driver_timeout_ms=int(timeout_ms), error_handler=errors.append,
               use_conductor_agent_invoker=invoker)

def work():
    if invoker:  # the conductor runs only in do_work
        client.do_work()
    time.sleep(0.001)

def until(condition, what, within=20.0):
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, f"no {what} in {within} s"
        work()

streams = []
for channel, add in ((f"aeron:udp?endpoint=localhost:{port}", client.add_publication),
                     ("aeron:ipc", client.add_exclusive_publication)):
    subscription = client.add_subscription(channel, 7)
    publication = add(channel, 7)
    until(lambda: publication.is_connected and subscription.is_connected, channel + " connected")
    sent = [b"%s message %d" % (channel.encode(), i) for i in range(100)]
    received = []
    for data in sent:
        until(lambda: publication.offer(data) > 0, "offer accepted")
    def all_received():
        subscription.poll(lambda data, header: received.append(bytes(data)), 100)
        return len(received) == len(sent)
    until(all_received, "messages")
    assert received == sent, channel
    streams.append((publication, subscription))
print("exchanged", len(streams), "streams", flush=True)

os.kill(int(driver_pid), signal.SIGKILL)
killed = time.monotonic()
if mode == "blocked-add":
    # a call made before the client noticed waits for the driver until the client gives up
    try:
        client.add_subscription("aeron:ipc", 8)
        raise AssertionError("add_subscription returned without a driver")
    except DriverTimeoutError as exc:
        print("blocked add raised", type(exc).__name__, flush=True)
else:
    # live traffic: offers are refused (back pressured, not connected) until the conductor gives up
    def traffic():
        for publication, subscription in streams:
            if not publication.is_closed:
                publication.offer(b"into the void")
            subscription.poll(lambda data, header: None, 100)
        return bool(errors)
    until(traffic, "error", within=float(within_s))
elapsed = time.monotonic() - killed
print(f"error handler got {type(errors[0]).__name__} after {elapsed:.2f} s", flush=True)
assert isinstance(errors[0], DriverTimeoutError), errors
assert errors[0].errcode == -ClientErrorCode.DRIVER_TIMEOUT and "MediaDriver" in errors[0].errmsg

assert client.is_closed
for publication, subscription in streams:
    assert publication.is_closed and subscription.is_closed
    try:
        publication.offer(b"after the timeout")
        raise AssertionError("offer after the driver timeout")
    except PublicationClosedError as exc:
        assert isinstance(exc, ResourceClosedError)
    assert subscription.poll(lambda data, header: None, 100) == 0
    try:  # without a deadline: it would wait for ever if it did not see its client gone
        subscription.receive(timeout=None)
        raise AssertionError("receive after the driver timeout")
    except ResourceClosedError:
        pass
for call in (lambda: client.add_publication("aeron:ipc", 9), client.do_work, lambda: client.client_id):
    try:
        call()
        raise AssertionError("client call after the driver timeout")
    except DriverTimeoutError as exc:
        assert "closed by its conductor" in exc.errmsg
print("next calls raised", flush=True)

for publication, subscription in streams:
    publication.close()
    subscription.close()
client.close()
client.close()
try:
    streams[0][0].offer(b"after close")
    raise AssertionError("offer after close")
except ResourceClosedError:
    pass
print("closed cleanly", flush=True)
"""


@pytest.mark.parametrize("mode", ["conductor-thread", "agent-invoker", "blocked-add"])
def test_driver_kill_reports_driver_timeout_then_every_call_raises(aeron_testbed, aeron_free_port, mode):
    driver = aeron_testbed.driver("process")
    result = run_python(CLIENT, driver.dir, driver.pid, aeron_free_port(), mode, DRIVER_TIMEOUT_MS, ERROR_WITHIN_S)
    assert result.returncode == 0, f"exit {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    assert not driver.handle.is_running
    assert "exchanged 2 streams" in result.stdout
    assert "next calls raised" in result.stdout and "closed cleanly" in result.stdout
    elapsed = float(re.search(r"got DriverTimeoutError after ([\d.]+) s", result.stdout).group(1))
    assert elapsed < ERROR_WITHIN_S
    print(f"{mode}: kill -9 to DriverTimeoutError {elapsed:.2f} s (driver timeout {DRIVER_TIMEOUT_MS} ms)")
