"""``ClusteredServiceContainer``: runs a ``ClusteredService`` beside a consensus module
(Java's ``ClusteredServiceContainer``), on a thread of its own or from the caller's loop.

    container = ClusteredServiceContainer.launch(EchoService(), cluster_dir=..., aeron_dir=...)
    ...
    container.close()

or, driving it yourself (every callback then runs on your thread)::

    container = ClusteredServiceContainer(EchoService(), cluster_dir=..., aeron_dir=...)
    while not container.is_terminated:
        container.idle(container.do_work())
    container.close()

The settings are ``ServiceContext`` keywords; their defaults are Java's, so a Python
service replaces a Java one beside an unchanged consensus module.
"""

from __future__ import annotations

import dataclasses
import os
import threading
from typing import Any, Callable

from aeron_cffi.client import Aeron
from aeron_cffi.cluster.agent import ClusteredServiceAgent, ServiceTerminated
from aeron_cffi.cluster.codecs import semantic_version
from aeron_cffi.cluster.errors import ClusterClosedError
from aeron_cffi.cluster.mark_file import ERROR_BUFFER_MIN_LENGTH, ServiceMarkFile
from aeron_cffi.cluster.service import Cluster, ClusteredService
from aeron_cffi.idle_strategy import BackoffIdleStrategy, IdleStrategy

__all__ = ["ClusteredServiceContainer", "ServiceContext"]

_LOCAL_ARCHIVE_CHANNEL = "aeron:ipc?term-length=64k"
_LOCAL_ARCHIVE_STREAM_ID = 10
_ARCHIVE_RESPONSE_STREAM_BASE = 20


@dataclasses.dataclass
class ServiceContext:
    """Settings of a service container, with Java's ``ClusteredServiceContainer`` defaults.

    ``cluster_dir`` is the consensus module's cluster directory (the service's mark file
    goes there); ``aeron_dir`` the node's media driver. The archive is the node's own,
    reached over IPC; its response stream is Java's ``clusterId*100 + 100 + 20 +
    serviceId + 1``. ``error_handler(exc)`` sees every error the service survives
    (also written to the mark file's error log); ``aeron`` is a client to use instead
    of the container's own.
    """

    cluster_dir: str | os.PathLike[str]
    aeron_dir: str | os.PathLike[str] | None = None
    cluster_id: int = 0
    service_id: int = 0
    service_name: str = "clustered-service"
    control_channel: str = "aeron:ipc?term-length=128k"
    service_stream_id: int = 104
    consensus_module_stream_id: int = 105
    snapshot_channel: str = "aeron:ipc?alias=snapshot"
    snapshot_stream_id: int = 106
    replay_channel: str = "aeron:ipc"
    replay_stream_id: int = 103
    archive_control_channel: str = _LOCAL_ARCHIVE_CHANNEL
    archive_control_stream_id: int = _LOCAL_ARCHIVE_STREAM_ID
    archive_response_channel: str = _LOCAL_ARCHIVE_CHANNEL
    archive_response_stream_id: int | None = None
    log_fragment_limit: int = 50
    app_version: int = semantic_version(0, 0, 1)
    error_buffer_length: int = ERROR_BUFFER_MIN_LENGTH
    startup_timeout: float = 60.0
    driver_timeout_ms: int = 10_000
    idle_strategy: IdleStrategy | None = None
    error_handler: Callable[[BaseException], object] | None = None
    aeron: Aeron | None = None

    def __post_init__(self) -> None:
        for name in ("cluster_id", "service_id", "service_stream_id", "consensus_module_stream_id",
                     "snapshot_stream_id", "replay_stream_id", "archive_control_stream_id", "log_fragment_limit",
                     "app_version", "error_buffer_length", "driver_timeout_ms"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool):
                raise TypeError(f"{name} must be an int, not {type(value).__name__}")
        if not 0 <= self.service_id < 127:
            raise ValueError(f"service_id must be in 0..126, not {self.service_id}")
        if self.log_fragment_limit <= 0:
            raise ValueError(f"log_fragment_limit must be positive, not {self.log_fragment_limit}")
        if self.error_handler is not None and not callable(self.error_handler):
            raise TypeError("error_handler must be callable")
        if self.archive_response_stream_id is None:
            self.archive_response_stream_id = (self.cluster_id * 100 + 100 + _ARCHIVE_RESPONSE_STREAM_BASE
                                               + self.service_id + 1)

    def archive_settings(self) -> dict[str, Any]:
        """``AeronArchive.connect`` keywords for the node's archive."""
        return {"control_request_channel": self.archive_control_channel,
                "control_request_stream_id": self.archive_control_stream_id,
                "control_response_channel": self.archive_response_channel,
                "control_response_stream_id": self.archive_response_stream_id,
                "client_name": self.service_name}


class ClusteredServiceContainer:
    """Runs ``service`` with ``ServiceContext`` settings (a ``context``, or keywords).

    ``start()`` runs it on a thread of its own and returns once the service has started
    (its snapshot loaded and acked), raising what stopped it otherwise; without
    ``start()``, ``do_work()`` runs it from the caller's loop (the first call starts
    it). It stops by itself when the cluster terminates it (``is_terminated``);
    ``close()`` stops it at any time and releases everything.
    """

    def __init__(self, service: ClusteredService, context: ServiceContext | None = None, **settings: Any) -> None:
        if context is None:
            context = ServiceContext(**settings)
        elif settings:
            raise TypeError("ClusteredServiceContainer takes a ServiceContext or settings as keywords, not both")
        if not isinstance(service, ClusteredService):
            raise TypeError(f"service must be a ClusteredService, not {type(service).__name__}")
        self.context = context
        self.service = service
        self.idle_strategy = context.idle_strategy or BackoffIdleStrategy()
        self.termination: ServiceTerminated | None = None
        self.failure: BaseException | None = None
        self._closed = False
        self._started = False
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._owns_aeron = context.aeron is None
        if context.aeron is not None:
            self.aeron = context.aeron
        else:
            where: dict[str, Any] = {"dir": os.fspath(context.aeron_dir)} if context.aeron_dir is not None else {}
            self.aeron = Aeron(**where, client_name=context.service_name, driver_timeout_ms=context.driver_timeout_ms,
                               error_handler=self._on_aeron_error)
        try:
            self.mark_file = ServiceMarkFile(
                context.cluster_dir, service_id=context.service_id, cluster_id=context.cluster_id,
                aeron_directory=self.aeron.context.dir, control_channel=context.control_channel,
                service_name=context.service_name, archive_stream_id=context.archive_control_stream_id,
                service_stream_id=context.service_stream_id,
                consensus_module_stream_id=context.consensus_module_stream_id,
                error_buffer_length=context.error_buffer_length)
            self.agent = ClusteredServiceAgent(context, service, self.aeron, self.idle_strategy, self.mark_file)
            self.mark_file.signal_ready()
        except BaseException:
            self._release()
            raise

    @classmethod
    def launch(cls, service: ClusteredService, context: ServiceContext | None = None,
               **settings: Any) -> "ClusteredServiceContainer":
        """Create and ``start()`` a container."""
        container = cls(service, context, **settings)
        try:
            return container.start()
        except BaseException:
            container.close()
            raise

    @property
    def cluster(self) -> Cluster:
        return self.agent.cluster

    @property
    def is_terminated(self) -> bool:
        """The service has stopped: terminated by the cluster, or failed (``failure``)."""
        return self.termination is not None or self.failure is not None

    def _on_aeron_error(self, error: BaseException) -> None:
        handler = self.context.error_handler
        if handler is not None:
            handler(error)

    # -- running ----------------------------------------------------------------------

    def start(self) -> "ClusteredServiceContainer":
        """Run the service on a thread of its own; returns once it has started."""
        self._check_open()
        if self._thread is not None or self._started:
            raise RuntimeError("the container is already running")
        started = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(started,),
                                        name=f"cluster-service-{self.context.service_id}", daemon=True)
        self._thread.start()
        started.wait()
        if self.failure is not None:
            raise self.failure
        return self

    def _run(self, started: threading.Event) -> None:
        try:
            self._do_work_guarded()  # the start-up
        finally:
            started.set()
        while not self._stop.is_set() and not self.is_terminated:
            self.idle_strategy.idle(self._do_work_guarded())

    def do_work(self) -> int:
        """One duty cycle from the caller's loop (the first one starts the service, and
        blocks until it has). Returns the work done; 0 once terminated."""
        self._check_open()
        if self._thread is not None:
            raise RuntimeError("the container runs on its own thread (start()); do not call do_work()")
        self.agent.check_thread("ClusteredServiceContainer.do_work")  # refused without harm to the service
        work = self._do_work_guarded()
        if self.failure is not None:
            raise self.failure
        return work

    def idle(self, work_count: int) -> None:
        """Idle after a ``do_work`` with the container's idle strategy."""
        self.idle_strategy.idle(work_count)

    def _do_work_guarded(self) -> int:
        if self.is_terminated:
            return 0
        with self._lock:
            try:
                if not self._started:
                    self._started = True
                    self.agent.on_start()
                    return 1
                return self.agent.do_work()
            except ServiceTerminated as terminated:
                self.termination = terminated
            except BaseException as exc:  # noqa: BLE001 - the service stops; close() releases
                self.failure = exc
                self.agent.report(exc)
            self._stop_agent()
            return 0

    def _stop_agent(self) -> None:
        try:
            self.agent.on_close(self.termination)
        except Exception as exc:  # noqa: BLE001
            self.agent.report(exc)
        self.mark_file.signal_terminated()

    def wait_terminated(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for the service's own thread to stop; True if it did."""
        if self._thread is not None:
            self._thread.join(timeout)
            return not self._thread.is_alive()
        return self.is_terminated

    # -- closing ----------------------------------------------------------------------

    def _check_open(self) -> None:
        if self._closed:
            raise ClusterClosedError("the service container is closed")

    def close(self) -> None:
        """Stop the service (``on_terminate`` runs if it had not yet) and release its
        publications, subscriptions, Aeron client and mark file."""
        if self._closed:
            return
        self._closed = True
        self._stop.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join()
        with self._lock:
            if self._started and not self.is_terminated:
                self.termination = ServiceTerminated("the container was closed", expected=False)
                self._stop_agent()
        self._release()

    def _release(self) -> None:
        if self._owns_aeron:
            self.aeron.close()
        mark_file = getattr(self, "mark_file", None)
        if mark_file is not None:
            mark_file.signal_terminated()  # not live: the next service with this id may start at once
            mark_file.close()

    def __enter__(self) -> "ClusteredServiceContainer":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
