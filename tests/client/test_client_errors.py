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
    ClientTimeoutError,
    ConductorServiceTimeoutError,
    Context,
    DriverErrorCode,
    DriverTimeoutError,
    InvalidArgumentError,
    MediaDriver,
    OfferResult,
    PublicationClosedError,
    RegistrationError,
    ResourceClosedError,
)
from aeron_cffi._native import lib
from aeron_cffi.errors import AeronError, error_class, handler_error, offer_error

from helpers import wait_until


def test_every_error_code_and_offer_result_has_a_member():
    for prefix, enum in (("AERON_CLIENT_ERROR_", ClientErrorCode), ("AERON_ERROR_CODE_", DriverErrorCode)):
        defined = {n.removeprefix(prefix): getattr(lib, n) for n in dir(lib) if n.startswith(prefix)}
        assert defined == {member.name: member.value for member in enum}
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
        assert error_class(-code).__name__ == name  # aeron_errcode() negates client codes
        assert type(handler_error(code, "x")).__name__ == name  # error handlers get them positive
    assert error_class(errno.EINVAL) is InvalidArgumentError
    assert error_class(-DriverErrorCode.UNKNOWN_HOST) is RegistrationError
    assert type(handler_error(DriverErrorCode.GENERIC_ERROR, "x")) is AeronError


def test_conductor_errors_reach_the_error_handler(media_driver):
    errors = []
    with Aeron(dir=media_driver.dir, error_handler=errors.append,
               on_new_publication=lambda *args: (_ for _ in ()).throw(RuntimeError("in on_new_publication"))) as client:
        client.add_publication("aeron:ipc", 5)
        wait_until(lambda: errors, "error handler call")
    assert isinstance(errors[0], RuntimeError) and "on_new_publication" in str(errors[0])


@pytest.mark.parametrize("channel, code", [
    ("aeron:udp?endpoint=localhost:40124|interface=999.0.0.1", DriverErrorCode.UNKNOWN_HOST),
    ("aeron:udp?endpoint=no-such-host.invalid:40125", DriverErrorCode.UNKNOWN_HOST),
    ("aeron:udp?endpoint=127.0.0.1:99999", DriverErrorCode.GENERIC_ERROR),
])
def test_driver_rejections_raise_registration_error_with_the_drivers_code(aeron, channel, code):
    for add in (aeron.add_publication, aeron.add_exclusive_publication, aeron.add_subscription):
        with pytest.raises(RegistrationError) as caught:
            add(channel, 11, timeout=10)
        assert caught.value.error_code is code and caught.value.errcode == -code
        assert channel in caught.value.errmsg and "registration error" in caught.value.errmsg
    assert not aeron.is_closed  # a refused command leaves the client usable
    assert aeron.add_publication("aeron:ipc", 11).stream_id == 11


def test_aeronmd_process_refusal_is_a_registration_error(aeronmd_dir):
    with Aeron(dir=aeronmd_dir) as client:
        with pytest.raises(RegistrationError, match="unknown host") as caught:
            client.add_subscription("aeron:udp?endpoint=no-such-host.invalid:40127", 15, timeout=10)
        assert caught.value.error_code is DriverErrorCode.UNKNOWN_HOST


def test_driver_rejects_a_destination(aeron):
    publication = aeron.add_publication("aeron:udp?control-mode=manual", 12)
    subscription = aeron.add_subscription("aeron:udp?control-mode=manual", 12)
    # an MDC publication resolves destination names later, in the background; a
    # subscription resolves at once. Both refuse a destination of the wrong media.
    for target, uri, code in ((subscription, "aeron:udp?endpoint=no-such-host.invalid:40126",
                               DriverErrorCode.UNKNOWN_HOST),
                              (publication, "aeron:ipc", DriverErrorCode.GENERIC_ERROR)):
        with pytest.raises(RegistrationError) as caught:
            target.add_destination(uri, timeout=10)
        assert caught.value.error_code is code and uri in caught.value.errmsg


def invoker_client(driver, errors, **settings) -> Aeron:
    return Aeron(dir=driver.dir, use_conductor_agent_invoker=True, error_handler=errors.append, **settings)


def test_driver_times_out_a_silent_client_client_timeout_error(tmp_path):
    """No keepalive within the driver's client liveness timeout: the driver drops the
    client, the conductor reports CLIENT_TIMEOUT to the error handler and closes; every
    later call on the client raises ClientTimeoutError instead of waiting forever."""
    errors: list[BaseException] = []
    with MediaDriver(dir=tmp_path / "md", threading_mode="SHARED", client_liveness_timeout_ns=2_000_000_000,
                     timer_interval_ns=10_000_000, dir_delete_on_start=True, dir_delete_on_shutdown=True) as driver, \
            invoker_client(driver, errors, keepalive_interval_ns=3_600_000_000_000) as client:
        publication = client.add_publication("aeron:ipc", 13)  # the driver now knows the client
        wait_until(lambda: errors, "client timeout", client.do_work)
        assert isinstance(errors[0], ClientTimeoutError) and errors[0].errcode == -ClientErrorCode.CLIENT_TIMEOUT
        assert client.is_closed and publication.is_closed
        with pytest.raises(ClientTimeoutError, match="client timeout from driver"):
            client.do_work()
        with pytest.raises(ClientTimeoutError):
            client.add_subscription("aeron:ipc", 13)
        with pytest.raises(PublicationClosedError):
            publication.offer(b"after the timeout")


def test_conductor_not_serviced_in_time_conductor_service_timeout_error(tmp_path):
    """An invoker-mode client that calls do_work less often than the driver's client
    liveness timeout closes itself with CONDUCTOR_SERVICE_TIMEOUT (the driver is paused
    too, so it cannot time the client out first)."""
    errors: list[BaseException] = []
    with MediaDriver(dir=tmp_path / "md", threading_mode="INVOKER", manual_main_loop=True,
                     client_liveness_timeout_ns=500_000_000, timer_interval_ns=10_000_000,
                     dir_delete_on_start=True, dir_delete_on_shutdown=True) as driver:
        with invoker_client(driver, errors) as client:
            def both():
                driver.do_work()
                client.do_work()

            starting = client.async_add_publication("aeron:ipc", 14)
            publication = None
            while publication is None:
                both()
                publication = starting.poll()
            time.sleep(1.5)  # neither conductor runs for longer than the 500 ms timeout
            client.do_work()
            assert [type(e) for e in errors] == [ConductorServiceTimeoutError]
            assert "service interval exceeded" in errors[0].errmsg
            with pytest.raises(ConductorServiceTimeoutError):
                client.add_publication("aeron:ipc", 14)
            assert publication.is_closed
