"""Misuse fuzzing (issue #7): hypothesis state machines that use aeron-cffi the way a careless user
would, against the real C media driver (embedded and ``aeronmd``) and a real Java archive.

Every step checks its Python-level outcome against a model of what is open. On an object the model
knows is closed (by itself or by an ancestor) every call must raise ``ResourceClosedError``; on an
open one the call returns, or raises exactly the exception the library documents for that input
(``TypeError``/``InvalidArgumentError`` for bad arguments, ``RegistrationError`` when the driver
refuses, ``ArchiveError`` when the archive does, what a user callback raised). Anything else fails
the sequence, which hypothesis shrinks and prints with the notes of each step.

The machines run in this script, in a process of their own (``test_fuzz.py`` starts it), so that
an interpreter crash is an exit status rather than a lost test run; ``--trace FILE`` keeps the
steps of the running sequence in a file for that case. The drivers and the archive start once per
run; each sequence makes its own clients, and ``teardown`` closes what it left.

    python tests/fuzz/fuzz_machine.py --machine client --examples 400 --steps 40 [--seed N]

Machines: ``client`` (the client layer, here), ``archive`` (the client layer and a Java archive,
``archive_machine.py``) and ``hazard`` (the client layer and closes where they hurt: from inside
the handlers, callbacks and suppliers of the call using the victim, from conductor callbacks,
from other threads while calls and the fast paths run; images whose publisher went; offers from
several threads with suppliers: ``hazard_machine.py``).
"""

from __future__ import annotations

import argparse
import array
import dataclasses
import faulthandler
import functools
import gc
import importlib
import itertools
import logging
import os
import pathlib
import shutil
import sys
import tempfile
import time
import weakref
from typing import Any, Callable

import hypothesis
from hypothesis import HealthCheck, note, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from aeron_cffi import (
    Aeron,
    AeronError,
    AeronTimeoutError,
    BufferClaim,
    ControlledFragmentAssembler,
    ControlledPollAction,
    Counter,
    CountersReader,
    DriverProcess,
    DriverTimeoutError,
    ExclusivePublication,
    FragmentAssembler,
    Image,
    InvalidArgumentError,
    MediaDriver,
    OfferResult,
    Publication,
    PublicationError,
    RegistrationError,
    ResourceClosedError,
    Subscription,
)
from aeron_cffi.testing.ports import PortAllocator
from aeron_cffi.testing.waiting import wait_until

TERM_LENGTH = 64 * 1024
MAX_MESSAGE = TERM_LENGTH // 8  # what Aeron allows for a 64 KiB term
MAX_PAYLOAD = 1408 - 32  # default MTU less the data header: the try_claim limit
IDLE_NS = 1_000_000  # clients' conductor idle sleep: 1 ms instead of 16 keeps sequences quick
# The drivers' timer: it ends closed publications (and so their images) 10 times as soon as by default.
TIMER_INTERVAL_MS = 100
RETRYABLE = frozenset({OfferResult.NOT_CONNECTED, OfferResult.BACK_PRESSURED, OfferResult.ADMIN_ACTION})
IDX = st.integers(min_value=0, max_value=63)  # which object of a kind a rule works on (modulo)


class FuzzHandlerError(Exception):
    """What the fuzzer's deliberately failing callbacks raise."""


def fail(*args: Any) -> None:
    raise FuzzHandlerError("raised by a fuzz callback")


# -- messages: each one says how long it is, so receivers check it arrived whole ---------------

MAGIC = b"FZ"


@functools.lru_cache(maxsize=None)
def message(size: int) -> bytes:
    if size < 6:
        return b"f" * size
    return MAGIC + size.to_bytes(4, "little") + bytes(i % 251 for i in range(size - 6))


def check_message(data: bytes, where: str) -> None:
    """Fail unless a whole message that starts like one of ours is exactly one of ours."""
    if data[:2] == MAGIC:
        assert data == message(len(data)), f"{where}: corrupt message of {len(data)} bytes: {data[:16]!r}"


SIZES = {"empty": 0, "small": 40, "fragmented": 3000, "max": MAX_MESSAGE, "too-big": MAX_MESSAGE + 1}


# -- argument tables: name -> (value, what using it raises, or None) -------------------------------

# (channel text, or a template given the driver's UDP endpoint; error adding a publication;
# error adding a subscription). Malformed URIs fail in Python, the rest in the driver.
CHANNELS: dict[str, tuple[Any, Any, Any]] = {
    "ipc": ("aeron:ipc", None, None),
    "udp": ("aeron:udp?endpoint={udp}", None, None),
    "ipc-term-length-3": ("aeron:ipc?term-length=3", RegistrationError, None),
    "udp-no-endpoint": ("aeron:udp", RegistrationError, RegistrationError),
    "udp-port-99999": ("aeron:udp?endpoint=localhost:99999", RegistrationError, RegistrationError),
    "media-foo": ("aeron:foo", InvalidArgumentError, InvalidArgumentError),
    "empty": ("", InvalidArgumentError, InvalidArgumentError),
    "bytes": (b"aeron:ipc", TypeError, TypeError),
    "none": (None, TypeError, TypeError),
}
STREAMS: dict[str, tuple[Any, Any]] = {
    "1": (1, None), "2": (2, None), "-7": (-7, None),
    "2**31": (2**31, InvalidArgumentError), "str": ("1", TypeError), "bool": (True, TypeError),
    "float": (1.0, TypeError),
}
PAYLOADS: dict[str, tuple[Callable[[bytes], Any], Any]] = {
    "bytes": (bytes, None),
    "bytearray": (bytearray, None),
    "memoryview": (memoryview, None),
    "array": (lambda b: array.array("B", b), None),
    "view-slice": (lambda b: memoryview(b"xx" + b)[2:], None),
    "strided-view": (lambda b: memoryview(bytes(2 * len(b) + 4))[::2], BufferError),
    "str": (lambda b: b.decode("latin-1"), TypeError),
    "int": (len, TypeError),
    "none": (lambda b: None, TypeError),
}
# A reserved value supplier: (function given a list recording its calls, what offer then raises).
SUPPLIERS: dict[str, tuple[Callable[[list], Callable[[int], Any]], Any]] = {
    "value": (lambda calls: lambda n: calls.append(n) or 7, None),
    "raises": (lambda calls: lambda n: calls.append(n) or fail(), FuzzHandlerError),
    "not-int": (lambda calls: lambda n: calls.append(n) or "seven", TypeError),
    "too-big": (lambda calls: lambda n: calls.append(n) or 2**64, OverflowError),
}
COUNTER_TYPES = {"1001": (1001, None), "2**40": (2**40, OverflowError)}
COUNTER_KEYS = {"empty": (b"", None), "key": (b"key", None), "too-long": (b"k" * 200, InvalidArgumentError),
                "none": (None, TypeError)}
COUNTER_LABELS = {"empty": ("", None), "text": ("fuzz counter", None), "bytes": (b"bytes label", None),
                  "too-long": ("l" * 400, InvalidArgumentError)}
CLAIM_LENGTHS = {"0": (0, None), "small": (24, None), "max": (MAX_PAYLOAD, None),
                 "too-big": (MAX_PAYLOAD + 1, InvalidArgumentError), "-1": (-1, InvalidArgumentError),
                 "str": ("8", TypeError), "float": (8.0, TypeError)}
# What cffi raises converting an int that does not fit the C parameter: a clear Python
# exception raised before C is called, which the library lets through.
C_RANGE = OverflowError


def use(obj: Any, name: str) -> Any:
    """Read the property ``name`` of ``obj``, or call its method ``name`` with no arguments."""
    return getattr(obj, name)() if callable(getattr(type(obj), name)) else getattr(obj, name)


def first(*errors: Any) -> Any:
    """The first error of those a call checks in this order, or None."""
    return next((error for error in errors if error is not None), None)


# -- the run -----------------------------------------------------------------------------------


class LoggedErrors(logging.Handler):
    """What the library logged as an error (a close that failed in a finalizer, at exit or when
    a call in flight finished it): a sequence logs none."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        self.records.append(f"{text}: {record.exc_info[1]!r}" if record.exc_info else text)


LOGGED = LoggedErrors()
logging.getLogger("aeron_cffi").addHandler(LOGGED)


class Run:
    """Totals of this process, printed at the end, and the trace of the running sequence."""

    sequences = 0
    steps = 0
    trace: Any = None

    @classmethod
    def start_sequence(cls) -> None:
        cls.sequences += 1
        if cls.trace is not None:
            cls.trace.seek(0)
            cls.trace.truncate()
            cls.trace.write(f"sequence {cls.sequences}\n")

    @classmethod
    def step(cls, text: str) -> None:
        cls.steps += 1
        note(text)
        if cls.trace is not None:
            cls.trace.write(text + "\n")
            cls.trace.flush()


class World:
    """What one run shares: an embedded driver, an ``aeronmd`` process and, for the archive
    machine, a Java archive with a client of the fuzzer's own (for clean-up between sequences)."""

    def __init__(self, with_archive: bool, base: str | None) -> None:
        self.tmp = pathlib.Path(tempfile.mkdtemp(prefix="aeron-fuzz-", dir=base))
        ports = PortAllocator()
        # Clients in invoker mode send keepalives only from do_work: long liveness timeouts keep
        # a slow sequence on a loaded machine from being timed out (the unblock timeout must be longer).
        self.embedded = MediaDriver(
            dir=str(self.tmp / "embedded"), threading_mode="SHARED", term_buffer_length=TERM_LENGTH,
            ipc_term_buffer_length=TERM_LENGTH, dir_delete_on_start=True, dir_delete_on_shutdown=True,
            client_liveness_timeout_ns=60 * 10**9, publication_unblock_timeout_ns=75 * 10**9,
            timer_interval_ns=TIMER_INTERVAL_MS * 10**6)
        self.process = DriverProcess(
            self.tmp / "aeronmd", threading_mode="SHARED", term_buffer_length=TERM_LENGTH,
            ipc_term_buffer_length=TERM_LENGTH, dir_delete_on_shutdown=True,
            client_liveness_timeout="60s", publication_unblock_timeout="75s",
            timer_interval=f"{TIMER_INTERVAL_MS}ms").start()
        self.dirs = [self.embedded.dir, str(self.process.dir)]
        self.udp = [f"localhost:{ports()}", f"localhost:{ports()}"]
        self.replay_udp = f"localhost:{ports()}"
        self.archive = self.admin = None
        self.recordings: set[int] = set()  # recording ids the archive listed
        self.stream_ids = itertools.count(1000)
        if with_archive:
            from aeron_cffi.archive import AeronArchive
            from aeron_cffi.testing import JavaArchive

            self.archive = JavaArchive(self.process.dir, archive_dir=self.tmp / "archive",
                                       segment_file_length=2 * TERM_LENGTH).start()
            self.admin = AeronArchive.connect(**self.archive_settings())

    def archive_settings(self) -> dict[str, Any]:
        return dict(aeron_directory_name=self.dirs[1], control_request_channel=self.archive.control_request_channel,
                    control_response_channel=self.archive.control_response_channel)

    def close(self) -> None:
        try:
            if self.admin is not None:
                self.admin.close()
            if self.archive is not None:
                self.archive.close()
        finally:
            self.process.stop()
            self.embedded.close()
            shutil.rmtree(self.tmp, ignore_errors=True)


# -- the model ---------------------------------------------------------------------------------


@dataclasses.dataclass(eq=False)  # compared by identity
class Node:
    """An object a sequence made, and what the model knows of it."""

    kind: str
    name: str
    obj: Any
    parent: Node | None
    info: dict[str, Any]
    closed: bool = False

    @property
    def is_closed(self) -> bool:
        """Closed here, by an ancestor, or by the archive that started this client and closes
        it (``info["owner"]``; that archive is the client's child, so its flag is enough)."""
        node: Node | None = self
        while node is not None:
            owner = node.info.get("owner")
            if node.closed or (owner is not None and owner.closed):
                return True
            node = node.parent
        return False

    @property
    def client(self) -> Node:
        node = self
        while node.kind != "client":
            assert node.parent is not None, f"{self} has no client"
            node = node.parent
        return node

    def __str__(self) -> str:
        return self.name


# How ``pick`` makes an object of a kind when there is none.
ENSURE: dict[str, tuple[str, Callable[[Aeron], Any]]] = {
    "pub": ("add_publication(ipc, 1)", lambda client: client.add_publication("aeron:ipc", 1)),
    "sub": ("add_subscription(ipc, 1)", lambda client: client.add_subscription("aeron:ipc", 1)),
    "counter": ("add_counter(1001)", lambda client: client.add_counter(1001)),
    "reader": ("counters_reader()", lambda client: client.counters_reader()),
}

# Kinds of objects; those with close() are Resources.
CLOSABLE = ("client", "pub", "sub", "async", "counter", "reader", "image", "registration", "assembler", "archive")
KINDS = CLOSABLE + ("claim", "stale")


class ClientMachine(RuleBasedStateMachine):
    """A user of the client layer: clients on both drivers, publications, subscriptions, images,
    counters, claims and asynchronous adds, used, misused, closed in any order and dropped."""

    world: World
    needs_archive = False
    max_clients = 3

    def __init__(self) -> None:
        super().__init__()
        Run.start_sequence()
        self.nodes: dict[str, list[Node]] = {kind: [] for kind in KINDS}
        self.reported: list[BaseException] = []  # what the clients' error handlers received
        self.unraisable: list[str] = []
        LOGGED.records.clear()
        sys.unraisablehook = lambda u: self.unraisable.append(f"{u.exc_type.__name__}: {u.exc_value} in {u.object!r}")
        self.clients_made: list[weakref.ref] = []
        self.ids = itertools.count(1)

    # -- bookkeeping -------------------------------------------------------------------------

    def keep(self, kind: str, obj: Any, parent: Node | None = None, **info: Any) -> Node:
        node = Node(kind, f"{kind}{next(self.ids)}", obj, parent, info)
        self.nodes[kind].append(node)
        return node

    def pick(self, kind: str, i: int) -> Node | None:
        """The object of ``kind`` a rule works on, made if there is none and it can be (else
        None: the rule does nothing). Rules have no preconditions: what exists depends on
        timing (images, callbacks, asynchronous adds), and hypothesis needs the same draws to
        choose the same rules."""
        nodes = self.nodes[kind]
        if nodes:
            return nodes[i % len(nodes)]
        if kind == "client":
            return self.open_client(i % 2, invoker=False)
        if kind not in ENSURE:
            return None
        if kind == "pub":
            self.pick("sub", i)  # so that it connects: offers and claims go through
        client = self.pick("client", i)
        assert client is not None
        what, make = ENSURE[kind]
        made = self.expect(client, what, lambda: make(client.obj))
        return None if isinstance(made, BaseException) else self.keep(kind, made, client)

    def expect(self, node: Node | None, what: str, fn: Callable[[], Any], error: Any = None,
               allow: tuple[type[BaseException], ...] = ()) -> Any:
        """Run ``fn()`` as the step ``what`` on ``node`` (None: a call on no object) and check it.

        On a node the model knows is closed the call must raise ``ResourceClosedError``. On an
        open one it must raise ``error`` when that is given, and otherwise return or raise one of
        ``allow``; it never raises ``ResourceClosedError`` unless that is what is expected.
        Returns the value, or the exception that was raised as expected."""
        if node is not None and node.is_closed:
            error, allow = ResourceClosedError, ()
        expected = allow if error is None else (error if isinstance(error, tuple) else (error,))
        names = "/".join(e.__name__ for e in expected)
        Run.step(f"{node or '-'}: {what}" + (f" -> {names}" if error is not None else ""))
        try:
            value = fn()
        except Exception as exc:
            wrongly_closed = isinstance(exc, ResourceClosedError) and not any(
                issubclass(e, ResourceClosedError) for e in expected)
            if isinstance(exc, expected) and not wrongly_closed:
                # A rule's frame keeps it and its traceback holds that frame: a reference cycle,
                # as in any ``except E as e: error = e``, which the collector must break safely
                # whatever the frames hold (test_fuzz_regressions.py, CPython gh-77894).
                return exc
            raise AssertionError(f"{node or '-'}: {what}: raised {type(exc).__name__}: {exc}; expected "
                                 f"{names if error else 'success or ' + (names or 'nothing')}") from exc
        assert error is None, f"{node or '-'}: {what}: returned {value!r}; expected {names}"
        return value

    def report(self, error: BaseException) -> None:
        """The clients' error handler. Without its traceback: the frames of the callback that
        raised it would keep what they used (a client the sequence dropped) alive."""
        self.reported.append(error.with_traceback(None))

    def udp(self, client: Node) -> str:
        return self.world.udp[client.info["driver"]]

    # -- clients -----------------------------------------------------------------------------

    def open_client(self, driver: int, invoker: bool, **settings: Any) -> Node:
        client = self.expect(None, f"Aeron(driver {driver}, invoker={invoker})", lambda: Aeron(
            dir=self.world.dirs[driver], idle_sleep_duration_ns=IDLE_NS, use_conductor_agent_invoker=invoker,
            error_handler=self.report, **settings))
        self.clients_made.append(weakref.ref(client))
        return self.keep("client", client, driver=driver, invoker=invoker)

    @rule(driver=st.sampled_from([0, 1]), invoker=st.booleans())
    def create_client(self, driver: int, invoker: bool) -> None:
        if sum(not node.is_closed for node in self.nodes["client"]) < self.max_clients:
            self.open_client(driver, invoker)

    @rule(how=st.sampled_from(["no-driver", "unknown-setting", "context-and-settings"]))
    def create_client_badly(self, how: str) -> None:
        from aeron_cffi import Context

        if how == "no-driver":
            self.expect(None, "Aeron(dir=<no driver>)", lambda: Aeron(
                dir=str(self.world.tmp / "nothing"), driver_timeout_ms=20), DriverTimeoutError)
        elif how == "unknown-setting":
            self.expect(None, "Aeron(no_such_setting=1)", lambda: Aeron(no_such_setting=1), TypeError)
        else:
            self.expect(None, "Aeron(Context(), dir=...)", lambda: Aeron(Context(), dir=self.world.dirs[0]), TypeError)

    @rule(i=IDX, op=st.sampled_from([
        "client_id", "next_correlation_id", "next_session_id", "next_session_id-2**31", "print_counters",
        "print_counters-raises", "do_work", "counters_reader", "reuse-context", "close-context",
        "close-handler", "counter-handler", "counter-handler-keeps-reader", "ptr"]))
    def client_op(self, i: int, op: str) -> None:
        node = self.pick("client", i)
        if node is None:
            return
        client: Aeron = node.obj
        if op == "close-context":
            # close() is idempotent on a closed context; on one in use it refuses.
            self.expect(None, f"{node}.context.close()", client.context.close,
                        None if node.is_closed else AeronError)
            assert node.is_closed or not client.context.is_closed
        elif op == "reuse-context":
            self.expect(node, "Aeron(its context)", lambda: Aeron(client.context), AeronError)
        elif op == "do_work":
            value = self.expect(node, "do_work()", client.do_work,
                                None if node.info["invoker"] else InvalidArgumentError)
            assert isinstance(value, (int, BaseException)), value
        elif op.startswith("next_session_id"):
            stream = 2**31 if op.endswith("2**31") else 1
            self.expect(node, f"next_session_id({stream})", lambda: client.next_session_id(stream),
                        InvalidArgumentError if stream == 2**31 else None)
        elif op.startswith("print_counters"):
            lines: list[str] = []
            raises = op.endswith("raises")
            result = self.expect(node, op + "()", lambda: client.print_counters(fail if raises else lines.append),
                                 FuzzHandlerError if raises else None)
            assert raises or isinstance(result, BaseException) or lines, "print_counters wrote nothing"
        elif op == "counters_reader":
            reader = self.expect(node, "counters_reader()", client.counters_reader)
            # a client has one reader (until it is closed): the same object again is the same node
            if isinstance(reader, CountersReader) and not any(n.obj is reader for n in self.nodes["reader"]):
                self.keep("reader", reader, node)
        elif op in ("close-handler", "counter-handler", "counter-handler-keeps-reader"):
            self.add_handler(node, op)
        else:
            value = self.expect(node, op, lambda: use(client, op))
            assert isinstance(value, BaseException) or value is not None

    def add_handler(self, node: Node, op: str) -> None:
        client: Aeron = node.obj
        calls: list[Any] = []
        if op == "close-handler":
            registration = self.expect(node, "add_close_handler()", lambda: client.add_close_handler(
                lambda: calls.append("closed")))
        else:
            keep = op.endswith("keeps-reader")
            stale = self.nodes["stale"]

            def on_counter(reader: CountersReader, registration_id: int, counter_id: int) -> None:
                calls.append(counter_id)
                if keep:  # valid during the call only: the stale rule checks that it is closed after
                    stale.append(Node("stale", "counter-callback-reader", reader, None, {}))
                reader.value(counter_id)

            registration = self.expect(node, f"add_available_counter_handler({op})",
                                       lambda: client.add_available_counter_handler(on_counter))
        if not isinstance(registration, BaseException):
            self.keep("registration", registration, node, calls=calls, close_handler=op == "close-handler")

    # -- adding publications, subscriptions and counters ------------------------------------

    @rule(i=IDX, kind=st.sampled_from(["publication", "exclusive_publication", "subscription"]),
          channel=st.sampled_from(sorted(CHANNELS)), stream=st.sampled_from(sorted(STREAMS)),
          handlers=st.sampled_from(["none", "record", "raise", "cycle"]), wait=st.booleans())
    def add(self, i: int, kind: str, channel: str, stream: str, handlers: str, wait: bool) -> None:
        node = self.pick("client", i)
        if node is None:
            return
        client: Aeron = node.obj
        text, pub_error, sub_error = CHANNELS[channel]
        if isinstance(text, str):
            text = text.format(udp=self.udp(node))
        stream_id, stream_error = STREAMS[stream]
        channel_error = sub_error if kind == "subscription" else pub_error
        # check_channel runs before check_stream_id; the driver answers last
        early = first(channel_error if channel_error is not RegistrationError else None, stream_error)
        args: list[Any] = [text, stream_id]
        box: list[Any] = []
        if kind == "subscription":
            args += self.image_handlers(handlers, box)
        start = getattr(client, f"async_add_{kind}")
        what = f"async_add_{kind}({channel}, {stream}, handlers={handlers})"
        pending = self.expect(node, what, lambda: start(*args), early)
        if isinstance(pending, BaseException):
            return
        result_kind = "sub" if kind == "subscription" else "pub"
        async_node = self.keep("async", pending, node, result_kind=result_kind, box=box,
                              error=channel_error if channel_error is RegistrationError else None)
        if wait:
            self.finish_async(async_node, "wait()", lambda: pending.wait())

    def image_handlers(self, handlers: str, box: list[Any]) -> list[Any]:
        """on_available_image / on_unavailable_image for add_subscription."""
        stale = self.nodes["stale"]
        if handlers == "none":
            return [None, None]
        if handlers == "raise":
            return [fail, fail]
        if handlers == "cycle":
            # the handler refers to the subscription (box) that holds the handler: a cycle for gc
            return [lambda image: box, None]

        def record(image: Image) -> None:
            image.position  # valid during the call
            stale.append(Node("stale", "callback-image", image, None, {}))

        return [record, record]

    def finish_async(self, node: Node, what: str, fn: Callable[[], Any]) -> None:
        """poll() or wait() a pending add and record its result (or check its error)."""
        late = node.info["error"]
        result = self.expect(node, what, fn, allow=(late, AeronTimeoutError) if late else (AeronTimeoutError,))
        if result is None:
            return
        node.closed = True  # done either way: C freed the operation
        if isinstance(result, AeronTimeoutError):
            assert what == "wait(0)", f"{node}: {what} timed out"
            return
        if isinstance(result, BaseException):
            return
        assert late is None, f"{node}: {what} returned {result!r}; expected {late.__name__}"
        kind = node.info["result_kind"]
        expected = {"pub": (Publication, ExclusivePublication), "sub": Subscription, "counter": Counter}[kind]
        assert isinstance(result, expected), f"{node}: {what} returned {result!r}"
        node.info["box"].append(result)
        self.keep(kind, result, node.parent, exclusive=isinstance(result, ExclusivePublication))

    @rule(i=IDX, how=st.sampled_from(["poll", "wait", "wait(0)", "registration_id", "cancel"]))
    def async_op(self, i: int, how: str) -> None:
        node = self.pick("async", i)
        if node is None:
            return
        pending = node.obj
        if how == "poll":
            self.finish_async(node, "poll()", pending.poll)
        elif how == "wait":
            self.finish_async(node, "wait()", pending.wait)
        elif how == "wait(0)":
            self.finish_async(node, "wait(0)", lambda: pending.wait(0))
        elif how == "registration_id":
            value = self.expect(node, "registration_id", lambda: pending.registration_id)
            assert isinstance(value, (int, ResourceClosedError)), value
        else:
            self.expect(None, "cancel()", pending.cancel)
            node.closed = True

    @rule(i=IDX, type_id=st.sampled_from(sorted(COUNTER_TYPES)), key=st.sampled_from(sorted(COUNTER_KEYS)),
          label=st.sampled_from(sorted(COUNTER_LABELS)), static=st.sampled_from([None, 1, 2]), wait=st.booleans())
    def add_counter(self, i: int, type_id: str, key: str, label: str, static: int | None, wait: bool) -> None:
        node = self.pick("client", i)
        if node is None:
            return
        (type_value, type_error), (key_value, key_error), (label_value, label_error) = (
            COUNTER_TYPES[type_id], COUNTER_KEYS[key], COUNTER_LABELS[label])
        what = f"async_add_counter({type_id}, key={key}, label={label}, registration_id={static})"
        pending = self.expect(node, what, lambda: node.obj.async_add_counter(type_value, key_value, label_value, static),
                              first(key_error, label_error, type_error))
        if not isinstance(pending, BaseException):
            async_node = self.keep("async", pending, node, result_kind="counter", box=[], error=None)
            if wait:
                self.finish_async(async_node, "wait()", pending.wait)

    # -- publications ------------------------------------------------------------------------

    @rule(i=IDX, payload=st.sampled_from(sorted(PAYLOADS)), size=st.sampled_from(sorted(SIZES)),
          supplier=st.sampled_from([None, *sorted(SUPPLIERS)]))
    def offer(self, i: int, payload: str, size: str, supplier: str | None) -> None:
        node = self.pick("pub", i)
        if node is None:
            return
        make, payload_error = PAYLOADS[payload]
        data = make(message(SIZES[size]))
        calls: list[int] = []
        function, supplier_error = SUPPLIERS[supplier] if supplier else (None, None)
        args = (data,) if function is None else (data, function(calls))
        result = self.expect(node, f"offer({payload} {size}, supplier={supplier})", lambda: node.obj.offer(*args),
                             first(payload_error, InvalidArgumentError if size == "too-big" else None),
                             allow=(supplier_error,) if supplier_error else ())
        # (a bad payload or length is refused before the supplier is asked)
        self.check_offer(node, result, calls, supplier_error if payload_error is None and size != "too-big" else None)

    def check_offer(self, node: Node, result: Any, calls: list[int], supplier_error: Any) -> None:
        """An offer's result: a position, a retryable OfferResult, or what its supplier raised
        (if and only if the supplier was called: it is asked before the message goes out, and
        then nothing is sent)."""
        if isinstance(result, BaseException):
            assert supplier_error is None or type(result) is not supplier_error or calls, \
                f"{node}: raised without calling the supplier"
            return
        assert result > 0 or result in RETRYABLE, f"{node}: offer returned {result!r}"
        assert not (calls and supplier_error), f"{node}: supplier failed but offer returned {result!r}"

    @rule(i=IDX, shape=st.sampled_from(["one", "three", "no-buffers", "with-str", "not-iterable"]),
          size=st.sampled_from(sorted(SIZES)))
    def offerv(self, i: int, shape: str, size: str) -> None:
        node = self.pick("pub", i)
        if node is None:
            return
        data = message(SIZES[size])
        third = len(data) // 3
        buffers: Any = {
            "one": [data], "three": [data[:third], bytearray(data[third:2 * third]), memoryview(data)[2 * third:]],
            "no-buffers": [], "with-str": [data, "str"], "not-iterable": 7}[shape]
        error = TypeError if shape in ("with-str", "not-iterable") else (
            InvalidArgumentError if size == "too-big" and shape != "no-buffers" else None)
        result = self.expect(node, f"offerv({shape}, {size})", lambda: node.obj.offerv(buffers), error)
        self.check_offer(node, result, [], None)

    @rule(i=IDX, claim=st.integers(0, 3), length=st.sampled_from(sorted(CLAIM_LENGTHS)), view=st.booleans())
    def try_claim(self, i: int, claim: int, length: str, view: bool) -> None:
        node = self.pick("pub", i)
        if node is None:
            return
        claims = self.nodes["claim"]
        if claim >= len(claims):
            claim_node = self.keep("claim", BufferClaim(), holder=None, epoch=0, views=[])
        else:
            claim_node = claims[claim]
        value, error = CLAIM_LENGTHS[length]
        result = self.expect(node, f"try_claim({length}, {claim_node})", lambda: node.obj.try_claim(value, claim_node.obj),
                             error)
        if isinstance(result, BaseException):
            return
        claim_node.info["epoch"] += 1  # C reuses the holder: the views of its last claim are released
        assert result > 0 or result in RETRYABLE, f"{node}: try_claim returned {result!r}"
        if result > 0:
            claim_node.info["holder"] = node  # a claim it held before is abandoned: a user error, not a crash
            assert len(claim_node.obj) == value
            if view:
                self.claim_view(claim_node)

    @staticmethod
    def claim_state(node: Node) -> tuple[Node | None, str, Any]:
        """A claim's publication, its state, and what a claim's method raises in that state:
        nothing claimed, AeronError; the publication closed, ResourceClosedError (and the
        claim lets go of it)."""
        holder = node.info["holder"]
        state = "none" if holder is None else ("closed" if holder.is_closed else "open")
        return holder, state, {"none": AeronError, "closed": ResourceClosedError}.get(state)

    def claim_view(self, node: Node) -> None:
        """Take the claim's ``buffer`` (a view of the term buffer), write through it, keep it."""
        holder, state, refused = self.claim_state(node)
        view = self.expect(None, f"{node}.buffer (claim of {holder}: {state})", lambda: node.obj.buffer, refused)
        if state == "closed":
            node.info["holder"] = None
            node.info["epoch"] += 1
        if isinstance(view, memoryview):
            assert len(view) == len(node.obj) and not view.readonly, view
            view[:min(8, len(view))] = b"\xaa" * min(8, len(view))
            node.info["views"].append((view, node.info["epoch"]))

    @rule(c=IDX)
    def write_kept_view(self, c: int) -> None:
        """A view of a claim lives as long as the claim: once that ended (committed, aborted,
        the holder reused, the publication closed) writing through it raises ValueError."""
        node = self.pick("claim", c)
        if node is None or not node.info["views"]:
            return
        holder = node.info["holder"]
        view, epoch = node.info["views"][-1]
        live = holder is not None and not holder.is_closed and epoch == node.info["epoch"]
        self.expect(None, f"write a kept view of {node} ({'live' if live else 'ended'})",
                    lambda: view.__setitem__(slice(0, min(8, len(view))), b"\xbb" * min(8, len(view))),
                    None if live else ValueError)

    @rule(c=IDX, op=st.sampled_from(["put", "put-past-end", "put-negative-offset", "put-str", "get", "commit",
                                     "abort", "commit-twice", "with", "with-raising", "buffer"]))
    def claim_op(self, c: int, op: str) -> None:
        node = self.pick("claim", c)
        if node is None:
            return
        claim: BufferClaim = node.obj
        if op == "buffer":
            self.claim_view(node)
            return
        holder, state, refused = self.claim_state(node)
        data = b"\xaa" * 8  # never starts like a fuzz message: receivers do not check claims
        # committing or aborting ends the claim, and so does finding its publication closed
        if state == "closed" or op in ("commit", "abort", "commit-twice", "with", "with-raising"):
            node.info["holder"] = None
            node.info["epoch"] += 1
        if op == "commit-twice":
            self.expect(None, f"commit() (claim of {holder}: {state})", claim.commit, refused)
            self.expect(None, "commit() again", claim.commit, AeronError)
            return
        if op in ("with", "with-raising"):
            def block() -> None:
                with claim:
                    if op == "with-raising":
                        fail()
            # __exit__ commits or aborts what is claimed and lets the block's exception through
            self.expect(None, f"{op} (claim of {holder}: {state})", block, refused if state == "closed" else (
                FuzzHandlerError if op == "with-raising" else None))
            return
        call, error = {
            "put": (lambda: claim.put(data[:len(claim)]), None),
            "put-past-end": (lambda: claim.put(data, len(claim)), InvalidArgumentError),
            "put-negative-offset": (lambda: claim.put(b"x", -1), InvalidArgumentError),
            "put-str": (lambda: claim.put("text"), TypeError),
            "get": (claim.get, None),
            "commit": (claim.commit, None),
            "abort": (claim.abort, None),
        }[op]
        value = self.expect(None, f"{op} (claim of {holder}: {state})", call, refused or error)
        if op == "get" and state == "open":
            assert len(value) == len(claim), value

    @rule(i=IDX, op=st.sampled_from(["position", "position_limit", "channel_status", "is_connected", "constants",
                                     "channel", "stream_id", "session_id", "registration_id", "max_message_length",
                                     "max_payload_length", "local_addresses"]))
    def publication_op(self, i: int, op: str) -> None:
        node = self.pick("pub", i)
        if node is None:
            return
        value = self.expect(node, op, lambda: use(node.obj, op))
        if op == "max_message_length" and not isinstance(value, BaseException):
            assert value == MAX_MESSAGE, value

    @rule(i=IDX, op=st.sampled_from(["append_padding", "append_padding(-1)", "offer_block(garbage)",
                                     "revoke_on_close", "revoke"]))
    def exclusive_op(self, i: int, op: str) -> None:
        exclusives = [n for n in self.nodes["pub"] if n.info.get("exclusive")]
        if not exclusives:
            return
        node = exclusives[i % len(exclusives)]
        pub: ExclusivePublication = node.obj
        if op == "append_padding":
            result = self.expect(node, op, lambda: pub.append_padding(64))
            self.check_offer(node, result, [], None)
        elif op == "append_padding(-1)":
            self.expect(node, op, lambda: pub.append_padding(-1), InvalidArgumentError)
        elif op == "offer_block(garbage)":
            # not framed: C refuses the block (an error) once a subscriber is connected
            result = self.expect(node, op, lambda: pub.offer_block(b"\x01" * 64), allow=(PublicationError,))
            assert isinstance(result, BaseException) or result in RETRYABLE, result
        elif op == "revoke_on_close":
            self.expect(node, op, pub.revoke_on_close)
        else:
            self.expect(node, op, pub.revoke)
            node.closed = True

    # -- subscriptions and images --------------------------------------------------------------

    def poller(self, on_image: bool, i: int) -> Node | None:
        """A subscription or (if asked and there is one) an image to poll."""
        return self.pick("image" if on_image and self.nodes["image"] or not self.nodes["sub"] else "sub", i)

    def poll_handler(self, node: Node, handler: str, controlled: bool, received: list[bytes],
                     calls: list[int]) -> tuple[Any, Any]:
        """A handler for a poll of ``node`` and the error the poll raises for it (None: none)."""
        stale = self.nodes["stale"]

        def collect(data: bytes, header: Any) -> Any:
            calls.append(1)
            if header.values().flags & 0xC0 == 0xC0:  # unfragmented: a whole message
                received.append(data)
            if handler == "keep-header":
                stale.append(Node("stale", "poll-header", header, None, {}))
            return {"break": ControlledPollAction.BREAK, "abort": ControlledPollAction.ABORT,
                    "commit": ControlledPollAction.COMMIT, "bad-action": 99}.get(handler)

        def assembled(data: bytes, header: Any) -> None:
            calls.append(1)
            received.append(data)

        if handler in ("assembler", "controlled-assembler", "closed-assembler"):
            cls = ControlledFragmentAssembler if handler == "controlled-assembler" else FragmentAssembler
            assembler = node.info.get(cls.__name__)
            if assembler is None or handler == "closed-assembler":
                assembler = self.keep("assembler", cls(assembled))  # not a child: it outlives the subscription
                node.info[cls.__name__] = assembler
            if handler == "closed-assembler":
                assembler.obj.close()
                assembler.closed = True
            # an assembler for the other kind of poll is refused before one that is closed
            mismatch = (cls is ControlledFragmentAssembler) != controlled
            return assembler.obj, TypeError if mismatch else (ResourceClosedError if assembler.is_closed else None)
        if handler == "not-callable":
            return "not a handler", TypeError
        if handler == "raises":
            return lambda data, header: calls.append(1) or fail(), None
        return collect, None

    @rule(i=IDX, on_image=st.booleans(), controlled=st.booleans(),
          handler=st.sampled_from(["collect", "raises", "not-callable", "assembler", "controlled-assembler",
                                   "closed-assembler", "keep-header", "break", "abort", "commit", "bad-action"]),
          limit=st.sampled_from([1, 10, 0, -1, "ten"]))
    def poll(self, i: int, on_image: bool, controlled: bool, handler: str, limit: Any) -> None:
        node = self.poller(on_image, i)
        if node is None:
            return
        received: list[bytes] = []
        calls: list[int] = []
        function, error = self.poll_handler(node, handler, controlled, received, calls)
        # the handler is checked before C is called, and the limit when it is
        error = first(error, TypeError if limit == "ten" else None, C_RANGE if limit == -1 else None)
        allow: tuple[type[BaseException], ...] = ()
        if handler == "raises":
            allow = (FuzzHandlerError,)
        elif handler == "bad-action" and controlled:
            allow = (ValueError,)  # a controlled handler returns a ControlledPollAction or None
        method = "controlled_poll" if controlled else "poll"
        result = self.expect(node, f"{method}({handler}, {limit!r})",
                             lambda: getattr(node.obj, method)(function, limit), error, allow)
        if isinstance(result, BaseException):
            assert not isinstance(result, allow) or calls, f"{node}: {result!r} without calling the handler"
            return
        assert result >= 0 and not (calls and allow), f"{node}: {method} returned {result!r} after {len(calls)} calls"
        for data in received:
            check_message(data, f"{node}.{method}")

    @rule(i=IDX, max_messages=st.sampled_from([1, 16, 0]), capacity=st.sampled_from([64, 1 << 16, 0]))
    def poll_batch(self, i: int, max_messages: int, capacity: int) -> None:
        node = self.pick("sub", i)
        if node is None:
            return
        batch = self.expect(node, f"poll_batch({max_messages}, {capacity})",
                            lambda: node.obj.poll_batch(max_messages, capacity),
                            InvalidArgumentError if not (max_messages and capacity) else None)
        if not isinstance(batch, BaseException):
            assert 0 <= len(batch) <= max_messages
            for k in range(len(batch)):
                check_message(batch.message(k), f"{node}.poll_batch")

    @rule(i=IDX, on_image=st.booleans(), limit=st.sampled_from([0, 4096, -1]), raises=st.booleans())
    def block_poll(self, i: int, on_image: bool, limit: int, raises: bool) -> None:
        node = self.poller(on_image, i)
        if node is None:
            return
        blocks: list[int] = []

        def handler(block: bytes, session_id: int, term_id: int) -> None:
            blocks.append(len(block))
            if raises:
                fail()

        result = self.expect(node, f"block_poll({limit}, raises={raises})", lambda: node.obj.block_poll(handler, limit),
                             C_RANGE if limit == -1 else None, allow=(FuzzHandlerError,) if raises else ())
        assert not isinstance(result, FuzzHandlerError) or blocks
        assert not (blocks and raises and not isinstance(result, BaseException)), result

    @rule(i=IDX, op=st.sampled_from(["image_at_index(0)", "image_at_index(-1)", "image_at_index(99)",
                                     "image_by_session_id", "images", "for_each_image", "for_each_image-raises",
                                     "for_each_image-keeps", "is_connected", "image_count", "channel_status",
                                     "constants", "local_addresses", "resolved_endpoint",
                                     "try_resolve_channel_endpoint_port"]))
    def subscription_op(self, i: int, op: str) -> None:
        node = self.pick("sub", i)
        if node is None:
            return
        sub: Subscription = node.obj
        if op.startswith("image_at_index"):
            index = int(op[15:-1])
            image = self.expect(node, op, lambda: sub.image_at_index(index), InvalidArgumentError if index < 0 else None)
            self.add_images(node, [image])
        elif op == "image_by_session_id":
            sessions = [n.obj.constants.session_id for n in self.nodes["pub"] if not n.is_closed]
            session = sessions[i % len(sessions)] if sessions else 12345
            self.add_images(node, [self.expect(node, f"image_by_session_id({session})",
                                               lambda: sub.image_by_session_id(session))])
        elif op == "images":
            self.add_images(node, self.expect(node, op, sub.images) or [])
        elif op.startswith("for_each_image"):
            seen: list[Image] = []
            raises, keeps = op.endswith("raises"), op.endswith("keeps")

            def each(image: Image) -> None:
                seen.append(image)
                image.constants
                if raises:
                    fail()

            result = self.expect(node, op, lambda: sub.for_each_image(each), allow=(FuzzHandlerError,) if raises else ())
            assert raises == isinstance(result, FuzzHandlerError) or not seen
            if keeps:
                self.nodes["stale"] += [Node("stale", "for-each-image", image, None, {}) for image in seen]
        else:
            self.expect(node, op, lambda: use(sub, op))

    def add_images(self, sub: Node, images: Any) -> None:
        if isinstance(images, BaseException):
            return
        for image in images:
            if isinstance(image, Image):
                self.keep("image", image, sub)

    @rule(i=IDX, op=st.sampled_from(["position", "position=same", "position=unaligned", "is_end_of_stream",
                                     "end_of_stream_position", "active_transport_count", "is_publication_revoked",
                                     "constants", "reject", "bounded_poll", "controlled_peek",
                                     "controlled_peek-before-start"]))
    def image_op(self, i: int, op: str) -> None:
        node = self.pick("image", i)
        if node is None:
            return
        image: Image = node.obj
        # a closed image (its publication went away) keeps its final position and validates nothing
        lingering = not node.is_closed and image.is_closed
        if op == "position=same":
            self.expect(node, op, lambda: setattr(image, "position", image.position))
        elif op == "position=unaligned":
            self.expect(node, op, lambda: setattr(image, "position", image.position + 3),
                        None if lingering else InvalidArgumentError)
        elif op == "reject":
            # refused once the image has gone, which its publisher going may make happen at any time
            self.expect(node, op, lambda: image.reject("fuzz"), ResourceClosedError if lingering else None,
                        allow=(ResourceClosedError,))
        elif op == "bounded_poll":
            received: list[bytes] = []
            self.expect(node, op, lambda: image.bounded_poll(
                lambda data, header: received.append(data), image.position + 4096, 10))
        elif op.startswith("controlled_peek"):
            before = op.endswith("before-start")
            start = (lambda: image.constants.join_position - 32) if before else (lambda: image.position)
            self.expect(node, op, lambda: image.controlled_peek(start(), lambda data, header: None,
                                                                start() + 4096),
                        # (before a join position of 0 the start is negative: refused in Python,
                        # open or gone; after it, C answers for a gone image what it was given)
                        InvalidArgumentError if before and not lingering else None,
                        allow=(InvalidArgumentError,) if before else ())
        else:
            self.expect(node, op, lambda: use(image, op))

    # -- counters ------------------------------------------------------------------------------

    @rule(i=IDX, op=st.sampled_from(["value", "value=5", "value=2**64", "increment", "compare_and_set",
                                     "counter_id", "registration_id", "constants"]))
    def counter_op(self, i: int, op: str) -> None:
        node = self.pick("counter", i)
        if node is None:
            return
        counter: Counter = node.obj
        if op == "value=5":
            self.expect(node, op, lambda: setattr(counter, "value", 5))
        elif op == "value=2**64":
            self.expect(node, op, lambda: setattr(counter, "value", 2**64), C_RANGE)
        elif op in ("increment", "compare_and_set"):
            self.expect(node, op, lambda: counter.increment() if op == "increment" else counter.compare_and_set(0, 1))
        else:
            self.expect(node, op, lambda: use(counter, op))

    @rule(i=IDX, op=st.sampled_from(["counters", "max_counter_id", "value", "label", "key", "state", "type_id",
                                     "owner_id", "buffers", "find_by_type_id_and_registration_id"]),
          counter_id=st.sampled_from([0, -1, 10**9]))
    def reader_op(self, i: int, op: str, counter_id: int) -> None:
        node = self.pick("reader", i)
        if node is None:
            return
        reader: CountersReader = node.obj
        if op in ("counters", "max_counter_id", "buffers"):
            self.expect(node, op, lambda: use(reader, op))
        elif op == "find_by_type_id_and_registration_id":
            self.expect(node, op, lambda: reader.find_by_type_id_and_registration_id(1001, counter_id))
        else:
            self.expect(node, f"{op}({counter_id})", lambda: getattr(reader, op)(counter_id),
                        InvalidArgumentError if counter_id else None)

    # -- stale objects: valid only during a callback ---------------------------------------------

    @rule(i=IDX)
    def use_stale(self, i: int) -> None:
        node = self.pick("stale", i)
        if node is None:
            return
        obj = node.obj
        if isinstance(obj, (Image, CountersReader)):
            # kept by a conductor callback (a client's own thread), which may still be running
            wait_until(lambda: obj.is_closed, f"{node} closed once its callback returned", timeout=10)
        use = {Image: lambda: obj.position, CountersReader: lambda: obj.max_counter_id}.get(type(obj), lambda: obj.values())
        self.expect(None, f"use {node} after its callback", use, ResourceClosedError)

    # -- closing and dropping --------------------------------------------------------------------

    def any_node(self, kinds: tuple[str, ...], i: int) -> tuple[list[Node], int]:
        """An object of any of ``kinds``: its list and index (an empty list: there is none)."""
        nodes = [node for kind in kinds for node in self.nodes[kind]]
        if not nodes:
            return [], 0
        node = nodes[i % len(nodes)]
        return self.nodes[node.kind], self.nodes[node.kind].index(node)

    @rule(i=IDX, twice=st.booleans())
    def close(self, i: int, twice: bool) -> None:
        nodes, index = self.any_node(CLOSABLE, i)
        if not nodes:
            return
        node = nodes[index]
        for _ in range(2 if twice else 1):
            self.expect(None, f"{node}.close()", node.obj.close)  # idempotent, in any order
        self.mark_closed(node)

    def mark_closed(self, node: Node) -> None:
        was_open = not node.is_closed
        node.closed = True
        if node.kind == "client" and was_open:
            for registration in self.nodes["registration"]:
                if registration.parent is node and registration.info["close_handler"] and not registration.closed:
                    assert registration.info["calls"] == ["closed"], \
                        f"{registration}: close handler calls {registration.info['calls']}"

    @rule(i=IDX)
    def drop(self, i: int) -> None:
        """Forget an object without closing it and collect garbage (it may stay alive: children
        keep their parents, claims their publication)."""
        nodes, index = self.any_node(KINDS, i)
        if not nodes:
            return
        node = nodes.pop(index)
        Run.step(f"drop {node}; gc.collect()")
        del node
        gc.collect()

    @invariant()
    def closed_means_closed(self) -> None:
        for kind in CLOSABLE:
            for node in self.nodes[kind]:
                assert not node.is_closed or node.obj.is_closed, f"{node} is open after being closed"

    def teardown(self) -> None:
        roots = {}
        for nodes in self.nodes.values():
            for node in nodes:
                while node.parent is not None:
                    node = node.parent
                if node.kind in ("client", "archive"):
                    roots[id(node)] = node
        for node in roots.values():
            self.expect(None, f"teardown: {node}.close()", node.obj.close)
            self.mark_closed(node)
        self.nodes.clear()
        gc.collect()
        for ref in self.clients_made:
            client = ref()
            assert client is None or client.is_closed, f"a client is still open after teardown: {client!r}"
        unexpected = [e for e in self.reported if not isinstance(e, (AeronError, FuzzHandlerError))]
        assert not unexpected, f"error handlers received {unexpected!r}"
        assert not self.unraisable, f"exceptions were swallowed: {self.unraisable}"
        assert not LOGGED.records, f"the library logged errors: {LOGGED.records}"


# The machines built on this one live in modules of their own (``archive_machine.py``,
# ``hazard_machine.py``), imported when asked for: they import this module.
MACHINES = {"client": (__name__, "ClientMachine"), "archive": ("archive_machine", "ArchiveMachine"),
            "hazard": ("hazard_machine", "HazardMachine")}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--machine", choices=sorted(MACHINES), default="client")
    parser.add_argument("--examples", type=int, default=100, help="sequences hypothesis generates")
    parser.add_argument("--steps", type=int, default=40, help="most steps in a sequence")
    parser.add_argument("--seed", type=int, help="replay a run (printed at the start of every run)")
    parser.add_argument("--trace", help="file holding the steps of the running sequence (for a crash)")
    parser.add_argument("--dir", help="where the drivers' and the archive's directories go (default: the temp dir)")
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else int.from_bytes(os.urandom(4), "little")
    print(f"fuzz: machine={args.machine} seed={seed} examples={args.examples} steps={args.steps}", flush=True)
    faulthandler.enable()
    module, name = MACHINES[args.machine]
    machine: type[ClientMachine] = getattr(importlib.import_module(module), name)
    if args.trace:
        Run.trace = open(args.trace, "w")
    started = time.monotonic()
    world = World(machine.needs_archive, args.dir)
    try:
        machine.world = world
        run_state_machine_as_test(hypothesis.seed(seed)(machine), settings=settings(
            max_examples=args.examples, stateful_step_count=args.steps, deadline=None, database=None,
            derandomize=False, suppress_health_check=[HealthCheck.too_slow], print_blob=True))
    finally:
        world.close()
        print(f"fuzz: sequences={Run.sequences} steps={Run.steps} seconds={time.monotonic() - started:.1f} "
              f"seed={seed}", flush=True)
    return 0


if __name__ == "__main__":
    # The other machines' modules import this one as ``fuzz_machine``: let them find this
    # module (its classes, and the totals of ``Run``) rather than load a second copy.
    sys.modules["fuzz_machine"] = sys.modules[__name__]
    sys.exit(main())
