"""Lifetimes (DESIGN.md section 6): every scenario runs in a subprocess that must exit 0, not by a signal."""

from __future__ import annotations

import pytest

from helpers import run_python

PRELUDE = """
import gc, random, sys, tempfile, time
from aeron_cffi import *
tmp = tempfile.mkdtemp()
driver = MediaDriver(dir=tmp + "/d", threading_mode="SHARED", term_buffer_length=65536,
                     ipc_term_buffer_length=65536, dir_delete_on_start=True, dir_delete_on_shutdown=True)
def wait(cond, work=lambda: None):
    end = time.monotonic() + 20
    while not cond():
        assert time.monotonic() < end
        work(); time.sleep(0.001)
def world(client):
    sub = client.add_subscription("aeron:ipc", 1, on_available_image=lambda i: None,
                                  on_unavailable_image=lambda i: None)
    pub = client.add_publication("aeron:ipc", 1)
    ex = client.add_exclusive_publication("aeron:ipc", 2)
    counter = client.add_counter(1001, b"k", "c")
    wait(lambda: pub.is_connected)
    while pub.offer(b"m") < 0: pass
    wait(lambda: sub.image_count >= 1)
    image = sub.image_at_index(0)
    reader = client.counters_reader()
    pending = client.async_add_subscription("aeron:ipc", 3, lambda i: None)
    return [sub, pub, ex, counter, image, reader, pending]
"""


def run(body: str) -> None:
    result = run_python(PRELUDE + body)
    assert result.returncode == 0, f"exit {result.returncode}\nstdout:{result.stdout}\nstderr:{result.stderr}"


def test_closing_parent_closes_children_first_and_every_method_raises_after():
    run("""
client = Aeron(dir=driver.dir)
objects = world(client)
client.close()
client.close()  # idempotent
checked = 0
for obj in objects + [client]:
    assert obj.is_closed, obj
    for name in dir(type(obj)):
        # constants (channel, session_id, ...) raise too; only these stay usable
        if name.startswith("_") or name in ("close", "cancel", "is_closed", "client", "context", "description",
                                            "ASYNC_KIND", "C_PREFIX"):
            continue
        attr = getattr(type(obj), name)
        try:
            value = getattr(obj, name)
            if callable(value):
                value(*([None] * (value.__code__.co_argcount - 1 if hasattr(value, "__code__") else 0)))
        except ResourceClosedError:
            checked += 1
        else:
            raise AssertionError(f"{type(obj).__name__}.{name} did not raise after close")
assert checked > 60, checked
driver.close()
""")


@pytest.mark.parametrize("seed", range(4))
def test_dropping_everything_in_random_order(seed):
    run(f"""
random.seed({seed})
for round in range(3):
    client = Aeron(dir=driver.dir)
    objects = world(client) + [client]
    random.shuffle(objects)
    while objects:
        obj = objects.pop()
        if random.random() < 0.5:
            obj.close()
        del obj
        gc.collect()
    gc.collect()
driver.close()
""")


def test_children_close_after_parent_then_gc_cycles():
    run("""
client = Aeron(dir=driver.dir)
objects = world(client)
cycle = {"client": client, "objects": objects}
cycle["self"] = cycle
objects.append(cycle)
del client, objects, cycle
gc.collect()
# the driver (a root) still closes at exit via atexit
""")


def test_exit_with_everything_open():
    run("""
client = Aeron(dir=driver.dir)
objects = world(client)
sys.exit(0)
""")


def test_raising_in_every_callback_kind():
    run("""
errors = []
def boom(*args):
    raise RuntimeError("boom")
client = Aeron(dir=driver.dir, error_handler=errors.append, on_new_publication=boom,
               on_new_subscription=boom, on_available_counter=boom, on_close_client=boom)
sub = client.add_subscription("aeron:ipc", 1, on_available_image=boom, on_unavailable_image=boom)
pub = client.add_publication("aeron:ipc", 1)
wait(lambda: pub.is_connected)
for i in range(5):
    while pub.offer(bytes([i])) < 0: pass
wait(lambda: sub.image_count >= 1)
caught = 0
calls = []
def failing(data, header):
    calls.append(data)
    raise ValueError("in poll")
try:
    wait(lambda: calls, lambda: sub.poll(failing, 2))
except ValueError:
    caught += 1
assert caught == 1 and len(calls) == 2, calls   # the batch finished, first error re-raised
try:
    sub.controlled_poll(failing)
except ValueError:
    caught += 1
try:
    pub.offer(b"x", reserved_value_supplier=boom)
except RuntimeError:
    caught += 1
try:
    sub.block_poll(boom, 65536)
except RuntimeError:
    caught += 1
for call in (lambda: list(client.counters_reader()) and client.counters_reader().counters(),
             lambda: sub.for_each_image(boom), lambda: client.print_counters(boom)):
    try:
        call()
    except RuntimeError:
        caught += 1
assert caught == 6, caught
assembler = FragmentAssembler(boom)
while pub.offer(b"y") < 0: pass
try:
    wait(lambda: False, lambda: sub.poll(assembler))
except RuntimeError:
    caught += 1
assert caught == 7
client.add_counter(1001, b"", "c")
wait(lambda: len(errors) >= 3)
pub.close(); sub.close()
client.close()
assert all(isinstance(e, RuntimeError) for e in errors), errors
driver.close()
""")


def test_client_closed_by_its_conductor_then_everything_closed_and_collected():
    run("""
errors = []
timed_out = MediaDriver(dir=tmp + "/t", threading_mode="SHARED", client_liveness_timeout_ns=2_000_000_000,
                        timer_interval_ns=10_000_000, dir_delete_on_start=True, dir_delete_on_shutdown=True)
client = Aeron(dir=timed_out.dir, use_conductor_agent_invoker=True, error_handler=errors.append,
               keepalive_interval_ns=3_600_000_000_000)
objects = world(client)
pending = client.async_add_publication("aeron:ipc", 9)
wait(lambda: errors, client.do_work)
assert isinstance(errors[0], ClientTimeoutError), errors
try:
    pending.wait(5)
except ClientTimeoutError:
    pass
else:
    raise AssertionError("wait on a client its conductor closed did not raise")
random.seed(7)
random.shuffle(objects)
for obj in objects[:4]:
    obj.close()
del obj, objects, pending
gc.collect()
client.close()
timed_out.close()
driver.close()
""")


def test_a_close_that_failed_in_a_child_can_be_retried():
    from aeron_cffi._lifetime import Resource

    closed_in_c = []

    class Child(Resource):
        def _close_native(self):
            raise RuntimeError("the child's C close failed")

    class Parent(Resource):
        def _close_native(self):
            closed_in_c.append(self)

    parent = Parent()
    child = Child(parent)  # (children are held weakly)
    with pytest.raises(RuntimeError, match="child's C close failed"):
        parent.close()
    parent.close()  # the failed attempt left nothing half-closed: this one completes
    assert parent.is_closed and child.is_closed and closed_in_c == [parent]
