"""Archive authentication end to end: a Java archive with an authenticator, our
``CredentialsSupplier`` on the C client.

The archive runs aeron-all's ``io.aeron.samples.archive.SampleAuthenticator``
(property ``aeron.archive.authenticator.supplier``, read by
``Archive.Configuration.authenticatorSupplier``). What it does, read from its
bytecode (``javap -c``):

* connect credentials ``admin:admin``: authenticated;
* ``admin:adminC``: challenged with ``"challenge!"``; the answer ``admin:CSadmin``
  authenticates, any other answer is rejected;
* anything else (including no credentials): rejected, which the archive answers
  with ``ArchiveErrorCode.AUTHENTICATION_REJECTED``.
"""

from __future__ import annotations

import pathlib
from typing import Callable

import pytest

from aeron_cffi.archive import AeronArchive, ArchiveContext, ArchiveError, ArchiveErrorCode, CredentialsSupplier
from aeron_cffi.testing import JavaArchive

from archive_support import start_archive, wait_for

AUTHENTICATOR = "io.aeron.samples.archive.SampleAuthenticatorSupplier"
CREDENTIALS = b"admin:admin"
CHALLENGED_CREDENTIALS = b"admin:adminC"
CHALLENGE = b"challenge!"
CHALLENGE_ANSWER = b"admin:CSadmin"


@pytest.fixture(scope="module")
def secure_archive(aeron_testbed_session, driver_dir):
    """A Java archive that authenticates every control session."""
    archive = start_archive(aeron_testbed_session, driver_dir,
                            properties={"aeron.archive.authenticator.supplier": AUTHENTICATOR})
    try:
        yield archive
    finally:
        archive.close()


def secure_context(driver_dir: pathlib.Path, archive: JavaArchive, supplier: CredentialsSupplier | None) -> ArchiveContext:
    return ArchiveContext(
        aeron_directory_name=str(driver_dir),
        control_request_channel=archive.control_request_channel,
        control_response_channel=archive.control_response_channel,
        credentials_supplier=supplier,
    )


def connected_archive_id(driver_dir: pathlib.Path, archive: JavaArchive, supplier: CredentialsSupplier) -> int:
    """Connect with ``supplier``, make one control request, close; the archive id it answered."""
    with secure_context(driver_dir, archive, supplier) as context:
        with AeronArchive.connect(context) as client:
            assert client.list_recordings() == []  # a control request on the authenticated session
            archive_id = client.archive_id
        # every credentials buffer lent to C (connect and challenge answer) came back
        assert context.targets[0].lent == {}
    return archive_id


def assert_rejected(driver_dir: pathlib.Path, archive: JavaArchive, supplier: CredentialsSupplier | None) -> None:
    with secure_context(driver_dir, archive, supplier) as context:
        with pytest.raises(ArchiveError) as raised:
            AeronArchive.connect(context)
        if supplier is not None:
            assert context.targets[0].lent == {}
    assert raised.value.archive_code is ArchiveErrorCode.AUTHENTICATION_REJECTED
    assert raised.value.archive_message == "authentication rejected"


def answering(answer: bytes, challenges: list[bytes]) -> Callable[[bytes], bytes]:
    def on_challenge(challenge: bytes) -> bytes:
        challenges.append(challenge)
        return answer

    return on_challenge


def test_right_credentials_connect(driver_dir, secure_archive):
    supplied: list[bytes] = []

    def encoded() -> bytes:
        supplied.append(CREDENTIALS)
        return CREDENTIALS

    assert connected_archive_id(driver_dir, secure_archive, CredentialsSupplier(encoded)) == secure_archive.archive_id
    assert supplied == [CREDENTIALS]


@pytest.mark.parametrize("credentials", [b"admin:wrong", b"", b"admin:admin\0", b"\xff" * 300])
def test_wrong_credentials_are_rejected(driver_dir, secure_archive, credentials):
    assert_rejected(driver_dir, secure_archive, CredentialsSupplier(credentials))


def test_no_credentials_supplier_is_rejected(driver_dir, secure_archive):
    assert_rejected(driver_dir, secure_archive, None)


def test_rejection_leaves_the_archive_serving_others(driver_dir, secure_archive):
    for _ in range(3):
        assert_rejected(driver_dir, secure_archive, CredentialsSupplier(b"intruder"))
        assert connected_archive_id(driver_dir, secure_archive, CredentialsSupplier(CREDENTIALS)) \
            == secure_archive.archive_id


def test_challenge_round_trip(driver_dir, secure_archive):
    challenges: list[bytes] = []
    supplier = CredentialsSupplier(CHALLENGED_CREDENTIALS, answering(CHALLENGE_ANSWER, challenges))
    assert connected_archive_id(driver_dir, secure_archive, supplier) == secure_archive.archive_id
    assert challenges == [CHALLENGE]


@pytest.mark.parametrize("answer", [b"admin:wrong", CREDENTIALS, b""])
def test_wrong_challenge_answer_is_rejected(driver_dir, secure_archive, answer):
    challenges: list[bytes] = []
    assert_rejected(driver_dir, secure_archive, CredentialsSupplier(CHALLENGED_CREDENTIALS, answering(answer, challenges)))
    assert challenges == [CHALLENGE]


def test_challenge_without_on_challenge_is_rejected(driver_dir, secure_archive):
    # C answers the challenge with no credentials when the supplier has no on_challenge
    assert_rejected(driver_dir, secure_archive, CredentialsSupplier(CHALLENGED_CREDENTIALS))


def test_on_challenge_exception_is_raised_by_connect(driver_dir, secure_archive):
    def on_challenge(challenge: bytes) -> bytes:
        raise KeyError(challenge)

    with secure_context(driver_dir, secure_archive, CredentialsSupplier(CHALLENGED_CREDENTIALS, on_challenge)) as context:
        with pytest.raises(KeyError, match="challenge!"):
            AeronArchive.connect(context)


def test_on_challenge_answer_must_be_bytes(driver_dir, secure_archive):
    supplier = CredentialsSupplier(CHALLENGED_CREDENTIALS, lambda challenge: "admin:CSadmin")
    with secure_context(driver_dir, secure_archive, supplier) as context:
        with pytest.raises(TypeError):
            AeronArchive.connect(context)


def test_async_connect_challenge_and_rejection(driver_dir, secure_archive):
    challenges: list[bytes] = []

    def connecting(answer: bytes):
        return AeronArchive.async_connect(
            aeron_directory_name=str(driver_dir),
            control_request_channel=secure_archive.control_request_channel,
            control_response_channel=secure_archive.control_response_channel,
            credentials_supplier=CredentialsSupplier(CHALLENGED_CREDENTIALS, answering(answer, challenges)),
        )

    with wait_for(connecting(CHALLENGE_ANSWER).poll) as client:
        assert client.archive_id == secure_archive.archive_id
    rejected = connecting(b"admin:wrong")
    with pytest.raises(ArchiveError) as raised:
        wait_for(rejected.poll)
    assert raised.value.archive_code is ArchiveErrorCode.AUTHENTICATION_REJECTED
    assert challenges == [CHALLENGE, CHALLENGE]
