"""The clustered service agent: the service's side of the consensus module's protocol
(Java's ``ClusteredServiceAgent``), run by a ``ClusteredServiceContainer``.

Start-up: find the consensus module's commit-position and recovery-state counters,
load the snapshot the recovery state names (sessions, then the service's own state
through ``on_start``), ack 0. Then each duty cycle: read the control stream (one
message), join a log when told to (subscribe, check the image joins where the service
left off, ack), consume the log up to the commit position, terminate at the
termination position, ack when asked. Acks carry strictly sequential ids; the
consensus module stops on a gap, so each ack is retried until it is sent.

The agent stops (``ServiceTerminated``) when the consensus module asks it to, when the
consensus module's counters go away, or when the Aeron client loses its driver; in the
last two cases ``on_terminate`` still runs.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any, Callable, Protocol, Sequence

from aeron_cffi.archive import AeronArchive
from aeron_cffi.client import Aeron
from aeron_cffi.cluster import codecs
from aeron_cffi.cluster.consensus_module_proxy import ConsensusModuleProxy
from aeron_cffi.cluster.errors import ClusterClosedError, ClusterError
from aeron_cffi.cluster.log_adapter import BoundedLogAdapter
from aeron_cffi.cluster.mark_file import ServiceMarkFile
from aeron_cffi.cluster.service import MOCKED_OFFER, ClientSession, Cluster, ClusteredService
from aeron_cffi.cluster.service_adapter import ServiceAdapter
from aeron_cffi.cluster.snapshots import SnapshotSession, load_snapshot_sessions, take_snapshot
from aeron_cffi.counters import NULL_COUNTER_ID, RECORD_ALLOCATED
from aeron_cffi.errors import InvalidArgumentError, OfferResult
from aeron_cffi.header import Header
from aeron_cffi.idle_strategy import IdleStrategy

if TYPE_CHECKING:
    from aeron_cffi.image import Image
    from aeron_cffi.publication import Publication
    from aeron_cffi.subscription import Subscription

__all__ = ["AgentSettings", "ClusteredServiceAgent", "ServiceTerminated"]

NULL_VALUE = -1
NULL_POSITION = -1
# AeronCounters' type ids of the consensus module's counters a service reads.
_COMMIT_POSITION_TYPE_ID = 203
_RECOVERY_STATE_TYPE_ID = 204
# RecoveryState's key: leadershipTermId@0, logPosition@8, timestamp@16, clusterId@24,
# serviceCount@28, then one snapshot recording id per service from @32.
_RECOVERY_CLUSTER_ID_OFFSET = 24
_RECOVERY_SNAPSHOTS_OFFSET = 32
_SLOW_TICK_NS = 1_000_000
_MARK_FILE_UPDATE_MS = 1000
_CLOSE_SESSION_ATTEMPTS = 3
_LEADER = codecs.ClusterRole.LEADER
_session_header = codecs.session_header_bytes
_TERMINATION_ACK_ATTEMPTS = 5


class ServiceTerminated(BaseException):
    """The agent has stopped; ``expected`` is False when it stopped because the
    consensus module or the driver went away rather than on the module's request.

    A ``BaseException`` (as ``KeyboardInterrupt``): raised from ``Cluster.idle_strategy``
    inside a user's callback, it must reach the container through the user's
    ``except Exception`` blocks."""

    def __init__(self, reason: str, expected: bool) -> None:
        super().__init__(reason)
        self.expected = expected


class AgentSettings(Protocol):
    """What the agent needs from the container's settings (``ServiceContext``)."""

    cluster_id: int
    service_id: int
    service_name: str
    control_channel: str
    service_stream_id: int
    consensus_module_stream_id: int
    snapshot_channel: str
    snapshot_stream_id: int
    replay_channel: str
    replay_stream_id: int
    log_fragment_limit: int
    app_version: int
    startup_timeout: float
    error_handler: Callable[[BaseException], object] | None

    def archive_settings(self) -> dict[str, Any]: ...


class _AgentIdleStrategy(IdleStrategy):
    """``Cluster.idle_strategy``: idles with the container's strategy and, when there
    was no work, keeps the agent's slow duties going (mark file, liveness checks)."""

    def __init__(self, agent: ClusteredServiceAgent, delegate: IdleStrategy) -> None:
        self._agent = agent
        self._delegate = delegate

    def idle(self, work_count: int = 0) -> None:
        self._delegate.idle(work_count)
        if work_count <= 0:
            self._agent.slow_tick(time.monotonic_ns())

    def reset(self) -> None:
        self._delegate.reset()


class ClusteredServiceAgent:
    """The service agent; every method runs on the service's thread."""

    def __init__(self, settings: AgentSettings, service: ClusteredService, aeron: Aeron,
                 idle_strategy: IdleStrategy, mark_file: ServiceMarkFile) -> None:
        self.settings = settings
        self.service = service
        self.aeron = aeron
        self.service_id = settings.service_id
        self.mark_file = mark_file
        self.cluster = Cluster(self)
        self.idle_strategy = _AgentIdleStrategy(self, idle_strategy)
        self.member_id = NULL_VALUE
        self.role = codecs.ClusterRole.FOLLOWER
        self.log_position = NULL_POSITION
        self.cluster_time = 0
        self.time_unit = codecs.ClusterTimeUnit.MILLIS
        self.leadership_term_id = NULL_VALUE
        self._ack_id = 0
        self._termination_position = NULL_POSITION
        self._requested_ack_position = NULL_POSITION
        self._active_log: codecs.JoinLog | None = None
        self._standby_snapshot_flags = codecs.CLUSTER_ACTION_FLAGS_DEFAULT
        self._sessions: dict[int, ClientSession] = {}
        self._lifecycle: str | None = None  # the callback in progress where sending is not allowed
        self._thread_id: int | None = None
        self._last_slow_tick_ns = 0
        self._mark_file_deadline_ms = 0
        self._commit_position_id = NULL_COUNTER_ID
        self._commit_position_registration_id = NULL_VALUE
        self._is_service_active = False
        self._closed = False
        self._counters = aeron.counters_reader()
        self._proxy = ConsensusModuleProxy(
            aeron.add_publication(settings.control_channel, settings.consensus_module_stream_id))
        self._service_adapter = ServiceAdapter(
            aeron.add_subscription(settings.control_channel, settings.service_stream_id), self)
        self._log_adapter = BoundedLogAdapter(self, settings.log_fragment_limit)

    # -- the service's thread ---------------------------------------------------------

    def check_thread(self, what: str) -> None:
        if self._thread_id is not None and threading.get_ident() != self._thread_id:
            raise ClusterError(f"{what} must be called on the service's thread "
                               f"(thread {self._thread_id}), not thread {threading.get_ident()}")

    def _check_may_send(self, what: str) -> None:
        if self._closed:
            raise ClusterClosedError(f"{what}: the service container has stopped")
        self.check_thread(what)
        if self._lifecycle is not None:
            raise ClusterError(f"{what} is not allowed from {self._lifecycle}")

    def _lifecycle_callback(self, name: str, callback: Callable[..., object], *args: Any) -> None:
        self._lifecycle = name
        try:
            callback(*args)
        finally:
            self._lifecycle = None

    # -- start-up ---------------------------------------------------------------------

    def on_start(self) -> None:
        """Recover and ack 0 (blocking, on the thread that becomes the service's)."""
        self._thread_id = threading.get_ident()
        deadline = time.monotonic() + self.settings.startup_timeout
        self._commit_position_id = self._await_counter(_COMMIT_POSITION_TYPE_ID, 0, deadline)
        self._commit_position_registration_id = self._counters.registration_id(self._commit_position_id)
        recovery_id = self._await_counter(_RECOVERY_STATE_TYPE_ID, _RECOVERY_CLUSTER_ID_OFFSET, deadline)
        key = self._counters.key(recovery_id)
        leadership_term_id = int.from_bytes(key[0:8], "little", signed=True)
        self.log_position = int.from_bytes(key[8:16], "little", signed=True)
        self.cluster_time = int.from_bytes(key[16:24], "little", signed=True)
        self.leadership_term_id = leadership_term_id
        snapshot_recording_id = NULL_VALUE
        failure: BaseException | None = None
        self._lifecycle = "on_start"
        try:
            if leadership_term_id != NULL_VALUE:
                offset = _RECOVERY_SNAPSHOTS_OFFSET + 8 * self.service_id
                snapshot_recording_id = int.from_bytes(key[offset:offset + 8], "little", signed=True)
                self._load_snapshot(snapshot_recording_id)
            else:
                self.service.on_start(self.cluster, None)
        except Exception as exc:  # noqa: BLE001 - acked as a failed start, then raised
            failure = exc
        finally:
            self._lifecycle = None
        self._ack(self.log_position, self.aeron.client_id if failure is None else NULL_VALUE)
        if failure is not None:
            raise ClusterError(f"service {self.service_id} failed to start (leadership term {leadership_term_id}, "
                               f"log position {self.log_position}, snapshot {snapshot_recording_id}): "
                               f"{failure}") from failure
        self._is_service_active = True

    def _await_counter(self, type_id: int, cluster_id_offset: int, deadline: float) -> int:
        cluster_id = self.settings.cluster_id.to_bytes(4, "little", signed=True)
        while True:
            for info in self._counters:
                if info.type_id == type_id and info.key[cluster_id_offset:cluster_id_offset + 4] == cluster_id:
                    return info.counter_id
            if time.monotonic() > deadline:
                raise ClusterError(
                    f"no consensus module counter of type {type_id} for cluster {self.settings.cluster_id} after "
                    f"{self.settings.startup_timeout}s: is the consensus module running on this driver?")
            self.idle_strategy.idle(0)

    def _archive(self) -> AeronArchive:
        return AeronArchive.connect(aeron=self.aeron, **self.settings.archive_settings())

    def _load_snapshot(self, recording_id: int) -> None:
        settings = self.settings
        with self._archive() as archive:
            replay_session_id = archive.start_replay(recording_id, settings.replay_channel, settings.replay_stream_id,
                                                     position=0)
            session_id = replay_session_id & 0xFFFF_FFFF
            session_id = session_id - (1 << 32) if session_id >= 1 << 31 else session_id
            separator = "|" if "?" in settings.replay_channel else "?"
            channel = f"{settings.replay_channel}{separator}session-id={session_id}"
            with self.aeron.add_subscription(channel, settings.replay_stream_id) as subscription:
                image = self._await_image(subscription, session_id)
                sessions, self.time_unit, app_version = load_snapshot_sessions(image, archive, self.idle_strategy.idle)
                if app_version != settings.app_version and (app_version >> 16) != (settings.app_version >> 16):
                    raise ClusterError(f"snapshot app version {codecs.semantic_version_str(app_version)} is "
                                       f"incompatible with {codecs.semantic_version_str(settings.app_version)}")
                for session in sessions:
                    self._add_session(ClientSession(session.cluster_session_id, session.response_stream_id,
                                                    session.response_channel, session.encoded_principal, self))
                self.service.on_start(self.cluster, image)

    def _await_image(self, subscription: Subscription, session_id: int) -> Image:
        self.idle_strategy.reset()
        while (image := subscription.image_by_session_id(session_id)) is None:
            self.idle_strategy.idle(0)
        return image

    def _ack(self, log_position: int, relevant_id: int, attempts: int | None = None) -> bool:
        ack_id = self._ack_id
        self._ack_id += 1
        while not self._proxy.ack(log_position, self.cluster_time, ack_id, relevant_id, self.service_id):
            if attempts is not None:
                attempts -= 1
                if attempts <= 0:
                    return False
            self.idle_strategy.idle(0)
        return True

    # -- duty cycle -------------------------------------------------------------------

    def do_work(self) -> int:
        now_ns = time.monotonic_ns()
        work = 0
        if self.slow_tick(now_ns):
            work += self._poll_service_adapter()
        if self._log_adapter.image is not None:
            polled = self._log_adapter.poll(self._counters.value(self._commit_position_id))
            work += polled
            if polled == 0 and self._log_adapter.is_done():
                self._leave_log()
        return work + self._background_work(now_ns)

    def slow_tick(self, now_ns: int) -> bool:
        """Once a millisecond: check the driver and consensus module are still there,
        and keep the mark file's activity timestamp fresh. True when it ran."""
        if self.aeron.is_closed:
            raise ServiceTerminated("the Aeron client closed (its media driver is gone)", expected=False)
        if now_ns - self._last_slow_tick_ns < _SLOW_TICK_NS:
            return False
        self._last_slow_tick_ns = now_ns
        commit_id = self._commit_position_id
        if commit_id != NULL_COUNTER_ID and (
                self._counters.state(commit_id) != RECORD_ALLOCATED
                or self._counters.registration_id(commit_id) != self._commit_position_registration_id):
            raise ServiceTerminated("the consensus module's commit position counter went away", expected=False)
        now_ms = time.time_ns() // 1_000_000
        if now_ms >= self._mark_file_deadline_ms:
            self._mark_file_deadline_ms = now_ms + _MARK_FILE_UPDATE_MS
            self.mark_file.update_activity_timestamp(now_ms)
        return True

    def _background_work(self, now_ns: int) -> int:
        self._lifecycle = "do_background_work"
        try:
            return self.service.do_background_work(now_ns) or 0
        finally:
            self._lifecycle = None

    def _poll_service_adapter(self) -> int:
        work = self._service_adapter.poll()
        if self._active_log is not None and self._log_adapter.image is None:
            join_log, self._active_log = self._active_log, None
            self._join_active_log(join_log)
        if self._termination_position != NULL_POSITION and self.log_position >= self._termination_position:
            self._terminate()
        if self._requested_ack_position != NULL_POSITION and self.log_position >= self._requested_ack_position:
            self._ack(self.log_position, NULL_VALUE)
            self._requested_ack_position = NULL_POSITION
        return work

    # -- control stream (ServiceAdapter) ------------------------------------------------

    def on_join_log(self, join_log: codecs.JoinLog) -> None:
        self._log_adapter.max_log_position = join_log.log_position
        self._active_log = join_log

    def on_service_termination_position(self, log_position: int) -> None:
        self._termination_position = log_position

    def on_request_service_ack(self, log_position: int) -> None:
        self._requested_ack_position = log_position

    def _join_active_log(self, join_log: codecs.JoinLog) -> None:
        role = codecs.ClusterRole(join_log.role)
        if role != codecs.ClusterRole.LEADER:
            self._disconnect_egress()
        self._standby_snapshot_flags = (codecs.CLUSTER_ACTION_FLAGS_STANDBY_SNAPSHOT if join_log.is_standby
                                        else codecs.CLUSTER_ACTION_FLAGS_DEFAULT)
        channel = join_log.log_channel
        channel = f"{channel}{'|' if '?' in channel else '?'}alias=log-sc-{self.service_id}"
        subscription = self.aeron.add_subscription(channel, join_log.log_stream_id)
        try:
            image = self._await_image(subscription, join_log.log_session_id)
            if image.constants.join_position != self.log_position:
                raise ClusterError(f"cluster log must be contiguous for joining image: expected position "
                                   f"{self.log_position}, join position {image.constants.join_position}")
            if join_log.log_position != self.log_position:
                raise ClusterError(f"cluster log must be contiguous for active log event: expected position "
                                   f"{self.log_position}, event position {join_log.log_position}")
        except BaseException:
            subscription.close()
            raise
        self._log_adapter.join(subscription, image, join_log.max_log_position)
        self._ack(join_log.log_position, NULL_VALUE)
        self.member_id = join_log.member_id
        self.mark_file.member_id(join_log.member_id)
        if role == codecs.ClusterRole.LEADER:
            for session in self._sessions.values():
                if not join_log.is_startup:
                    self._connect(session)
                session._closing = False
        self._set_role(role)

    def _leave_log(self) -> None:
        image = self._log_adapter.image
        assert image is not None, "leaving a log that was not joined"
        self.log_position = max(image.position, self.log_position)
        self._log_adapter.leave()
        self._disconnect_egress()
        self._set_role(codecs.ClusterRole.FOLLOWER)

    def _set_role(self, role: codecs.ClusterRole) -> None:
        if role != self.role:
            self.role = role
            self._lifecycle_callback("on_role_change", self.service.on_role_change, role)

    def _terminate(self) -> None:
        if self.log_position > self._termination_position:
            self.report(ClusterError(f"service terminate: log position {self.log_position} > termination "
                                     f"position {self._termination_position}"))
        expected = self.log_position == self._termination_position
        self._run_on_terminate()
        try:
            self._ack(self.log_position, NULL_VALUE, attempts=_TERMINATION_ACK_ATTEMPTS)
        except (Exception, ServiceTerminated) as exc:  # noqa: BLE001 - the consensus module may be gone already
            self.report(exc)
        self._termination_position = NULL_POSITION
        raise ServiceTerminated("the consensus module terminated the service", expected=expected)

    def _run_on_terminate(self) -> None:
        if not self._is_service_active:
            return
        self._is_service_active = False
        try:
            self._lifecycle_callback("on_terminate", self.service.on_terminate, self.cluster)
        except Exception as exc:  # noqa: BLE001 - reported; termination goes on
            self.report(exc)

    # -- the log (BoundedLogAdapter) ------------------------------------------------------

    def _service_callback(self, callback: Callable[..., object], *args: Any) -> None:
        """A user callback from the log: an exception is reported to the error handler
        and the event still counts as processed, so one bad message cannot wedge the
        log (every node applies the same events)."""
        try:
            callback(*args)
        except Exception as exc:  # noqa: BLE001
            self.report(exc)

    def on_session_message(self, log_position: int, cluster_session_id: int, timestamp: int, payload: bytes,
                           header: Header) -> None:
        self.log_position = log_position
        self.cluster_time = timestamp
        self._service_callback(self.service.on_session_message, self._sessions.get(cluster_session_id), timestamp,
                               payload, header)

    def on_timer_event(self, log_position: int, correlation_id: int, timestamp: int) -> None:
        self.log_position = log_position
        self.cluster_time = timestamp
        self._service_callback(self.service.on_timer_event, correlation_id, timestamp)

    def on_session_open(self, log_position: int, event: codecs.SessionOpenEvent) -> None:
        self.log_position = log_position
        self.cluster_time = event.timestamp
        if event.cluster_session_id in self._sessions:
            raise ClusterError(f"clashing open of cluster session {event.cluster_session_id} (leadership term "
                               f"{event.leadership_term_id}, log position {log_position})")
        session = ClientSession(event.cluster_session_id, event.response_stream_id, event.response_channel,
                                event.encoded_principal, self)
        if self.role == codecs.ClusterRole.LEADER:
            self._connect(session)
        self._add_session(session)
        self._service_callback(self.service.on_session_open, session, event.timestamp)

    def on_session_close(self, log_position: int, event: codecs.SessionCloseEvent) -> None:
        self.log_position = log_position
        self.cluster_time = event.timestamp
        session = self._sessions.pop(event.cluster_session_id, None)
        if session is None:
            self.report(ClusterError(f"unknown session close: cluster session {event.cluster_session_id}, "
                                     f"reason {event.close_reason!r}, log position {log_position}"))
            return
        self._disconnect(session)
        self._service_callback(self.service.on_session_close, session, event.timestamp, event.close_reason)

    def on_service_action(self, log_position: int, request: codecs.ClusterActionRequest) -> None:
        self.log_position = log_position
        self.cluster_time = request.timestamp
        flags = request.flags if request.flags != codecs.NULL_INT32 else codecs.CLUSTER_ACTION_FLAGS_DEFAULT
        if request.action == codecs.ClusterAction.SNAPSHOT and self._should_snapshot(flags):
            self._snapshot(request.log_position, request.leadership_term_id)

    def _should_snapshot(self, flags: int) -> bool:
        return flags == codecs.CLUSTER_ACTION_FLAGS_DEFAULT or bool(flags & self._standby_snapshot_flags)

    def on_new_leadership_term_event(self, log_position: int, event: codecs.NewLeadershipTermEvent) -> None:
        self.leadership_term_id = event.leadership_term_id
        self.log_position = log_position
        self.cluster_time = event.timestamp
        self.time_unit = event.time_unit
        self._service_callback(
            self.service.on_new_leadership_term_event, event.leadership_term_id, log_position, event.timestamp,
            event.term_base_log_position, event.leader_member_id, event.log_session_id, event.time_unit,
            event.app_version)

    # -- snapshots --------------------------------------------------------------------

    def _snapshot(self, log_position: int, leadership_term_id: int) -> None:
        """Take a snapshot and ack it: with the recording id once recorded, or with -1
        if it failed (the consensus module then carries on without it)."""
        recording_id = NULL_VALUE
        try:
            recording_id = self._take_snapshot(log_position, leadership_term_id)
        except Exception as exc:  # noqa: BLE001 - acked as failed, reported
            self.report(ClusterError(f"snapshot at log position {log_position} failed: {exc}"))
        self._ack(log_position, recording_id)

    def _take_snapshot(self, log_position: int, leadership_term_id: int) -> int:
        settings = self.settings
        with self._archive() as archive, \
                self.aeron.add_exclusive_publication(settings.snapshot_channel, settings.snapshot_stream_id) as pub:
            sessions = [SnapshotSession(s.id, s.response_stream_id, s.response_channel, s.encoded_principal)
                        for s in self.client_sessions()]
            return take_snapshot(archive, pub, log_position=log_position, leadership_term_id=leadership_term_id,
                                 time_unit=self.time_unit, app_version=settings.app_version, sessions=sessions,
                                 write_state=self.service.on_take_snapshot, idle=self.idle_strategy.idle)

    # -- sessions and egress ------------------------------------------------------------

    def _add_session(self, session: ClientSession) -> None:
        self._sessions[session.id] = session

    def client_sessions(self) -> tuple[ClientSession, ...]:
        return tuple(sorted(self._sessions.values(), key=lambda s: s.id))

    def get_client_session(self, cluster_session_id: int) -> ClientSession | None:
        return self._sessions.get(cluster_session_id)

    def _connect(self, session: ClientSession) -> None:
        if session._publication is None and session._pending_publication is None:
            try:
                session._pending_publication = self.aeron.async_add_publication(
                    session.response_channel, session.response_stream_id)
            except Exception as exc:  # noqa: BLE001 - a bad response channel must not stop the service
                self.report(exc)

    def _disconnect(self, session: ClientSession) -> None:
        pending, publication = session._pending_publication, session._publication
        session._pending_publication = session._publication = None
        for resource in (pending, publication):
            if resource is not None:
                try:
                    resource.close()
                except Exception as exc:  # noqa: BLE001
                    self.report(exc)

    def _disconnect_egress(self) -> None:
        for session in self._sessions.values():
            self._disconnect(session)

    def _session_publication(self, session: ClientSession) -> Publication | None:
        if session._publication is None and session._pending_publication is not None:
            try:
                session._publication = session._pending_publication.poll()
            except Exception as exc:  # noqa: BLE001 - e.g. an unresolvable response channel
                session._pending_publication = None
                self.report(exc)
                return None
            if session._publication is not None:
                session._pending_publication = None
        return session._publication

    def offer_to_session(self, session: ClientSession, payload: Any, gather: bool = False) -> int:
        self._check_may_send("ClientSession.offer")
        buffers = list(payload) if gather else [payload]
        length = _checked_length(buffers)
        if self.role is not _LEADER:
            return MOCKED_OFFER
        if session.id not in self._sessions:
            raise ClusterError(f"client session {session.id} is closed")
        publication = session._publication or self._session_publication(session)
        if publication is None:
            return OfferResult.NOT_CONNECTED
        _check_max_length(length, publication.max_message_length, "ClientSession.offer")
        header = _session_header(self.leadership_term_id, session.id, self.cluster_time)
        # one joined offer: cheaper than a gathered offerv of header and payload (see docs/benchmarks.md)
        return publication.offer(b"".join((header, *buffers)))

    def offer_to_cluster(self, payload: Any) -> int:
        self._check_may_send("Cluster.offer")
        length = _checked_length([payload])
        _check_max_length(length, self._proxy.publication.max_message_length, "Cluster.offer")
        return self._proxy.offer(self.leadership_term_id, self.service_id, payload)

    def close_client_session(self, cluster_session_id: int) -> bool:
        self._check_may_send("Cluster.close_client_session")
        session = self._sessions.get(cluster_session_id)
        if session is None:
            raise ClusterError(f"unknown cluster session id {cluster_session_id}")
        if session._closing:
            return True
        for _ in range(_CLOSE_SESSION_ATTEMPTS):
            if self._proxy.close_session(cluster_session_id):
                session._closing = True
                return True
            self.idle_strategy.idle(0)
        return False

    def schedule_timer(self, correlation_id: int, deadline: int) -> bool:
        self._check_may_send("Cluster.schedule_timer")
        _check_int64(correlation_id, "correlation_id")
        _check_int64(deadline, "deadline")
        return self._proxy.schedule_timer(correlation_id, deadline)

    def cancel_timer(self, correlation_id: int) -> bool:
        self._check_may_send("Cluster.cancel_timer")
        _check_int64(correlation_id, "correlation_id")
        return self._proxy.cancel_timer(correlation_id)

    # -- errors and close -----------------------------------------------------------------

    def report(self, error: BaseException) -> None:
        """An error the service survives: into the mark file's error log (``ClusterTool
        errors``) and to the container's error handler."""
        self.mark_file.record_error(error)
        handler = self.settings.error_handler
        if handler is not None:
            handler(error)

    def on_close(self, terminated: ServiceTerminated | None) -> None:
        """Release everything; ``on_terminate`` runs if the service never got to it."""
        if terminated is None or not terminated.expected:
            self._run_on_terminate()
        self._closed = True
        self._log_adapter.close()
        if not self.aeron.is_closed:
            self._disconnect_egress()
            for resource in (self._service_adapter, self._proxy):
                try:
                    resource.close()
                except Exception as exc:  # noqa: BLE001
                    self.report(exc)


def _checked_length(buffers: Sequence[Any]) -> int:
    length = 0
    for buffer in buffers:
        try:
            length += memoryview(buffer).nbytes
        except TypeError:
            raise TypeError(f"a message must be bytes-like (bytes, bytearray, memoryview), "
                            f"not {type(buffer).__name__}") from None
    return length


def _check_max_length(length: int, max_message_length: int, what: str) -> None:
    limit = max_message_length - codecs.SESSION_HEADER_LENGTH
    if length > limit:
        raise InvalidArgumentError(
            f"{what}: message of {length} bytes exceeds the maximum of {limit} "
            f"({max_message_length} less the {codecs.SESSION_HEADER_LENGTH}-byte session header)")


def _check_int64(value: Any, name: str) -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}")
    if not -(1 << 63) <= value < (1 << 63):
        raise ValueError(f"{name} {value} does not fit in 64 bits")
