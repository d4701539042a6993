"""The container backend (issue #16): images built from local files, parts run in containers,
and nothing left behind however a test run ends. Needs a Docker daemon (``ci/bootstrap``
starts one); without it these tests fail with the fixture's one-line reason."""

from __future__ import annotations

import os
import pathlib
import shutil
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from aeron_cffi import Aeron, aeron_version
from aeron_cffi.testing import AeronTestbed, ImageBuildError, wait_until
from aeron_cffi.testing import images
from aeron_cffi.testing.containers import OWNER_LABEL, docker_client

pytestmark = pytest.mark.long


def containers_of(pid: int) -> list:
    # sparse: no inspect per container, which fails for one the reaper removes meanwhile
    return docker_client().containers.list(all=True, sparse=True, filters={"label": f"{OWNER_LABEL}={pid}"})


def test_images_are_built_from_nothing_tagged_with_the_versions_and_reused():
    client = docker_client()
    started = time.monotonic()
    driver, java = images.driver_image(client), images.java_image(client)
    first_s = time.monotonic() - started
    version = aeron_version()
    assert driver.startswith("aeron-cffi-driver:" + version) and java.startswith("aeron-cffi-java:" + version)
    # the history holds our recipe's steps only (and the inputs label): no base image's
    for tag, steps in ((driver, ("COPY", "ENTRYPOINT", "LABEL")), (java, ("COPY", "WORKDIR", "ENTRYPOINT", "LABEL"))):
        history = [step["CreatedBy"] for step in client.images.get(tag).history()]
        assert len(history) == len(steps) and all(any(s in h for h in history) for s in steps), history
    assert client.images.get(driver).attrs["Size"] < 10 * 1024 * 1024
    ids = client.images.get(driver).id, client.images.get(java).id
    started = time.monotonic()
    assert (images.driver_image(client), images.java_image(client)) == (driver, java)
    again_s = time.monotonic() - started
    assert (client.images.get(driver).id, client.images.get(java).id) == ids, "rebuilt with unchanged inputs"
    print(f"images: driver {client.images.get(driver).attrs['Size'] / 1e6:.1f} MB, java "
          f"{client.images.get(java).attrs['Size'] / 1e6:.1f} MB; first call {first_s:.1f} s, again {again_s:.2f} s")


def test_a_broken_recipe_fails_with_one_line():
    with pytest.raises(ImageBuildError, match=r"^building the broken image failed: "):
        images._build(docker_client(), images._Recipe("broken", {}, "FROM scratch\nRUN false\n"))


def test_parts_run_in_containers_and_close_removes_them(tmp_path):
    with AeronTestbed("process", backend="docker", tmp_root=tmp_path) as bed:
        driver = bed.driver()
        archive = bed.java_archive(driver)
        running = containers_of(os.getpid())
        for container in running:
            container.reload()  # the whole inspection
        assert len(running) == 2 and {c.image.tags[0].split(":")[0] for c in running} == {
            "aeron-cffi-driver", "aeron-cffi-java"}
        assert all(c.attrs["HostConfig"]["NetworkMode"] == "none" and c.attrs["HostConfig"]["IpcMode"] == "host"
                   for c in running)
        assert driver.pid not in _children(), "the driver is a container, not our child"
        with Aeron(dir=str(driver.dir)) as client:
            subscription = client.add_subscription("aeron:udp?endpoint=localhost:20777", 7)
            publication = client.add_publication("aeron:udp?endpoint=localhost:20777", 7)
            wait_until(lambda: publication.is_connected, "connected through the container's loopback")
            wait_until(lambda: publication.offer(b"through a container") > 0, "offer")
            got: list[bytes] = []
            wait_until(lambda: got, "message", lambda: subscription.poll(lambda data, header: got.append(data)))
            assert got == [b"through a container"]
        archive_client = bed.archive_client(archive)
        assert archive_client.archive_id == archive.archive_id
        shm_dir = bed.shm_dir
    assert containers_of(os.getpid()) == [] and not shm_dir.exists() and list(tmp_path.iterdir()) == []


def _children() -> set[int]:
    """The pids of this process's children (from /proc)."""
    me = str(os.getpid())
    found = set()
    for entry in pathlib.Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and (entry / "stat").read_text().split(") ")[1].split()[1] == me:
                found.add(int(entry.name))
        except (OSError, IndexError):
            continue
    return found


# -- a test run that ends badly leaves nothing behind -------------------------------------------

CHILD_TESTS = '''
import os, time
def test_uses_parts(aeron_driver, aeron_java_archive, aeron_archive):
    print("ready", flush=True)
    if os.environ["HOW"] == "fail":
        assert False, "a failing test"
    time.sleep(600)  # until interrupted or killed
'''


def _child_run(tmp_path: pathlib.Path, how: str, **env: str) -> subprocess.Popen[str]:
    (tmp_path / "test_child.py").write_text(textwrap.dedent(CHILD_TESTS))
    shm_root = tmp_path / "shm"
    shm_root.mkdir(exist_ok=True)
    return subprocess.Popen(
        [sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider", "--aeron-backend", "docker",
         f"--aeron-shm-root={shm_root}", f"--aeron-tmp-root={tmp_path}", str(tmp_path / "test_child.py")],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "HOW": how, **env}, start_new_session=True)


def _await_ready(child: subprocess.Popen[str]) -> None:
    assert child.stdout is not None
    for line in child.stdout:
        if "ready" in line:
            return
    raise AssertionError(f"the child test run ended before its parts were ready (exit {child.wait()})")


def _left_behind(tmp_path: pathlib.Path) -> list[str]:
    return sorted(p.name for p in (tmp_path / "shm").iterdir())


@pytest.mark.parametrize("how", ["fail", "ctrl-c", "kill-9"])
def test_nothing_is_left_after_a_failing_test_a_ctrl_c_or_a_killed_run(tmp_path, how):
    child = _child_run(tmp_path, how)
    try:
        if how == "fail":
            output, _ = child.communicate(timeout=180)
            assert child.returncode == 1 and "a failing test" in output, output
        else:
            _await_ready(child)
            assert len(containers_of(child.pid)) == 2
            os.killpg(child.pid, signal.SIGINT if how == "ctrl-c" else signal.SIGKILL)
            child.wait(timeout=120)
    finally:
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGKILL)
    # after a SIGKILL no teardown ran: the reaper removes the containers and directories
    wait_until(lambda: containers_of(child.pid) == [] and _left_behind(tmp_path) == [],
               f"nothing left after '{how}'", timeout=60)


def test_no_daemon_fails_the_fixture_in_one_line(tmp_path):
    child = _child_run(tmp_path, "fail", DOCKER_HOST="unix:///nonexistent/docker.sock")
    output, _ = child.communicate(timeout=120)
    assert child.returncode == 1
    assert "\nDockerUnavailableError: no Docker daemon answers at unix:///nonexistent/docker.sock" in output, output
    assert "Traceback" not in output and "During handling" not in output, output


def test_no_jlink_fails_the_fixture_in_one_line(tmp_path):
    tools = tmp_path / "bin"  # what the images need of PATH but a JDK
    tools.mkdir()
    (tools / "ldd").symlink_to(shutil.which("ldd"))
    child = _child_run(tmp_path, "fail", PATH=str(tools), AERON_CFFI_IMAGE_CACHE=str(tmp_path / "empty-cache"))
    output, _ = child.communicate(timeout=180)
    assert child.returncode == 1
    assert "\nImageBuildError: jlink not found: the Java image needs a JDK (jlink) on PATH" in output, output
    assert "Traceback" not in output and "During handling" not in output, output


def test_the_docs_example_runs(tmp_path):
    """docs/tools/containers.md's example, as a user would run it."""
    doc = pathlib.Path(__file__).parents[2] / "docs" / "tools" / "containers.md"
    code = doc.read_text().split("```python\n", 1)[1].split("```", 1)[0]
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=180, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "client " in result.stdout and "archive id " in result.stdout
