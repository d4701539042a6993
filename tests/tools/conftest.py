"""The tools suite's fixtures. They live in ``tools_support`` with the helpers the
test modules import, because ``from conftest import`` picks whichever conftest was
loaded last when several directories are collected together."""

from tools_support import driver, replica_archive, signals, source, source_archive  # noqa: F401
