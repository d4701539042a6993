"""Archive errors: ``ArchiveError`` carries the archive's own error code and message.

When the archive answers a control request with an error, the C client
(``aeron_archive_client.c``) fails the call with the generic Aeron error code and
formats the archive's answer into the message::

    response for correlationId=<id>, errorCode=<archive code>, error: <archive message>

The same text reaches the context's error handler for errors of requests nobody is
waiting on. ``archive_error()`` recognises it and raises ``ArchiveError`` with
``archive_code`` (an ``ArchiveErrorCode`` when the code is known) and
``archive_message``; any other failure keeps its client-layer exception class.
"""

from __future__ import annotations

import enum
import re

from aeron_cffi._native import lib
from aeron_cffi.errors import AeronError, last_error

__all__ = ["ArchiveErrorCode", "ArchiveError", "archive_error", "archive_check"]

# Values come from the compiled header's #defines, never from literals; a test holds
# the members to the header.
class ArchiveErrorCode(enum.IntEnum):
    """Error codes the archive sends in control responses (``ARCHIVE_ERROR_CODE_*``)."""

    GENERIC = lib.ARCHIVE_ERROR_CODE_GENERIC
    ACTIVE_LISTING = lib.ARCHIVE_ERROR_CODE_ACTIVE_LISTING
    ACTIVE_RECORDING = lib.ARCHIVE_ERROR_CODE_ACTIVE_RECORDING
    ACTIVE_SUBSCRIPTION = lib.ARCHIVE_ERROR_CODE_ACTIVE_SUBSCRIPTION
    UNKNOWN_SUBSCRIPTION = lib.ARCHIVE_ERROR_CODE_UNKNOWN_SUBSCRIPTION
    UNKNOWN_RECORDING = lib.ARCHIVE_ERROR_CODE_UNKNOWN_RECORDING
    UNKNOWN_REPLAY = lib.ARCHIVE_ERROR_CODE_UNKNOWN_REPLAY
    MAX_REPLAYS = lib.ARCHIVE_ERROR_CODE_MAX_REPLAYS
    MAX_RECORDINGS = lib.ARCHIVE_ERROR_CODE_MAX_RECORDINGS
    INVALID_EXTENSION = lib.ARCHIVE_ERROR_CODE_INVALID_EXTENSION
    AUTHENTICATION_REJECTED = lib.ARCHIVE_ERROR_CODE_AUTHENTICATION_REJECTED
    STORAGE_SPACE = lib.ARCHIVE_ERROR_CODE_STORAGE_SPACE
    UNKNOWN_REPLICATION = lib.ARCHIVE_ERROR_CODE_UNKNOWN_REPLICATION
    UNAUTHORISED_ACTION = lib.ARCHIVE_ERROR_CODE_UNAUTHORISED_ACTION

_RESPONSE = re.compile(r"response for correlationId=(-?\d+), errorCode=(-?\d+), error: ([^\n]*)")


class ArchiveError(AeronError):
    """The archive rejected a request.

    ``archive_code`` is the archive's code (``ArchiveErrorCode`` member, or the raw
    int for a code newer than this binding), ``archive_message`` its explanation and
    ``correlation_id`` the request's id; ``errcode``/``errmsg`` are what the C client
    reported, as for every ``AeronError``.
    """

    def __init__(
        self,
        errmsg: str,
        errcode: int = 0,
        *,
        archive_code: int = ArchiveErrorCode.GENERIC,
        archive_message: str = "",
        correlation_id: int = lib.AERON_NULL_VALUE,
    ) -> None:
        super().__init__(errmsg, errcode)
        self.archive_code = _as_code(archive_code)
        self.archive_message = archive_message
        self.correlation_id = correlation_id

    @classmethod
    def from_message(cls, errmsg: str, errcode: int = 0) -> "ArchiveError | None":
        """The ``ArchiveError`` described by a C client error message, or None if the
        message is not an archive control response."""
        match = _RESPONSE.search(errmsg)
        if match is None:
            return None
        return cls(
            errmsg,
            errcode,
            archive_code=int(match.group(2)),
            archive_message=match.group(3).strip(),
            correlation_id=int(match.group(1)),
        )


def _as_code(code: int) -> int:
    try:
        return ArchiveErrorCode(code)
    except ValueError:
        return code


def archive_error(context: str) -> AeronError:
    """The error the last failed archive call left on this thread (not raised)."""
    error = last_error(context)
    return ArchiveError.from_message(error.errmsg, error.errcode) or error


def archive_check(result: int, context: str) -> int:
    """``result`` of an int-returning archive call, or raise its error."""
    if result < 0:
        raise archive_error(context)
    return result
