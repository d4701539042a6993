"""The queue suite's fixtures: one C media driver (aeronmd) and one Java archive for the
whole session, with small terms and segment files so that purges happen after a few
hundred entries; each test names its own queue (``prefix``), so tests share the archive."""

from __future__ import annotations

import itertools

import pytest

from aeron_cffi.queue import Ledger, Table, TableConfig

from queue_support import ARCHIVE_SEGMENT_LENGTH, DRIVER_TERM_LENGTH, QUEUE_TERM_LENGTH, ledger_config

_prefixes = itertools.count(1)


@pytest.fixture(scope="session")
def queue_driver(aeron_testbed_session):
    return aeron_testbed_session.driver("process", term_buffer_length=DRIVER_TERM_LENGTH,
                                        ipc_term_buffer_length=DRIVER_TERM_LENGTH)


@pytest.fixture(scope="session")
def queue_archive(aeron_testbed_session, queue_driver):
    """The session's Java archive (``JavaArchive``)."""
    return aeron_testbed_session.java_archive(queue_driver, segment_file_length=ARCHIVE_SEGMENT_LENGTH)


@pytest.fixture(scope="session")
def archive(aeron_testbed_session, queue_archive):
    """An ``AeronArchive`` client of the session's archive."""
    return aeron_testbed_session.archive_client(queue_archive)


@pytest.fixture
def prefix(request) -> str:
    """A queue name no other test of the session uses."""
    return f"{request.node.name[:40]}-{next(_prefixes)}"


@pytest.fixture
def ledger(archive, prefix):
    """The test's ledger, opened for writing."""
    with Ledger(archive, ledger_config(prefix)) as opened:
        yield opened


@pytest.fixture
def table(archive, prefix):
    """The test's table of consumer marks."""
    opened = Table(archive, TableConfig(prefix=prefix, term_length=QUEUE_TERM_LENGTH))
    yield opened
    opened.close()
