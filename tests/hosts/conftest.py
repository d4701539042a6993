"""The two-host suite's fixtures, defined in ``hosts_support`` beside its helpers (see
tests/archive/conftest.py for why fixtures live in the support module)."""

from hosts_support import host_a, host_b, veth_hosts

__all__ = ["host_a", "host_b", "veth_hosts"]
