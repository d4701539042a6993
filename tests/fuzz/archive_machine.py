"""The archive fuzz machine (issue #7): the client machine's user plus a user of a real Java
archive, run by ``fuzz_machine.py --machine archive`` (see that module for how machines run)."""

from __future__ import annotations

import weakref
from typing import Any, Callable

from hypothesis import strategies as st
from hypothesis.stateful import rule

from aeron_cffi import (
    AeronTimeoutError,
    ExclusivePublication,
    InvalidArgumentError,
    Publication,
    RegistrationError,
    ResourceClosedError,
    Subscription,
)
from fuzz_machine import IDX, ClientMachine, FuzzHandlerError, Node, fail, use

__all__ = ["ArchiveMachine"]


# The archive rules record two streams of their own, new in each sequence: the driver still
# holds a closed publication for a while, and one on the same stream would not be new.
RECORDED_STREAMS = (0, 1)
REPLAY_STREAM = 201
UNKNOWN_RECORDING = 10**9
# What the archive machine knows of a recorded (channel, stream): its subscription id, OFF, or
# None when a call that would change it raised from the recording signal consumer, which can
# happen before or after the archive answered.
OFF = "off"


class ArchiveMachine(ClientMachine):
    """The client layer plus a user of a real Java archive: connect (on a client of the
    ``aeronmd`` driver, or the archive's own), record, list, replay, stop, ask about unknown
    recordings, and close archives, their clients and replays in any order."""

    needs_archive = True
    max_archives = 2

    def __init__(self) -> None:
        super().__init__()
        self.streams = [next(self.world.stream_ids) for _ in RECORDED_STREAMS]
        self.recording: dict[tuple[str, int], int] = {}  # (channel, stream) -> recording subscription id
        self.concurrent_streams: set[tuple[str, int]] = set()  # recorded streams a Publication was made on
        self.replays = 0
        self.connected_to_nothing = False

    def recorded_channel(self, udp: bool) -> str:
        return f"aeron:udp?endpoint={self.world.udp[1]}" if udp else "aeron:ipc"

    def archive(self, i: int) -> Node | None:
        return self.pick("archive", i)

    def on_archive(self, node: Node, what: str, fn: Callable[[], Any], error: Any = None,
                   allow: tuple[type[BaseException], ...] = ()) -> Any:
        """``expect`` for a call on an archive. A recording signal consumer that raises may
        raise from any call that reads the control session: signals come in with the responses."""
        if node.info["signals"] == "raise":
            if error is None:
                allow += (FuzzHandlerError,)
            else:
                error = (error, FuzzHandlerError)
        return self.expect(node, what, fn, error, allow)

    @rule(i=IDX, own_client=st.booleans(), signals=st.sampled_from([None, "collect", "raise"]))
    def connect(self, i: int, own_client: bool, signals: str | None) -> None:
        from aeron_cffi.archive import AeronArchive

        if sum(not node.is_closed for node in self.nodes["archive"]) >= self.max_archives:
            return
        settings = self.world.archive_settings()
        if signals:
            settings["recording_signal_consumer"] = fail if signals == "raise" else (lambda signal: None)
        if own_client:
            archive = self.expect(None, f"AeronArchive.connect(signals={signals})",
                                  lambda: AeronArchive.connect(**settings))
            client = self.keep("client", archive.aeron, driver=1, invoker=False)
            self.clients_made.append(weakref.ref(archive.aeron))
            client.info["owner"] = self.keep("archive", archive, client, signals=signals)
            return
        clients = [n for n in self.nodes["client"] if n.info["driver"] == 1]
        client = clients[i % len(clients)] if clients else self.open_client(1, invoker=False)
        del settings["aeron_directory_name"]
        archive = self.expect(client, f"AeronArchive.connect(aeron={client}, signals={signals})",
                              lambda: AeronArchive.connect(aeron=client.obj, **settings))
        if not isinstance(archive, BaseException):
            self.keep("archive", archive, client, signals=signals)

    @rule()
    def connect_to_nothing(self) -> None:
        from aeron_cffi.archive import AeronArchive

        if self.connected_to_nothing:  # it waits out its timeout: once a sequence is enough
            return
        self.connected_to_nothing = True
        self.expect(None, "AeronArchive.connect(<no archive>)", lambda: AeronArchive.connect(
            aeron_directory_name=self.world.dirs[1], control_request_channel="aeron:udp?endpoint=localhost:9",
            control_response_channel="aeron:udp?endpoint=localhost:0", message_timeout_ns=100_000_000),
            AeronTimeoutError)

    @rule(i=IDX, udp=st.booleans(), stream=st.sampled_from(RECORDED_STREAMS), bad_channel=st.booleans())
    def start_recording(self, i: int, udp: bool, stream: int, bad_channel: bool) -> None:
        from aeron_cffi.archive import ArchiveError, ArchiveErrorCode

        node = self.archive(i)
        if node is None:
            return
        channel = "aeron:foo" if bad_channel else self.recorded_channel(udp)
        key = (channel, self.streams[stream])
        state = self.recording.get(key, OFF)
        error = ArchiveError if bad_channel or state not in (OFF, None) else None
        result = self.on_archive(node, f"start_recording{key}", lambda: node.obj.start_recording(*key), error,
                                 (ArchiveError,) if state is None and not bad_channel else ())
        if isinstance(result, ArchiveError):
            assert result.archive_code == (ArchiveErrorCode.GENERIC if bad_channel else
                                           ArchiveErrorCode.ACTIVE_SUBSCRIPTION), result
        elif isinstance(result, int):
            self.recording[key] = result
        elif isinstance(result, FuzzHandlerError) and state is OFF:
            self.recording[key] = None

    @rule(i=IDX, how=st.sampled_from(["subscription", "try_subscription", "channel", "try_channel",
                                      "unknown_subscription", "try_unknown_subscription"]))
    def stop_recording(self, i: int, how: str) -> None:
        from aeron_cffi.archive import ArchiveError

        node = self.archive(i)
        if node is None:
            return
        archive = node.obj
        key = sorted(self.recording)[i % len(self.recording)] if self.recording else ("aeron:ipc", self.streams[0])
        state = self.recording.get(key, OFF)
        by_id = "subscription" in how
        if by_id:
            # by a subscription id: the key's, when it is known, else one the archive never gave
            subscription_id = state if isinstance(state, int) and "unknown" not in how else 12345
            state = state if subscription_id != 12345 else OFF
        call = {
            "subscription": lambda: archive.stop_recording_subscription(subscription_id),
            "try_subscription": lambda: archive.try_stop_recording_subscription(subscription_id),
            "channel": lambda: archive.stop_recording_channel_and_stream(*key),
            "try_channel": lambda: archive.try_stop_recording_channel_and_stream(*key),
        }[how.replace("unknown_", "")]
        try_form = how.startswith("try")
        # stopping what is not recorded: the try_ forms answer False, the others raise
        refused = ArchiveError if state is OFF and not try_form else None
        result = self.on_archive(node, f"stop_recording {how} {key}", call, refused,
                                 (ArchiveError,) if state is None and not try_form else ())
        if isinstance(result, bool) and state is not None:
            assert result == (state is not OFF), f"{how} answered {result} for a recording {state}"
        if state is OFF:
            return
        if not isinstance(result, BaseException):
            self.recording.pop(key, None)
        elif isinstance(result, FuzzHandlerError):
            self.recording[key] = None

    @rule(i=IDX, exclusive=st.booleans(), stream=st.sampled_from(RECORDED_STREAMS))
    def add_recorded_publication(self, i: int, exclusive: bool, stream: int) -> None:
        node = self.archive(i)
        if node is None:
            return
        key = ("aeron:ipc", self.streams[stream])
        # The C client refuses (RegistrationError) a concurrent publication that another one
        # on the driver already registered; exclusive publications are always new.
        shared = not exclusive and key in self.concurrent_streams
        if not exclusive:
            self.concurrent_streams.add(key)
        add = node.obj.add_recorded_exclusive_publication if exclusive else node.obj.add_recorded_publication
        pub = self.on_archive(node, f"add_recorded_{'exclusive_' if exclusive else ''}publication{key}",
                          lambda: add(*key), allow=(RegistrationError,) if shared else ())
        if isinstance(pub, (Publication, ExclusivePublication)):
            self.keep("pub", pub, node.parent, exclusive=exclusive, recorded=node, recording=True)

    @rule(i=IDX, twice=st.booleans())
    def stop_recording_publication(self, i: int, twice: bool) -> None:
        from aeron_cffi.archive import ArchiveError

        recorded = [n for n in self.nodes["pub"] if "recorded" in n.info]
        if not recorded:
            return
        pub = recorded[i % len(recorded)]
        archive = pub.info["recorded"]
        stop = archive.obj.stop_recording_exclusive_publication if pub.info["exclusive"] \
            else archive.obj.stop_recording_publication
        for _ in range(2 if twice else 1):
            # a recording already stopped is unknown to the archive
            recording = pub.info["recording"]
            result = self.on_archive(archive, f"stop recording {pub}", lambda: stop(pub.obj), ResourceClosedError
                                     if pub.is_closed else (ArchiveError if recording is False else None),
                                     (ArchiveError,) if recording is None else ())
            if result is None or isinstance(result, ArchiveError):
                pub.info["recording"] = False
            elif isinstance(result, FuzzHandlerError):
                pub.info["recording"] = None

    @rule(i=IDX, start=st.sampled_from([0, 5, UNKNOWN_RECORDING]), count=st.sampled_from([0, 3, 100, -1]),
          consumer=st.sampled_from([None, "collect", "raise"]))
    def list_recordings(self, i: int, start: int, count: int, consumer: str | None) -> None:
        node = self.archive(i)
        if node is None:
            return
        calls: list[Any] = []

        def function(descriptor: Any) -> None:
            calls.append(descriptor)
            if consumer == "raise":
                fail()

        result = self.on_archive(node, f"list_recordings({start}, {count}, consumer={consumer})",
                             lambda: node.obj.list_recordings(start, count, function if consumer else None),
                             InvalidArgumentError if count < 0 else None,
                             allow=(FuzzHandlerError,) if consumer == "raise" else ())
        if isinstance(result, FuzzHandlerError):  # from the consumer, or the context's signal consumer
            assert calls or node.info["signals"] == "raise", "list_recordings raised without calling the consumer"
        elif isinstance(result, list):
            assert consumer != "collect" or len(calls) == len(result), (calls, result)
            assert len(result) <= count and all(d.recording_id >= start for d in result), result
            assert consumer != "raise" or not result, "the consumer raised, the listing did not"
            self.world.recordings.update(d.recording_id for d in result)

    def recording_id(self, known: bool, i: int) -> int:
        recordings = sorted(self.world.recordings)
        return recordings[i % len(recordings)] if known and recordings else UNKNOWN_RECORDING

    @rule(i=IDX, known=st.booleans(), op=st.sampled_from([
        "list_recording", "get_start_position", "get_stop_position", "get_max_recorded_position",
        "get_recording_position", "truncate_recording(-1)", "purge_recording", "find_last_matching_recording"]))
    def recording_op(self, i: int, known: bool, op: str) -> None:
        from aeron_cffi.archive import ArchiveError

        node = self.archive(i)
        if node is None:
            return
        recording_id = self.recording_id(known, i)
        unknown = recording_id == UNKNOWN_RECORDING
        archive = node.obj
        if op == "list_recording":
            result = self.on_archive(node, f"list_recording({recording_id})", lambda: archive.list_recording(recording_id))
            assert isinstance(result, BaseException) or (result is None) == unknown, result
        elif op == "find_last_matching_recording":
            self.on_archive(node, op, lambda: archive.find_last_matching_recording("aeron:ipc", self.streams[0], 0))
        elif op in ("truncate_recording(-1)", "purge_recording"):
            # never deletes what the fuzzer knows of: a bad position, or an unknown recording
            call = (lambda: archive.truncate_recording(recording_id, -1)) if op.startswith("truncate") \
                else (lambda: archive.purge_recording(UNKNOWN_RECORDING))
            self.on_archive(node, f"{op} of {recording_id}", call, ArchiveError)
        else:
            self.on_archive(node, f"{op}({recording_id})", lambda: getattr(archive, op)(recording_id),
                        ArchiveError if unknown else None)

    @rule(i=IDX, known=st.booleans(), channel=st.sampled_from(["ipc", "udp", "aeron:foo"]),
          subscribe=st.booleans(), stop=st.booleans())
    def replay(self, i: int, known: bool, channel: str, subscribe: bool, stop: bool) -> None:
        from aeron_cffi.archive import REPLAY_ALL_AND_STOP, ArchiveError

        node = self.archive(i)
        if node is None or self.replays >= 4:  # the archive allows 20 replays at once
            return
        recording_id = self.recording_id(known, i)
        uri = {"ipc": "aeron:ipc", "udp": f"aeron:udp?endpoint={self.world.replay_udp}"}.get(channel, channel)
        archive = node.obj
        start = archive.replay if subscribe else archive.start_replay
        what = f"{'replay' if subscribe else 'start_replay'}({recording_id}, {channel})"
        call = lambda: start(recording_id, uri, REPLAY_STREAM, length=REPLAY_ALL_AND_STOP)  # noqa: E731
        if channel == "aeron:foo":
            # a malformed URI is refused in Python, before (even) the closed check
            self.expect(None, what, call, InvalidArgumentError)
            return
        # an unknown recording is refused, and so is one with nothing recorded (the archive
        # cannot replay zero bytes "and stop")
        error = ArchiveError if recording_id == UNKNOWN_RECORDING else None
        result = self.on_archive(node, what, call, error, () if error else (ArchiveError,))
        if isinstance(result, Subscription):
            self.keep("sub", result, node.parent)
        if isinstance(result, (int, Subscription)):
            self.replays += 1
        if isinstance(result, int) and stop:  # a replay that already ended is not an error either
            self.on_archive(node, f"stop_replay({result})", lambda: archive.stop_replay(result))

    @rule(i=IDX, op=st.sampled_from(["archive_id", "control_session_id", "poll_for_recording_signals",
                                     "poll_for_error_response", "stop_replay(unknown)", "stop_all_replays",
                                     "list_recording_subscriptions", "aeron_t", "archive_t"]))
    def archive_op(self, i: int, op: str) -> None:
        node = self.archive(i)
        if node is None:
            return
        archive = node.obj
        if op == "stop_replay(unknown)":
            self.on_archive(node, op, lambda: archive.stop_replay(12345))
        else:
            self.on_archive(node, op, lambda: use(archive, op))

    def teardown(self) -> None:
        try:
            super().teardown()
        finally:
            # the archive outlives the sequence: stop what it still records or replays
            admin = self.world.admin
            for descriptor in admin.list_recording_subscriptions():
                admin.try_stop_recording_subscription(descriptor.subscription_id)
            admin.stop_all_replays()
