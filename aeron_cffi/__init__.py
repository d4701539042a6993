"""aeron-cffi: Python binding to the Aeron C client, C media driver and C archive client."""

from aeron_cffi._native import aeron_version

__all__ = ["aeron_version"]
