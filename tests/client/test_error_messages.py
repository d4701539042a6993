"""Errors a new user meets first say what happened and what is accepted (issue 12)."""

from __future__ import annotations

import pytest

from aeron_cffi import (
    Aeron,
    BufferClaim,
    DriverTimeoutError,
    InvalidArgumentError,
    MediaDriver,
    RegistrationError,
    ThreadingMode,
)
from aeron_cffi.media_driver import threading_mode

from helpers import connected


def test_offer_of_a_str_names_the_method_and_the_accepted_types(aeron):
    subscription, publication = connected(aeron, 2301)
    for call, name in ((lambda: publication.offer("a str"), "ExclusivePublication.offer"),
                       (lambda: publication.offerv([b"ok", "a str"]), "ExclusivePublication.offerv"),
                       (lambda: publication.offer_block("a str"), "ExclusivePublication.offer_block")):
        with pytest.raises(TypeError) as raised:
            call()
        assert str(raised.value) == (f"{name}: data must be a bytes-like object (bytes, bytearray, memoryview, "
                                     f"array.array, ...), not str")
    claim = BufferClaim()
    assert publication.try_claim(4, claim) > 0
    with pytest.raises(TypeError, match=r"^BufferClaim.put: data must be a bytes-like object .*, not int$"):
        claim.put(1234)
    claim.abort()
    assert publication.offer(b"still works") > 0  # nothing was lost or left claimed
    assert subscription.receive(timeout=10).data == b"still works"


def test_an_unknown_threading_mode_lists_the_valid_ones(tmp_path):
    with pytest.raises(InvalidArgumentError) as raised:
        MediaDriver(dir=str(tmp_path / "aeron"), threading_mode="bogus")
    assert "threading_mode 'bogus' is not one of DEDICATED, SHARED_NETWORK, SHARED, INVOKER" in str(raised.value)
    assert [threading_mode(name) for name in ("shared", "Shared_Network", ThreadingMode.DEDICATED)] == [
        ThreadingMode.SHARED, ThreadingMode.SHARED_NETWORK, ThreadingMode.DEDICATED]


def test_no_driver_names_the_directory_and_how_to_start_one(tmp_path):
    directory = tmp_path / "none"
    with pytest.raises(DriverTimeoutError) as raised:
        Aeron(dir=str(directory), driver_timeout_ms=200)
    first, *rest = str(raised.value).splitlines()
    assert first == (f"no media driver is running in {directory} (none answered within 200 ms): start one with "
                     f"`aeron-cffi driver --dir {directory}`, or aeron_cffi.MediaDriver(dir=...) in this process")
    assert any("CnC file not created" in line for line in rest)  # Aeron's own text follows


def test_the_root_cause_of_a_driver_error_is_on_the_first_line(aeron):
    with pytest.raises(RegistrationError) as raised:
        aeron.add_publication("aeron:udp?endpoint=localhost:99999", 2302)
    assert str(raised.value).splitlines()[0] == ("add_publication('aeron:udp?endpoint=localhost:99999', 2302): "
                                                 "port out of range: '99999' (Invalid argument)")
    assert "generic error, see message" in str(raised.value)  # (the full text is still there)
