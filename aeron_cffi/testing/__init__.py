"""Real Aeron parts for tests and demos: the Java archive, cluster nodes, Java processes, free ports, the aeron-all jar.

These start real processes in temporary directories and always tear them down;
they are what the test suite, ``ci/demo`` and the pytest plugin
(``aeron_cffi.testing.plugin``, loaded by pytest from the package's entry point) use.
"""

from aeron_cffi.testing.archive_process import JavaArchive
from aeron_cffi.testing.cluster import ClusterNode, JavaServiceContainer, LocalCluster, cluster_tool
from aeron_cffi.testing.containers import ContainerLauncher, DockerUnavailableError
from aeron_cffi.testing.images import ImageBuildError
from aeron_cffi.testing.jar import aeron_all_jar
from aeron_cffi.testing.java_process import JavaProcess, JavaRuntime, java_command
from aeron_cffi.testing.netns import Host, NamespaceError, VethHosts
from aeron_cffi.testing.ports import PortAllocator, free_udp_port
from aeron_cffi.testing.signals import RecordingSignals
from aeron_cffi.testing.testbed import AeronTestbed, RunningDriver
from aeron_cffi.testing.waiting import recording_counter, wait_until

__all__ = ["AeronTestbed", "ClusterNode", "ContainerLauncher", "DockerUnavailableError", "Host", "ImageBuildError",
           "JavaArchive", "JavaProcess", "JavaRuntime", "JavaServiceContainer", "LocalCluster", "NamespaceError",
           "PortAllocator", "RecordingSignals", "RunningDriver", "VethHosts", "aeron_all_jar", "cluster_tool",
           "free_udp_port", "java_command", "recording_counter", "wait_until"]
