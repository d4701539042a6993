"""The archive suite's fixtures. They live in ``archive_support`` with the helpers the
test modules import, because ``from conftest import`` picks whichever conftest was
loaded last when several directories are collected together."""

from archive_support import archive, archive_process, driver_dir, signals, stream_id  # noqa: F401
