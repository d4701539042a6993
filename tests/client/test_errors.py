"""Each exception class reached through the real driver, and bad input stopped before C."""

from __future__ import annotations

import errno
import time

import pytest

from aeron_cffi import (
    Aeron,
    AeronTimeoutError,
    BufferClaim,
    ChannelUri,
    ClientErrorCode,
    Context,
    DriverTimeoutError,
    InvalidArgumentError,
    OfferResult,
    PublicationClosedError,
    ResourceClosedError,
)
from aeron_cffi._native import lib
from aeron_cffi.errors import AeronError, error_class, offer_error

from helpers import wait_until


def test_every_client_error_code_has_a_member():
    defined = {n.removeprefix("AERON_CLIENT_ERROR_") for n in dir(lib) if n.startswith("AERON_CLIENT_ERROR_")}
    assert defined == set(ClientErrorCode.__members__)
    assert {n.removeprefix("AERON_PUBLICATION_") for n in dir(lib) if n.startswith("AERON_PUBLICATION_")
            and isinstance(getattr(lib, n), int)} == set(OfferResult.__members__)


def test_client_without_driver_raises_driver_timeout_within_its_timeout(tmp_path):
    started = time.monotonic()
    with pytest.raises(DriverTimeoutError) as caught:
        Aeron(dir=tmp_path / "nothing-here", driver_timeout_ms=500)
    assert isinstance(caught.value, TimeoutError)
    assert caught.value.errmsg
    assert time.monotonic() - started < 30  # bounded by the timeout, not hanging


def test_malformed_channel_names_the_uri(aeron):
    with pytest.raises(InvalidArgumentError, match="aeron:nonsense"):
        aeron.add_publication("aeron:nonsense", 1)
    with pytest.raises(InvalidArgumentError, match="not-a-uri"):
        aeron.add_subscription("not-a-uri", 1)
    with pytest.raises(AeronError, match=r"aeron:udp\?endpoint=127.0.0.1:99999"):
        aeron.add_publication("aeron:udp?endpoint=127.0.0.1:99999", 1, timeout=10)
    with pytest.raises(InvalidArgumentError, match="aeron:foo"):
        ChannelUri.parse("aeron:foo")
    assert issubclass(InvalidArgumentError, ValueError)


def test_bad_input_stopped_before_c(aeron):
    publication = aeron.add_publication("aeron:ipc", 2)
    with pytest.raises(TypeError):
        publication.offer("str is not bytes")
    with pytest.raises(InvalidArgumentError, match="max_message_length"):
        publication.offer(bytes(publication.max_message_length + 1))
    with pytest.raises(InvalidArgumentError):
        publication.try_claim(-1, BufferClaim())
    with pytest.raises(InvalidArgumentError, match="max_payload_length"):
        publication.try_claim(publication.max_payload_length + 1, BufferClaim())
    with pytest.raises(TypeError):
        aeron.add_publication(b"aeron:ipc", 1)
    with pytest.raises(TypeError):
        aeron.add_publication("aeron:ipc", "1")
    with pytest.raises(InvalidArgumentError):
        aeron.add_publication("aeron:ipc", 2**40)
    with pytest.raises(TypeError, match="unexpected setting"):
        Context(no_such_setting=1)
    with pytest.raises(TypeError):
        Context(driver_timeout_ms="soon")
    with pytest.raises(InvalidArgumentError, match="label"):
        aeron.add_counter(1001, label="x" * 1000)


def test_offer_after_close_raises(aeron):
    publication = aeron.add_publication("aeron:ipc", 3)
    publication.close()
    with pytest.raises(ResourceClosedError):
        publication.offer(b"late")
    with pytest.raises(ResourceClosedError):
        publication.try_claim(1, BufferClaim())


def test_terminal_offer_results_raise_typed_errors():
    assert isinstance(offer_error(OfferResult.CLOSED, "x"), PublicationClosedError)
    assert isinstance(offer_error(OfferResult.CLOSED, "x"), ResourceClosedError)
    assert offer_error(OfferResult.MAX_POSITION_EXCEEDED, "x").result is OfferResult.MAX_POSITION_EXCEEDED


def test_blocking_helper_timeout_raises_timeout_error(aeron):
    with pytest.raises(AeronTimeoutError):
        aeron.add_publication("aeron:ipc", 4, timeout=0)
    assert issubclass(AeronTimeoutError, TimeoutError)


def test_error_classes_from_codes():
    for code, name in [(ClientErrorCode.DRIVER_TIMEOUT, "DriverTimeoutError"),
                       (ClientErrorCode.CLIENT_TIMEOUT, "ClientTimeoutError"),
                       (ClientErrorCode.CONDUCTOR_SERVICE_TIMEOUT, "ConductorServiceTimeoutError"),
                       (ClientErrorCode.BUFFER_FULL, "BufferFullError"),
                       (ClientErrorCode.DRIVER_BUFFER_FULL, "DriverBufferFullError")]:
        assert error_class(code).__name__ == name
        assert error_class(-code).__name__ == name
    assert error_class(errno.EINVAL) is InvalidArgumentError


def test_conductor_errors_reach_the_error_handler(media_driver):
    errors = []
    with Aeron(dir=media_driver.dir, error_handler=errors.append,
               on_new_publication=lambda *args: (_ for _ in ()).throw(RuntimeError("in on_new_publication"))) as client:
        client.add_publication("aeron:ipc", 5)
        wait_until(lambda: errors, "error handler call")
    assert isinstance(errors[0], RuntimeError) and "on_new_publication" in str(errors[0])
