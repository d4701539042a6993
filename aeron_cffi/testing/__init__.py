"""Real Aeron parts for tests and demos: the Java archive, free ports, the aeron-all jar.

These start real processes in temporary directories and always tear them down;
they are what the test suite, ``ci/demo`` and (later) the pytest plugin use.
"""

from aeron_cffi.testing.archive_process import JavaArchive
from aeron_cffi.testing.jar import aeron_all_jar
from aeron_cffi.testing.ports import free_udp_port

__all__ = ["JavaArchive", "aeron_all_jar", "free_udp_port"]
