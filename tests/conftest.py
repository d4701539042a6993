"""The suite's fixtures, made from the aeron_cffi pytest plugin's (``aeron_cffi.testing.plugin``,
which pytest loads from the installed package's ``pytest11`` entry point).

Every part comes from the per-test ``aeron_testbed``, which stops it and deletes its
directories when the test ends, pass or fail.
"""

from __future__ import annotations

import signal

import pytest

MIB = 1 << 20

# A shell starts a background job (`bash .ci/run &`) with SIGINT ignored, and every
# child inherits that, so the tests' Ctrl-C to a child interpreter or CLI would be lost.
# With Python's own handler here, children start with SIGINT at its default again.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture
def aeronmd_dir(aeron_testbed):
    """The packaged ``aeronmd`` running as a process (1 MiB terms); its Aeron directory."""
    return aeron_testbed.driver("process", term_buffer_length=MIB, ipc_term_buffer_length=MIB).dir


@pytest.fixture
def java_archive(aeron_testbed, aeronmd_dir):
    """A Java archive on the ``aeronmd_dir`` driver."""
    return aeron_testbed.java_archive(aeronmd_dir)


@pytest.fixture
def media_driver(aeron_testbed):
    """A C media driver (``RunningDriver``), SHARED threading, 64 KiB terms: embedded in this
    process, or on the docker backend (``--aeron-backend docker``) in a container, so the
    client suite runs against a containerised driver there."""
    return aeron_testbed.driver("embedded" if aeron_testbed.backend == "host" else "process")


@pytest.fixture
def aeron(aeron_testbed, media_driver):
    """An ``aeron_cffi.Aeron`` client connected to ``media_driver``."""
    return aeron_testbed.client(media_driver)
