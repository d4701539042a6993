"""Exceptions raised by aeron-cffi, mapped from Aeron's C error codes (DESIGN.md section 5).

Aeron's C functions report failure by a negative return (or NULL) and leave a
thread-local code and message behind, read with ``aeron_errcode()`` and
``aeron_errmsg()``. ``last_error()`` captures both at the failure site and picks
the class:

* ``errcode`` is an ``errno`` value (``EINVAL``, ``ETIMEDOUT``, ...) for local failures;
* ``-AERON_CLIENT_ERROR_*`` for client-side failures (driver timeout, buffer full...);
* ``-AERON_ERROR_CODE_*`` when the driver refused a command (an invalid channel, an
  unknown host...): the client's async poll negates the driver's error code. These
  raise ``RegistrationError``, whose ``error_code`` is the ``DriverErrorCode``;
* error handler callbacks get Aeron codes as positive numbers (``handler_error``).

Every class carries ``errcode`` and ``errmsg``; the ones for timeouts are also
``TimeoutError`` and the one for bad arguments is also ``ValueError``, so code that
catches built-in exceptions keeps working.
"""

from __future__ import annotations

import enum
import errno

from aeron_cffi._native import c_string, ffi, lib


# Enum values come from the compiled headers, never from literals; the names are
# spelled out so type checkers and editors know the members, and tests check that
# every AERON_CLIENT_ERROR_* / AERON_ERROR_CODE_* / AERON_PUBLICATION_* #define has one.


class ClientErrorCode(enum.IntEnum):
    """Aeron client error codes (``AERON_CLIENT_ERROR_*`` in aeronc.h)."""

    DRIVER_TIMEOUT = lib.AERON_CLIENT_ERROR_DRIVER_TIMEOUT
    CLIENT_TIMEOUT = lib.AERON_CLIENT_ERROR_CLIENT_TIMEOUT
    CONDUCTOR_SERVICE_TIMEOUT = lib.AERON_CLIENT_ERROR_CONDUCTOR_SERVICE_TIMEOUT
    BUFFER_FULL = lib.AERON_CLIENT_ERROR_BUFFER_FULL
    DRIVER_BUFFER_FULL = lib.AERON_CLIENT_ERROR_DRIVER_BUFFER_FULL


class DriverErrorCode(enum.IntEnum):
    """Error codes the media driver answers a command with (``AERON_ERROR_CODE_*`` in
    Aeron's control protocol header; Java's ``io.aeron.ErrorCode``)."""

    UNKNOWN_CODE_VALUE = lib.AERON_ERROR_CODE_UNKNOWN_CODE_VALUE
    UNUSED = lib.AERON_ERROR_CODE_UNUSED
    INVALID_CHANNEL = lib.AERON_ERROR_CODE_INVALID_CHANNEL
    UNKNOWN_SUBSCRIPTION = lib.AERON_ERROR_CODE_UNKNOWN_SUBSCRIPTION
    UNKNOWN_PUBLICATION = lib.AERON_ERROR_CODE_UNKNOWN_PUBLICATION
    CHANNEL_ENDPOINT_ERROR = lib.AERON_ERROR_CODE_CHANNEL_ENDPOINT_ERROR
    UNKNOWN_COUNTER = lib.AERON_ERROR_CODE_UNKNOWN_COUNTER
    UNKNOWN_COMMAND_TYPE_ID = lib.AERON_ERROR_CODE_UNKNOWN_COMMAND_TYPE_ID
    MALFORMED_COMMAND = lib.AERON_ERROR_CODE_MALFORMED_COMMAND
    NOT_SUPPORTED = lib.AERON_ERROR_CODE_NOT_SUPPORTED
    UNKNOWN_HOST = lib.AERON_ERROR_CODE_UNKNOWN_HOST
    RESOURCE_TEMPORARILY_UNAVAILABLE = lib.AERON_ERROR_CODE_RESOURCE_TEMPORARILY_UNAVAILABLE
    GENERIC_ERROR = lib.AERON_ERROR_CODE_GENERIC_ERROR
    STORAGE_SPACE = lib.AERON_ERROR_CODE_STORAGE_SPACE
    IMAGE_REJECTED = lib.AERON_ERROR_CODE_IMAGE_REJECTED
    PUBLICATION_REVOKED = lib.AERON_ERROR_CODE_PUBLICATION_REVOKED


class AeronError(Exception):
    """A failed Aeron call: ``errcode`` and ``errmsg`` as Aeron reported them."""

    def __init__(self, errmsg: str, errcode: int = 0) -> None:
        super().__init__(errmsg)
        self.errmsg = errmsg
        self.errcode = errcode

    def __str__(self) -> str:
        return f"{self.errmsg} (errcode={self.errcode})" if self.errcode else self.errmsg


class AeronTimeoutError(AeronError, TimeoutError):
    """An operation did not complete in time (``ETIMEDOUT`` or a ``timeout=`` ran out)."""


class DriverTimeoutError(AeronTimeoutError):
    """No media driver, or the driver stopped answering (``AERON_CLIENT_ERROR_DRIVER_TIMEOUT``)."""


class ClientTimeoutError(AeronTimeoutError):
    """The driver timed this client out (``AERON_CLIENT_ERROR_CLIENT_TIMEOUT``)."""


class ConductorServiceTimeoutError(AeronTimeoutError):
    """The client conductor was not serviced in time (``AERON_CLIENT_ERROR_CONDUCTOR_SERVICE_TIMEOUT``)."""


class BufferFullError(AeronError):
    """A command could not be queued (``AERON_CLIENT_ERROR_BUFFER_FULL``)."""


class DriverBufferFullError(BufferFullError):
    """The driver's command buffer is full (``AERON_CLIENT_ERROR_DRIVER_BUFFER_FULL``)."""


class InvalidArgumentError(AeronError, ValueError):
    """Aeron rejected an argument (``EINVAL``), or Python did before calling Aeron."""


class RegistrationError(AeronError):
    """The media driver refused a command (add a publication, subscription, counter or
    destination): ``error_code`` is the driver's ``DriverErrorCode`` (``errcode`` is its
    negation, as ``aeron_errcode()`` reports it) and ``errmsg`` carries the driver's message."""

    @property
    def error_code(self) -> DriverErrorCode:
        return DriverErrorCode(-self.errcode)


class ResourceClosedError(AeronError):
    """The object (or the client it belongs to) is closed; nothing was sent to C."""


class InvalidStateError(AeronError, RuntimeError):
    """A call made where it cannot work, e.g. ``Aeron.close()`` on the client's own
    conductor thread (``aeron_close`` joins that thread). Nothing was done."""


# What the client conductor reports when it closes the client (``is_terminating``).
CLIENT_CLOSING_ERRORS = (DriverTimeoutError, ClientTimeoutError, ConductorServiceTimeoutError)

_BY_CLIENT_CODE: dict[int, type[AeronError]] = {
    ClientErrorCode.DRIVER_TIMEOUT: DriverTimeoutError,
    ClientErrorCode.CLIENT_TIMEOUT: ClientTimeoutError,
    ClientErrorCode.CONDUCTOR_SERVICE_TIMEOUT: ConductorServiceTimeoutError,
    ClientErrorCode.BUFFER_FULL: BufferFullError,
    ClientErrorCode.DRIVER_BUFFER_FULL: DriverBufferFullError,
}
_BY_ERRNO: dict[int, type[AeronError]] = {
    errno.EINVAL: InvalidArgumentError,
    errno.ETIMEDOUT: AeronTimeoutError,
}


_DRIVER_CODES = frozenset(code for code in DriverErrorCode if code > 0)


def error_class(errcode: int) -> type[AeronError]:
    """The exception class for an error code as ``aeron_errcode()`` returns it."""
    if errcode < 0:
        return _BY_CLIENT_CODE.get(-errcode) or (RegistrationError if -errcode in _DRIVER_CODES else AeronError)
    return _BY_ERRNO.get(errcode, AeronError)


def error_from(errcode: int, errmsg: str) -> AeronError:
    return error_class(errcode)(errmsg, errcode)


def handler_error(code: int, errmsg: str) -> AeronError:
    """The exception for what the client conductor passes its error handler: a positive
    Aeron code (``AERON_CLIENT_ERROR_*``, or ``AERON_ERROR_CODE_GENERIC_ERROR`` for a
    local failure); ``errcode`` is stored negated, as ``aeron_errcode()`` reports it."""
    return _BY_CLIENT_CODE.get(code, AeronError)(errmsg, -code)


def last_error(context: str | None = None) -> AeronError:
    """The error Aeron left on this thread, as an exception (not raised).

    ``context`` (e.g. the C function's name) is prefixed to the message so a user
    sees which call failed.
    """
    errcode = lib.aeron_errcode()
    errmsg = c_string(lib.aeron_errmsg()) or "unknown Aeron error"
    if context:
        errmsg = f"{context}: {errmsg}"
    return error_from(errcode, errmsg)


def check(result: int, context: str | None = None) -> int:
    """Return ``result`` of an int-returning Aeron call, or raise if it is negative."""
    if result < 0:
        raise last_error(context)
    return result


def check_ptr(pointer, context: str | None = None):
    """Return a pointer returned by an Aeron call, or raise if it is NULL."""
    if pointer == ffi.NULL:
        raise last_error(context)
    return pointer



# -- publications ----------------------------------------------------------------

class OfferResult(enum.IntEnum):
    """Negative results of ``offer``/``try_claim`` (``AERON_PUBLICATION_*`` in aeronc.h).

    ``NOT_CONNECTED``, ``BACK_PRESSURED`` and ``ADMIN_ACTION`` are returned (retry later);
    ``CLOSED``, ``MAX_POSITION_EXCEEDED`` and ``ERROR`` are raised as exceptions."""

    NOT_CONNECTED = lib.AERON_PUBLICATION_NOT_CONNECTED
    BACK_PRESSURED = lib.AERON_PUBLICATION_BACK_PRESSURED
    ADMIN_ACTION = lib.AERON_PUBLICATION_ADMIN_ACTION
    CLOSED = lib.AERON_PUBLICATION_CLOSED
    MAX_POSITION_EXCEEDED = lib.AERON_PUBLICATION_MAX_POSITION_EXCEEDED
    ERROR = lib.AERON_PUBLICATION_ERROR


RETRYABLE_OFFER_RESULTS = frozenset({OfferResult.NOT_CONNECTED, OfferResult.BACK_PRESSURED, OfferResult.ADMIN_ACTION})


class PublicationError(AeronError):
    """A terminal ``offer``/``try_claim`` outcome; ``result`` is the ``OfferResult``."""

    def __init__(self, errmsg: str, errcode: int = 0, result: int = OfferResult.ERROR) -> None:
        super().__init__(errmsg, errcode)
        self.result = OfferResult(result)


class PublicationClosedError(PublicationError, ResourceClosedError):
    """The publication was closed under the caller (``AERON_PUBLICATION_CLOSED``)."""


class MaxPositionExceededError(PublicationError):
    """The stream reached its maximum position (``AERON_PUBLICATION_MAX_POSITION_EXCEEDED``)."""


def offer_error(result: int, context: str) -> PublicationError:
    """The exception for a terminal offer ``result`` (``CLOSED``, ``MAX_POSITION_EXCEEDED``, ``ERROR``)."""
    if result == OfferResult.CLOSED:
        return PublicationClosedError(f"{context}: publication is closed", 0, result)
    if result == OfferResult.MAX_POSITION_EXCEEDED:
        return MaxPositionExceededError(f"{context}: max position exceeded", 0, result)
    cause = last_error(context)
    return PublicationError(cause.errmsg, cause.errcode, OfferResult.ERROR)
