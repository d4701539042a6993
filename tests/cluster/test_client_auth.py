"""Authentication of a cluster client, against a consensus module whose authenticator is
the samples' ``SampleAuthenticator`` (``aeron.cluster.authenticator.supplier``): it
accepts ``admin:admin``, challenges ``admin:adminC`` with ``challenge!`` and then accepts
``admin:CSadmin``, and rejects everything else."""

from __future__ import annotations

import pytest

from aeron_cffi.cluster import AuthenticationRejectedError
from client_support import (
    RecordingListener,
    auction_cluster,
    bid,
    connect,
    result_of,
)

AUTHENTICATOR = {"aeron.cluster.authenticator.supplier": "io.aeron.samples.archive.SampleAuthenticatorSupplier"}


cluster = auction_cluster(1, properties=AUTHENTICATOR)


def test_credentials_accepted(cluster, client_driver_dir):
    listener = RecordingListener()
    with connect(cluster, client_driver_dir, listener, encoded_credentials=b"admin:admin") as client:
        assert result_of(client, listener, bid(client, 1, 10)).correlation_id > 0


def test_challenge_answered(cluster, client_driver_dir):
    challenges: list[bytes] = []

    def on_challenge(challenge: bytes) -> bytes:
        challenges.append(challenge)
        return b"admin:CSadmin"

    listener = RecordingListener()
    with connect(cluster, client_driver_dir, listener, encoded_credentials=lambda: b"admin:adminC",
                 on_challenge=on_challenge) as client:
        assert challenges == [b"challenge!"]
        assert result_of(client, listener, bid(client, 2, 20)).correlation_id > 0


@pytest.mark.parametrize("credentials, answer", [(b"admin:wrong", None), (b"admin:adminC", b"admin:bad")],
                         ids=["on-connect", "on-challenge"])
def test_credentials_rejected(cluster, client_driver_dir, credentials, answer):
    with pytest.raises(AuthenticationRejectedError, match="rejected the credentials"):
        connect(cluster, client_driver_dir, encoded_credentials=credentials,
                on_challenge=None if answer is None else (lambda challenge: answer))
