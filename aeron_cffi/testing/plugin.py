"""pytest plugin: fixtures that start real Aeron parts and always tear them down.

Installed with the package (entry point ``pytest11``: ``aeron_cffi``), so any
project's tests can ask for them by name. Each fixture comes in two scopes: the
plain name is per test, ``<name>_session`` is shared by the whole session.

* ``aeron_testbed``: an ``AeronTestbed``, the factory behind the others; use it to
  start more drivers, archives or clients (``aeron_testbed.driver("process")``).
* ``aeron_driver``: a ``RunningDriver`` (``.dir``, ``.kind``, ``.pid``); its kind is
  ``--aeron-driver-kind`` / ini ``aeron_driver_kind`` (``embedded`` by default), or
  per test with ``@pytest.mark.parametrize("aeron_driver", ["process"], indirect=True)``
  (a parameter may also be a dict of driver settings with an optional ``"kind"``).
* ``aeron_java_archive``: a ``JavaArchive`` on ``aeron_driver`` (recording events on);
  ``aeron_java_archive_replica``: a second one, e.g. to replicate to.
* ``aeron_client``: an ``Aeron`` client of ``aeron_driver``.
* ``aeron_archive``: an ``AeronArchive`` connected to ``aeron_java_archive``.
* ``aeron_free_port``: a callable returning a free localhost UDP port, never the same
  one twice in a session.
* ``aeron_cluster`` / ``aeron_cluster_three``: a started ``LocalCluster`` of one or
  three ``ClusteredMediaDriver`` nodes (``aeron_cffi.testing.cluster``), each waiting
  for one service; per test.

``--aeron-backend docker`` (ini ``aeron_backend``) runs the out-of-process drivers and the
Java archives in containers built from local files (``docs/tools/containers.md``); the
``aeron_driver`` fixtures then default to such a driver (kind ``process``).

The Java archive needs ``java`` and the ``io.aeron:aeron-all`` jar of the compiled-in
Aeron version (``AERON_ALL_JAR``, or Maven's local repository, fetched with ``mvn``).
A failing test, a KeyboardInterrupt, SIGTERM or a crashed archive still tears everything down:
no process, Aeron directory or temporary directory is left behind. A failed test's
report shows its drivers' distinct error logs and its archives' log tails.
"""

from __future__ import annotations

import inspect
import re
import signal
from typing import Any

import pytest

from aeron_cffi.testing.cluster import LocalCluster
from aeron_cffi.testing.archive_process import MissingRequirementError
from aeron_cffi.testing.ports import PortAllocator
from aeron_cffi.testing.containers import DockerUnavailableError
from aeron_cffi.testing.images import ImageBuildError
from aeron_cffi.testing.testbed import BACKENDS, DRIVER_KINDS, AeronTestbed

__all__ = ["aeron_free_port", "pytest_addoption", "pytest_configure", "pytest_runtest_makereport",
           "pytest_unconfigure"]


_PREVIOUS_SIGTERM = pytest.StashKey[Any]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("aeron", "Aeron (aeron-cffi fixtures)")
    group.addoption("--aeron-driver-kind", choices=DRIVER_KINDS, default=None,
                    help="media driver of the aeron_driver fixtures: embedded in the test process, or aeronmd "
                         "as a child process (default: ini aeron_driver_kind, else embedded)")
    parser.addini("aeron_driver_kind", "default kind of the aeron_driver fixtures (embedded or process)")
    group.addoption("--aeron-backend", choices=BACKENDS, default=None,
                    help="where out-of-process drivers and Java archives run: host processes or docker "
                         "containers (default: ini aeron_backend, else host)")
    parser.addini("aeron_backend", "where out-of-process drivers and Java archives run (host or docker)",
                  default="host")
    for name, what in (("shm_root", "Aeron directories (default: /dev/shm, else the temporary directory)"),
                       ("tmp_root", "archives, logs and properties files (default: the temporary directory)")):
        group.addoption(f"--aeron-{name.replace('_', '-')}", default=None, metavar="DIR",
                        help=f"where the fixtures make their private directories for {what}")
        parser.addini(f"aeron_{name}", f"where the fixtures make their private directories for {what}")


def _terminate(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def pytest_configure(config: pytest.Config) -> None:
    """SIGTERM (a CI job's timeout, ``kill``) ends the run as Ctrl-C does, so the
    fixtures' teardown still stops every process and deletes every directory. A
    handler someone else installed is left alone."""
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        config.stash[_PREVIOUS_SIGTERM] = signal.signal(signal.SIGTERM, _terminate)


def pytest_unconfigure(config: pytest.Config) -> None:
    if _PREVIOUS_SIGTERM in config.stash:
        signal.signal(signal.SIGTERM, config.stash[_PREVIOUS_SIGTERM])


def _option(config: pytest.Config, name: str) -> str | None:
    return config.getoption(name) or config.getini(name) or None


def backend(config: pytest.Config) -> str:
    """The configured backend (``host`` or ``docker``)."""
    chosen = _option(config, "aeron_backend") or "host"
    if chosen not in BACKENDS:
        raise pytest.UsageError(f"aeron_backend must be one of {BACKENDS}, not {chosen!r}")
    return chosen


def _driver_kind(config: pytest.Config) -> str:
    # A container backend is for drivers out of this process: theirs is the default kind.
    kind = _option(config, "aeron_driver_kind") or ("process" if backend(config) == "docker" else "embedded")
    if kind not in DRIVER_KINDS:
        raise pytest.UsageError(f"aeron_driver_kind must be one of {DRIVER_KINDS}, not {kind!r}")
    return kind


def _driver_settings(request: pytest.FixtureRequest) -> dict[str, Any]:
    """``request.param`` of an indirectly parametrized driver fixture, as settings."""
    param = getattr(request, "param", None)
    if param is None:
        return {}
    if isinstance(param, str):
        return {"kind": param}
    return dict(param)


def _define(scope: str, suffix: str) -> None:
    """Define this module's fixtures for one scope, named ``aeron_<part><suffix>``.

    Each fixture below names its dependencies by part (``testbed``, ``driver``...);
    its pytest signature names the fixtures of the same scope, so pytest sees the
    dependencies (and ``indirect`` parametrization of ``aeron_driver`` reaches
    tests that only ask for an archive or a client)."""

    def fixture_name(part: str) -> str:
        return "request" if part == "request" else f"aeron_{part}{suffix}"

    def fixture(function: Any) -> None:
        parts = list(inspect.signature(function).parameters)

        def call(**fixtures: Any) -> Any:
            try:
                return function(*(fixtures[fixture_name(part)] for part in parts))
            except (DockerUnavailableError, ImageBuildError, MissingRequirementError) as exc:
                # one line says what is missing (a missing java or jar: the line alone)
                reason = str(exc) if isinstance(exc, MissingRequirementError) else f"{type(exc).__name__}: {exc}"
            pytest.fail(reason, pytrace=False)  # (outside the except: no chained traceback)

        call.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
            [inspect.Parameter(fixture_name(part), inspect.Parameter.KEYWORD_ONLY) for part in parts])
        call.__doc__ = re.sub(r"``aeron_(\w+)``", rf"``aeron_\1{suffix}``", function.__doc__)
        name = fixture_name(function.__name__)
        globals()[name] = pytest.fixture(scope=scope, name=name)(call)  # type: ignore[call-overload]  # (scope: a str)

    def testbed(request: Any) -> Any:
        """An ``AeronTestbed``: starts drivers, archives and clients, and stops them all."""
        config = request.config
        bed = AeronTestbed(_driver_kind(config), backend=backend(config), shm_root=_option(config, "aeron_shm_root"),
                           tmp_root=_option(config, "aeron_tmp_root"))
        request.addfinalizer(bed.close)
        return bed

    def driver(request: Any, testbed: Any) -> Any:
        """A C media driver (``RunningDriver``) of the configured or parametrized kind."""
        settings = _driver_settings(request)
        return testbed.driver(settings.pop("kind", None), **settings)

    def java_archive(testbed: Any, driver: Any) -> Any:
        """A Java archive on ``aeron_driver`` with recording events on."""
        return testbed.java_archive(driver, recording_events=True)

    def java_archive_replica(testbed: Any, driver: Any) -> Any:
        """A second Java archive on ``aeron_driver`` (e.g. a replication target)."""
        return testbed.java_archive(driver)

    def client(testbed: Any, driver: Any) -> Any:
        """An ``Aeron`` client of ``aeron_driver``."""
        return testbed.client(driver)

    def archive(testbed: Any, java_archive: Any) -> Any:
        """An ``AeronArchive`` connected to ``aeron_java_archive``."""
        return testbed.archive_client(java_archive)

    for function in (testbed, driver, java_archive, java_archive_replica, client, archive):
        fixture(function)


_define("function", "")
_define("session", "_session")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """A failed test's report also shows what its drivers, archives and cluster nodes reported."""
    report = yield
    if report.failed:
        for name in ("aeron_testbed", "aeron_testbed_session"):
            bed = getattr(item, "funcargs", {}).get(name)
            if bed is not None:
                report.sections += list(bed.diagnostics().items())
        for name in ("aeron_cluster", "aeron_cluster_three"):
            cluster = getattr(item, "funcargs", {}).get(name)
            if cluster is not None:
                report.sections += [(f"aeron cluster node {node.member_id} log", tail)
                                    for node in cluster.nodes if (tail := node.log_tail()).strip()]
    return report


@pytest.fixture(scope="session")
def aeron_free_port() -> PortAllocator:
    """``aeron_free_port()``: a free localhost UDP port, distinct within the session."""
    return PortAllocator()


def _cluster(request: pytest.FixtureRequest, ports: PortAllocator, size: int) -> LocalCluster:
    config = request.config
    cluster = LocalCluster(size, ports=ports, tmp_root=_option(config, "aeron_tmp_root"),
                           shm_root=_option(config, "aeron_shm_root"), backend=backend(config))
    request.addfinalizer(cluster.close)
    return cluster.start()


@pytest.fixture
def aeron_cluster(request: pytest.FixtureRequest, aeron_free_port: PortAllocator) -> LocalCluster:
    """A one-node ``LocalCluster``, started; its consensus module waits for a service."""
    return _cluster(request, aeron_free_port, 1)


@pytest.fixture
def aeron_cluster_three(request: pytest.FixtureRequest, aeron_free_port: PortAllocator) -> LocalCluster:
    """A three-node ``LocalCluster``, started; each consensus module waits for a service."""
    return _cluster(request, aeron_free_port, 3)
