"""Fixtures that start the real parts: the C media driver (as a process) and the Java archive.

Every fixture owns a temporary directory and tears its process down, pass or fail.
"""

from __future__ import annotations

import os
import pathlib
import subprocess

import pytest

from aeron_cffi._native import ffi, lib
from aeron_cffi.executables import aeronmd_path
from aeron_cffi.testing import JavaArchive

DRIVER_START_TIMEOUT_MS = 10_000


def wait_for_cnc(aeron_dir: pathlib.Path, timeout_ms: int = DRIVER_START_TIMEOUT_MS) -> None:
    """Block until a driver's CnC file in ``aeron_dir`` is ready (``aeron_cnc_init``)."""
    cnc = ffi.new("aeron_cnc_t **")
    if lib.aeron_cnc_init(cnc, str(aeron_dir).encode(), timeout_ms) < 0:
        raise RuntimeError(f"no media driver at {aeron_dir}: {ffi.string(lib.aeron_errmsg()).decode()}")
    lib.aeron_cnc_close(cnc[0])


@pytest.fixture
def aeronmd_dir(tmp_path: pathlib.Path):
    """The packaged ``aeronmd`` running as a process; yields its Aeron directory."""
    aeron_dir = tmp_path / "aeronmd"
    env = dict(
        os.environ,
        AERON_DIR=str(aeron_dir),
        AERON_DIR_DELETE_ON_START="1",
        AERON_DIR_DELETE_ON_SHUTDOWN="1",
        AERON_THREADING_MODE="SHARED",
        AERON_TERM_BUFFER_LENGTH=str(1 << 20),
        AERON_IPC_TERM_BUFFER_LENGTH=str(1 << 20),
    )
    log = open(tmp_path / "aeronmd.log", "wb")
    process = subprocess.Popen([str(aeronmd_path())], env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for_cnc(aeron_dir)
        yield aeron_dir
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@pytest.fixture
def java_archive(aeronmd_dir: pathlib.Path, tmp_path: pathlib.Path):
    """A Java archive on the ``aeronmd_dir`` driver, recording into ``tmp_path``."""
    with JavaArchive(aeronmd_dir, archive_dir=tmp_path / "archive") as archive:
        yield archive


# -- client layer fixtures (embedded C driver) -----------------------------------------

SMALL_TERM = 64 * 1024


@pytest.fixture
def media_driver(tmp_path: pathlib.Path):
    """An embedded C media driver (``aeron_cffi.MediaDriver``), SHARED threading, 64 KiB terms."""
    from aeron_cffi import MediaDriver

    with MediaDriver(
        dir=tmp_path / "embedded",
        threading_mode="SHARED",
        term_buffer_length=SMALL_TERM,
        ipc_term_buffer_length=SMALL_TERM,
        dir_delete_on_start=True,
        dir_delete_on_shutdown=True,
    ) as driver:
        yield driver


@pytest.fixture
def aeron(media_driver):
    """An ``aeron_cffi.Aeron`` client connected to ``media_driver``."""
    from aeron_cffi import Aeron

    with Aeron(dir=media_driver.dir, driver_timeout_ms=10_000) as client:
        yield client
