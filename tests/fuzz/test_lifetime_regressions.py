"""Issue #17, closes from inside callbacks: each scenario that crashed the interpreter (or lost
an exception) runs in a child interpreter that must exit 0, print no "Exception ignored", and
print the outcome the library documents. Every C close is counted (``lifetime_child``): a
close from inside a call waits for the call, then runs exactly once.

Threads racing a close, and reserved value suppliers: ``test_lifetime_races.py``.
"""

from __future__ import annotations

import pytest

from fuzz_support import run_script

PRELUDE = """
import gc, logging, traceback, warnings
from aeron_cffi import *
from aeron_cffi._native import ffi, lib
from lifetime_child import *
driver = start_driver()
"""


def test_an_assembler_closed_by_its_own_handler_finishes_the_poll(tmp_path):
    # The assembler's C memory was freed while aeron_*fragment_assembler_handler still ran
    # (only the subscription counted as in use): SIGSEGV in 3 runs of 3.
    result = run_script(PRELUDE + """
client = Aeron(dir=driver.dir)
SIZE, COUNT = 3000, 5  # three frames each at the default MTU: 15 fragments
VARIANTS = [(FragmentAssembler, "poll", False), (ControlledFragmentAssembler, "controlled_poll", False),
            (ImageFragmentAssembler, "poll", True), (ImageControlledFragmentAssembler, "controlled_poll", True)]
for stream, (cls, method, on_image) in enumerate(VARIANTS, 1):
    publication, subscription = connected(client, client, stream)
    messages = [message(i, SIZE) for i in range(COUNT)]
    for data in messages:
        offer(publication, data)
    source = subscription.image_at_index(0) if on_image else subscription
    got, ran_during_poll = [], []
    def handler(data, header):
        got.append(data)
        if len(got) == 1:
            assembler.close()
            ran_during_poll.append(c_closes(assembler))
    assembler = cls(handler)
    count = getattr(source, method)(assembler, 6)  # the first two messages' fragments
    assert count >= 3 and ran_during_poll == [[]], (count, ran_during_poll)  # the delete waited for the poll
    assert_c_closed(assembler)  # and ran when it returned, once
    print(cls.__name__, "next use:", outcome(lambda: getattr(source, method)(assembler, 6)))
    rest = []
    fresh = cls(lambda data, header: rest.append(data))
    wait_until(lambda: rest and rest[-1] == messages[-1], "the rest", lambda: getattr(source, method)(fresh, 6))
    numbers = [int.from_bytes(data[:4], "little") for data in got + rest]
    assert all(data == message(n, SIZE) for n, data in zip(numbers, got + rest)), "a message came corrupt"
    # in order, none twice; only the message the closed assembler was in the middle of may be lost
    assert numbers == sorted(set(numbers)) and numbers[0] == 0 and set(range(COUNT)) - set(numbers) <= {1}, numbers
    fresh.close()
    assert_c_closed(fresh)
    objects = [publication, subscription] + ([source] if on_image else [])
    for obj in objects:
        obj.close()
    assert_c_closed(*objects)
client.close()
assert_c_closed(client)
driver.close()
""", tmp_path)
    assert result.stdout.count("next use: raised ResourceClosedError") == 4, result.stdout


def test_for_each_image_whose_callback_closes_the_subscription_or_the_client(tmp_path):
    # for_each_image did not count as a call in flight: closing the client from the callback
    # freed the image list C was iterating (SIGSEGV in 3 runs of 3).
    result = run_script(PRELUDE + """
observer = Aeron(dir=driver.dir)
reader = observer.counters_reader()
for stream, victim in ((10, "subscription"), (11, "client")):
    owner = Aeron(dir=driver.dir)
    subscription = owner.add_subscription("aeron:ipc", stream)
    publications = [observer.add_exclusive_publication("aeron:ipc", stream) for _ in range(2)]
    wait_until(lambda: subscription.image_count == 2, "two images")
    client_id = owner.client_id
    assert driver_knows(reader, CLIENT_HEARTBEAT, client_id)
    sessions, ran_during_call = [], []
    def each(image):
        sessions.append(image.session_id)
        if len(sessions) == 1:
            (subscription if victim == "subscription" else owner).close()
            ran_during_call.append(c_closes(subscription))
    assert subscription.for_each_image(each) is None
    assert ran_during_call == [[]], ran_during_call  # the C close waited for the call
    assert sessions[0] in {p.session_id for p in publications} and len(sessions) <= 2, sessions
    assert_c_closed(subscription, *([owner] if victim == "client" else []))
    for call in (lambda: subscription.for_each_image(each), lambda: subscription.image_count,
                 lambda: subscription.poll(lambda data, header: None, 10)):
        print(victim, "later:", outcome(call))
    # the driver saw it go: the publications lost their subscriber (and the client its heartbeat)
    wait_until(lambda: not any(p.is_connected for p in publications), "the publications disconnected")
    if victim == "client":
        wait_until(lambda: not driver_knows(reader, CLIENT_HEARTBEAT, client_id), "the driver dropped the client")
    owner.close()
    for publication in publications:
        publication.close()
    assert_c_closed(owner, *publications)
observer.close()
driver.close()
""", tmp_path)
    assert result.stdout.count("later: raised ResourceClosedError") == 6, result.stdout


def test_image_calls_after_the_publisher_went_and_its_subscription_let_go(tmp_path):
    # Image.reject dereferences the image's subscription, which the conductor sets to NULL
    # once the image went and no poll can use it any more: found by the client fuzz machine
    # (seed 3198219830, sequence 918). Every other call on the retained image reads the
    # image and its log buffer, which the retained reference keeps.
    result = run_script(PRELUDE + """
errors = []
publisher = Aeron(dir=driver.dir)
subscriber = Aeron(dir=driver.dir, error_handler=errors.append)
publication, subscription = connected(publisher, subscriber, 20)
offer(publication, message(0, 100))
image = subscription.image_at_index(0)
publisher.close()
drain = lambda: subscription.poll(lambda data, header: None, 10)
wait_until(lambda: subscription.image_count == 0, "the image went", drain)
constants = ffi.new("aeron_image_constants_t *")
def subscription_cleared():
    drain()  # the conductor lets go once the subscription's polls moved past the image list
    assert lib.aeron_image_constants(image._ptr, constants) == 0
    return constants.subscription == ffi.NULL
wait_until(subscription_cleared, "the conductor cleared the image's subscription")
calls = {
    "reject": lambda: image.reject("gone"),
    "position": lambda: image.position,
    "set position": lambda: setattr(image, "position", image.position),
    "is_end_of_stream": lambda: image.is_end_of_stream,
    "end_of_stream_position": lambda: image.end_of_stream_position,
    "active_transport_count": lambda: image.active_transport_count,
    "is_publication_revoked": lambda: image.is_publication_revoked,
    "poll": lambda: image.poll(lambda data, header: None, 10),
    "controlled_poll": lambda: image.controlled_poll(lambda data, header: None, 10),
    "bounded_poll": lambda: image.bounded_poll(lambda data, header: None, 1 << 20, 10),
    "block_poll": lambda: image.block_poll(lambda block, session, term: None, 4096),
    "controlled_peek": lambda: image.controlled_peek(image.position, lambda data, header: None, 1 << 20),
    "assembler poll": lambda: image.poll(ImageFragmentAssembler(lambda data, header: None), 10),
}
for round_ in ("gone", "log buffers reused"):
    for name, call in calls.items():
        print(round_, name, outcome(call))
    # new publications: the driver makes new log buffers, the old image keeps its own mapping
    publisher = Aeron(dir=driver.dir)
    publication = publisher.add_exclusive_publication("aeron:ipc", 20)
    wait_until(lambda: subscription.image_count == 1, "a new image")
    offer(publication, message(1, 100))
    got = []
    wait_until(lambda: got, "the new image's message", lambda: subscription.poll(lambda d, h: got.append(d), 10))
    assert got == [message(1, 100)], got
    publisher.close()
    wait_until(lambda: subscription.image_count == 0, "the new image went", drain)
image.close()
assert_c_closed(image)
subscriber.close()
assert_c_closed(subscriber, subscription)
assert all(isinstance(e, AeronError) for e in errors), errors
print("errors reported", [type(e).__name__ for e in errors])
driver.close()
""", tmp_path)
    lines = result.stdout.splitlines()
    assert sum(line.startswith(("gone ", "log buffers reused ")) for line in lines) == 26, result.stdout
    reject = [line for line in lines if " reject " in line]
    # a clear outcome: sent (returned None), or refused with a library exception
    assert all(line.endswith(" returned None") or " raised " in line for line in reject), reject


def test_client_close_from_a_conductor_callback(tmp_path):
    # aeron_close on the conductor thread failed with EDEADLK (it joins that thread) but the
    # context was closed all the same: a live C client on a freed context. Now a threaded
    # client refuses (InvalidStateError, to the error handler) and stays usable; an invoker
    # client, whose callbacks run inside do_work, closes once do_work returned.
    result = run_script(PRELUDE + """
errors = []
client = Aeron(dir=driver.dir, error_handler=errors.append)
subscription = client.add_subscription("aeron:ipc", 30, on_available_image=lambda image: client.close())
registration = client.add_available_counter_handler(lambda reader, registration_id, counter_id: client.close())
publication = client.add_publication("aeron:ipc", 30)
counter = client.add_counter(1001, b"", "from a callback")
wait_until(lambda: len(errors) >= 2, "both callbacks' errors reported")
print("threaded", sorted({type(e).__name__ for e in errors}))
assert not client.is_closed and not client.context.is_closed and not c_closes(client)
offer(publication, b"after")  # still usable: a message goes through, then it closes normally
got = []
wait_until(lambda: got, "a message after the refusals", lambda: subscription.poll(lambda d, h: got.append(d), 10))
assert got == [b"after"], got
client.close()
assert_c_closed(client, subscription, publication, counter, registration)

errors, ran_during_callback = [], []
invoker = Aeron(dir=driver.dir, error_handler=errors.append, use_conductor_agent_invoker=True)
def on_image(image):
    invoker.close()
    ran_during_callback.append(c_closes(invoker))
subscription = invoker.add_subscription("aeron:ipc", 31, on_available_image=on_image)
pending = invoker.async_add_publication("aeron:ipc", 31)
wait_until(lambda: invoker.is_closed, "the close from the image callback", lambda: invoker.do_work())
assert ran_during_callback == [[]], ran_during_callback  # aeron_close waited for do_work to return
assert_c_closed(invoker, subscription, pending)
print("invoker closed; errors", errors, "later do_work:", outcome(invoker.do_work))
driver.close()
""", tmp_path)
    assert "threaded ['InvalidStateError']" in result.stdout, result.stdout
    assert "invoker closed; errors [] later do_work: raised ResourceClosedError" in result.stdout, result.stdout


def test_ctrl_c_and_exit_from_an_invoker_callback_are_raised_by_do_work(tmp_path):
    # The conductor callback caught BaseException and handed Ctrl-C (or SystemExit) to the
    # error handler: the program could not be stopped from a callback.
    result = run_script(PRELUDE + """
for stream, kind in ((40, KeyboardInterrupt), (41, SystemExit)):
    errors = []
    client = Aeron(dir=driver.dir, use_conductor_agent_invoker=True, error_handler=errors.append)
    def on_image(image):
        raise kind("from on_available_image")
    pending_subscription = client.async_add_subscription("aeron:ipc", stream, on_available_image=on_image)
    pending_publication = client.async_add_exclusive_publication("aeron:ipc", stream)
    raised, made = [], {}
    def work():
        try:
            client.do_work()
            for pending in (pending_subscription, pending_publication):
                if pending not in made and (value := pending.poll()) is not None:
                    made[pending] = value
        except kind as exc:
            raised.append(exc)
    wait_until(lambda: raised and len(made) == 2, f"{kind.__name__} raised", work)
    frames = [frame.name for frame in traceback.extract_tb(raised[0].__traceback__)]
    assert frames[0] == "work" and "do_work" in frames, frames
    assert str(raised[0]) == "from on_available_image" and not errors, (raised, errors)
    subscription, publication = made[pending_subscription], made[pending_publication]
    offer(publication, b"still working")  # the client goes on
    got = []
    wait_until(lambda: got, "a message", lambda: (client.do_work(), subscription.poll(lambda d, h: got.append(d), 10)))
    client.close()
    assert_c_closed(client, subscription, publication)
    print(kind.__name__, "raised by do_work; errors reported:", len(errors))
driver.close()
""", tmp_path)
    assert "KeyboardInterrupt raised by do_work; errors reported: 0" in result.stdout
    assert "SystemExit raised by do_work; errors reported: 0" in result.stdout


def test_finalizers_warn_of_unclosed_objects_and_log_failed_closes(tmp_path):
    # __del__ and the atexit hook swallowed close errors without a trace, and an object
    # collected open said nothing (pyzmq warns with a ResourceWarning).
    result = run_script(PRELUDE + """
from aeron_cffi._lifetime import Resource
records = []
class Keep(logging.Handler):
    def emit(self, record):
        records.append(record)
logging.getLogger("aeron_cffi").addHandler(Keep())
observer = Aeron(dir=driver.dir)
reader = observer.counters_reader()
warned = []
def forget(name):
    with warnings.catch_warnings(record=True) as caught:  # (a warning keeps its source: not past here)
        warnings.simplefilter("always")
        del globals()[name]
        gc.collect()
    warned.extend(str(w.message).split(":")[0] for w in caught if issubclass(w.category, ResourceWarning))
client = Aeron(dir=driver.dir)
client_id = client.client_id
publication = client.add_publication("aeron:ipc", 50)
forget("publication")
assert C_CLOSE_LOG.count("PublicationBase") == 1, C_CLOSE_LOG
forget("client")
assert C_CLOSE_LOG.count("Aeron") == 1, C_CLOSE_LOG
wait_until(lambda: not driver_knows(reader, CLIENT_HEARTBEAT, client_id), "the driver saw the collected client go")
print("warned", warned)
class FailingClose(Resource):
    _close_at_exit = True  # a root: the atexit hook closes it if it is still open at exit
    def _close_native(self):
        raise OSError(f"the C close of {self.name} failed")
    def __init__(self, name):
        self.name = name
        super().__init__()
collected = FailingClose("a collected one")
del collected
gc.collect()
logged = [(r.getMessage(), type(r.exc_info[1]).__name__, str(r.exc_info[1])) for r in records if r.exc_info]
print("logged", logged)
kept_until_exit = FailingClose("one open at exit")
logging.getLogger("aeron_cffi").handlers.clear()  # what the hook logs goes to stderr (logging's last resort)
observer.close()
""", tmp_path)
    assert "warned ['unclosed Publication', 'unclosed Aeron']" in result.stdout, result.stdout
    assert "'OSError', 'the C close of a collected one failed')]" in result.stdout, result.stdout
    assert "FailingClose" in result.stdout.split("logged", 1)[1]  # the message names what failed
    # the atexit hook logged the close that failed (logging's last resort handler: stderr)
    assert "OSError: the C close of one open at exit failed" in result.stderr, result.stderr


def test_a_client_and_its_context_collected_together_log_no_error(tmp_path):
    # Both in one unreachable cycle: the collector calls the finalizers in no set order. The
    # client's close closes its context; the context's own finalizer has nothing to do.
    result = run_script(PRELUDE + """
records = []
class Keep(logging.Handler):
    def emit(self, record):
        records.append(record.getMessage())
logging.getLogger("aeron_cffi").addHandler(Keep())
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    for _ in range(3):
        context = Context(dir=driver.dir)
        client = Aeron(context)
        cycle = [context, client]
        cycle.append(cycle)
        del context, client, cycle
        gc.collect()
    warned = sorted({str(w.message).split(":")[0] for w in caught if issubclass(w.category, ResourceWarning)})
print("C closes", C_CLOSE_LOG.count("Aeron"), C_CLOSE_LOG.count("Context"))
print("warned", warned)
print("logged", records)
driver.close()
""", tmp_path)
    assert "C closes 3 3" in result.stdout, result.stdout
    assert "warned ['unclosed Aeron']" in result.stdout, result.stdout
    assert "logged []" in result.stdout, result.stdout


def test_controlled_peek_before_the_start_of_an_image_that_has_gone(tmp_path):
    # C returns a closed image's initial_position as it is; a negative one (before a join
    # position of 0) made Image.controlled_peek raise whatever error the thread had last:
    # "no error", or in the campaign a DriverTimeoutError. It should refuse a negative
    # position (InvalidArgumentError, as it does while the image is open) or return it.
    result = run_script(PRELUDE + """
import threading
subscriber, publisher = Aeron(dir=driver.dir), Aeron(dir=driver.dir)
publication, subscription = connected(publisher, subscriber, 60, exclusive=True)
image = subscription.image_at_index(0)
assert image.constants.join_position == 0
print("open", outcome(lambda: image.controlled_peek(-32, lambda data, header: None, 4096)))
publication.close()
wait_until(lambda: image.is_closed, "the image gone", lambda: subscription.poll(lambda data, header: None, 10))
def peek():  # in a thread of its own: no error left over from an earlier call
    print("gone", outcome(lambda: image.controlled_peek(-32, lambda data, header: None, 4096)))
thread = threading.Thread(target=peek)
thread.start()
thread.join(10)
subscriber.close(); publisher.close()
driver.close()
""", tmp_path)
    assert "open raised InvalidArgumentError" in result.stdout, result.stdout
    assert "gone raised InvalidArgumentError" in result.stdout or "gone returned -32" in result.stdout, result.stdout
