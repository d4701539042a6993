"""What the misuse fuzzer found, minimised: each scenario runs in a child interpreter that must
exit 0 (a crash is a signal), print no "Exception ignored" and print the outcome the library
documents; what a scenario closes, it checks was closed in C, once (``lifetime_child``)."""

from __future__ import annotations

from fuzz_support import run_script

CLIENT = """
import gc, os, time
from aeron_cffi import *
import lifetime_child
from lifetime_child import assert_c_closed, offer
driver = lifetime_child.start_driver()
client = Aeron(dir=driver.dir)
def connected(stream=1):
    return lifetime_child.connected(client, client, stream)
def outcome(call):  # (lifetime_child's catches AeronError only: these scenarios expect ValueError, TypeError...)
    try:
        return f"returned {call()!r}"
    except Exception as exc:
        return f"raised {type(exc).__name__}"
"""

ARCHIVE = CLIENT + """
from aeron_cffi.archive import AeronArchive
from aeron_cffi.testing import JavaArchive
process = DriverProcess(os.path.abspath("aeronmd"), threading_mode="SHARED").start()
java = JavaArchive(process.dir, archive_dir=os.path.abspath("archive")).start()
def connect(**settings):
    return AeronArchive.connect(aeron_directory_name=str(process.dir), control_request_channel=java.control_request_channel,
                                control_response_channel=java.control_response_channel, **settings)
"""


def test_close_handlers_run_when_their_client_closes(tmp_path):
    # Aeron.close closed its children first, among them the close handler's registration,
    # which removed the handler before aeron_close could call it; and a registration nobody
    # kept was collected at once, its finalizer removing the handler.
    result = run_script(CLIENT + """
calls = []
client.add_close_handler(lambda: calls.append("closed"))
client.close()
print("calls", calls)
assert_c_closed(client)
driver.close()
""", tmp_path)
    assert "calls ['closed']" in result.stdout


def test_a_reserved_value_outside_int64_raises(tmp_path):
    # cffi failed converting the supplier's result after the trampoline returned: it printed
    # "Exception ignored from cffi callback" and sent the message with a reserved value of 0.
    result = run_script(CLIENT + """
publication, subscription = connected()
print(outcome(lambda: publication.offer(b"x", lambda frame_length: 2**64)))
""", tmp_path)
    assert "raised OverflowError" in result.stdout
    assert "Exception ignored" not in result.stderr


def test_a_controlled_handler_returning_no_action_raises(tmp_path):
    # 2**40 failed cffi's conversion (printed, swallowed); 99 went to C as an action.
    result = run_script(CLIENT + """
publication, subscription = connected()
for action in (99, 2**40, "commit"):
    offer(publication, b"m")
    print(action, outcome(lambda: subscription.controlled_poll(lambda data, header: action, 1)))
""", tmp_path)
    assert result.stdout.count("raised ValueError") == 3, result.stdout
    assert "Exception ignored" not in result.stderr


def test_a_failing_supplier_with_a_memoryview_payload_does_not_crash_the_collector(tmp_path):
    # SyncTarget.raise_pending kept the exception it raised in a local of a frame of that
    # exception's traceback: a cycle, which also held offer's frame, the memoryview and cffi's
    # buffer exported from it. Collecting it crashed Python 3.11 (CPython gh-77894).
    result = run_script(CLIENT + """
publication, subscription = connected()
def supplier(frame_length):
    raise KeyError("from the supplier")
raised = 0
for i in range(2000):
    try:
        publication.offer(memoryview(b"payload"), supplier)
    except KeyError:
        raised += 1
    while subscription.poll(lambda data, header: None, 100):
        pass
    if i % 10 == 0:
        gc.collect()
print("raised", raised == 2000)  # the supplier is asked before the offer: every offer raises
""", tmp_path)
    assert "raised True" in result.stdout


def test_an_offer_error_kept_in_a_cycle_does_not_crash_the_collector(tmp_path):
    # offer kept ffi.from_buffer(data) in its frame when it raised: a user keeping the exception
    # in a cycle made the collector clear the memoryview while cffi still held its export,
    # which crashes Python 3.11 (CPython gh-77894).
    result = run_script(CLIENT + """
publication = client.add_publication("aeron:ipc", 1)
too_long = publication.max_message_length + 1
class Recorder:
    def __init__(self):
        self.errors = []
    def send(self, data):
        try:
            publication.offer(data)
        except InvalidArgumentError as exc:
            self.errors.append(exc)  # exc -> traceback -> this frame -> self -> errors -> exc
caught = 0
for i in range(2000):
    data = memoryview(bytes(too_long))
    recorder = Recorder()
    recorder.send(data)
    caught += len(recorder.errors)
    del data, recorder
    if i % 10 == 0:
        gc.collect()
print("survived, caught", caught)
""", tmp_path)
    assert "survived, caught 2000" in result.stdout  # every offer raised, and so made a cycle


def test_try_claim_without_a_buffer_claim_raises_type_error(tmp_path):
    # it raised AttributeError ('NoneType' object has no attribute '_release_view')
    result = run_script(CLIENT + """
publication, subscription = connected()
print(outcome(lambda: publication.try_claim(8, None)))
""", tmp_path)
    assert "raised TypeError" in result.stdout


def test_listing_no_recordings_answers_at_once(tmp_path):
    # The archive sends nothing for a count of 0 (or less): the C client waited out its
    # 10 s message timeout and raised AeronTimeoutError.
    result = run_script(ARCHIVE + """
with connect() as archive:
    for count in (0, -1):
        started = time.monotonic()
        print(count, outcome(lambda: archive.list_recordings(0, count)), time.monotonic() - started < 5)
java.close(); process.stop()
""", tmp_path)
    assert "0 returned [] True" in result.stdout
    assert "-1 raised InvalidArgumentError True" in result.stdout


def test_a_replay_to_a_malformed_channel_is_refused_at_once(tmp_path):
    # The archive does not answer a replay request whose channel it cannot parse: the call
    # waited out the message timeout (AeronTimeoutError, 10 s).
    result = run_script(ARCHIVE + """
with connect() as archive:
    for call in (archive.start_replay, archive.replay):
        started = time.monotonic()
        print(outcome(lambda: call(0, "aeron:foo", 5)), time.monotonic() - started < 5)
java.close(); process.stop()
""", tmp_path)
    assert result.stdout.count("raised InvalidArgumentError True") == 2, result.stdout


def test_add_recorded_publication_on_an_invoker_client_returns(tmp_path):
    # Aeron 1.51.0's aeron_archive_add_recorded_*publication polls the add without running
    # an invoker-mode client's conductor: it never returned.
    result = run_script(ARCHIVE + """
invoker = Aeron(dir=str(process.dir), use_conductor_agent_invoker=True)
with connect(aeron=invoker) as archive:
    for add in (archive.add_recorded_publication, archive.add_recorded_exclusive_publication):
        publication = add("aeron:ipc", 77)
        print(type(publication).__name__, len(archive.list_recording_subscriptions()))
        print(outcome(lambda: add("aeron:ipc", 77)))
        publication.close()
        assert_c_closed(publication)
invoker.close(); java.close(); process.stop()
assert_c_closed(invoker)
""", tmp_path, timeout=120)
    lines = result.stdout.splitlines()
    assert "Publication 1" in lines
    assert "raised RegistrationError" in result.stdout  # a second concurrent one is not new
    assert "ExclusivePublication 2" in lines
