"""The recovery log suite's fixtures live in ``recoverylog_support`` with the helpers the
test modules import (``from conftest import`` is ambiguous across test directories)."""

from recoverylog_support import log_archive, log_archive_process  # noqa: F401
