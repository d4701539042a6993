"""``python -m aeron_cffi.testing.reaper PID``: once process PID has ended, remove the containers
it started (label ``aeron-cffi.owner=PID``) and delete the host folders they used.

``aeron_cffi.testing.containers`` starts one with its first container, in a session of its own,
so that a test run killed with SIGKILL (which runs no teardown) leaves no container running
and no Aeron directory in ``/dev/shm``. After a normal teardown it finds nothing to do.
"""

from __future__ import annotations

import os
import shutil
import sys
import time

from aeron_cffi.testing.containers import CLEANUP_LABEL, OWNER_LABEL, docker_client

POLL_S = 0.5


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def reap(pid: int) -> int:
    """Remove PID's containers and their folders; returns how many containers were removed."""
    import docker.errors  # type: ignore[import-untyped]  # docker ships no type hints (no types-docker here)

    client = docker_client()
    containers = client.containers.list(all=True, sparse=True, filters={"label": f"{OWNER_LABEL}={pid}"})
    for container in containers:
        folders = (container.attrs.get("Labels") or {}).get(CLEANUP_LABEL, "")  # (a sparse object: no .labels)
        try:
            container.remove(force=True)
        except docker.errors.NotFound:  # removed meanwhile (e.g. by its part's own teardown)
            pass
        for folder in filter(None, folders.split(os.pathsep)):
            shutil.rmtree(folder, ignore_errors=True)
    return len(containers)


def main() -> int:
    pid = int(sys.argv[1])
    while _alive(pid):
        time.sleep(POLL_S)
    reap(pid)
    return 0


if __name__ == "__main__":
    sys.exit(main())
