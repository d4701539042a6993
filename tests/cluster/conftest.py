"""The cluster suite's fixtures beyond the plugin's (``aeron_cluster``...): the C media
driver of the cluster clients."""

from __future__ import annotations

import pathlib
from typing import Iterator

import pytest

from aeron_cffi.driver_process import DriverProcess


@pytest.fixture(scope="session")
def client_driver_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[pathlib.Path]:
    """A C media driver for the cluster clients, so that a client's traffic crosses from
    our C driver to the node's Java driver over UDP and survives a node being killed;
    yields its Aeron directory."""
    aeron_dir = tmp_path_factory.mktemp("cluster-client-driver") / "aeronmd"
    with DriverProcess(aeron_dir, threading_mode="SHARED", dir_delete_on_shutdown=True,
                       term_buffer_length=256 * 1024, ipc_term_buffer_length=256 * 1024):
        yield aeron_dir
