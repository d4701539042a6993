"""The programs a benchmark run starts, and how it starts and stops them.

* Aeron's C samples from the pinned build (``vendor/aeron``), and our C archive
  throughput program, compiled here against the same static libraries;
* Aeron's Java samples from the ``aeron-all`` jar of the same release, and our Java
  programs (``benchmarks/java``), compiled with javac against it;
* the Python workers (``benchmarks.workers``) on aeron-cffi, and pyaeron's
  (``benchmarks.pyaeron_workers``) on the peers' interpreter (``benchmarks.peers``);
* the media driver (the packaged C ``aeronmd``) and the Java archive for the C and
  Python runs.

Nothing is fetched but pyaeron, from the package registry into ``.venv-peers/`` on
first use: the Aeron build and the jar are what ``ci/bootstrap`` prepared.
"""

from __future__ import annotations

import contextlib
import os
import pathlib
import signal
import subprocess
import sys
import tempfile
from typing import Iterator

from aeron_cffi import DriverProcess
from aeron_cffi.testing import aeron_all_jar

ROOT = pathlib.Path(__file__).resolve().parent.parent
BUILD_DIR = ROOT / "benchmarks" / "build"
ARCHIVE_THROUGHPUT_SOURCE = ROOT / "benchmarks" / "archive_throughput.c"
JAVA_SOURCES = ROOT / "benchmarks" / "java"
# Aeron's directories (term buffers) belong in memory, as Aeron's defaults put them.
SHM = "/dev/shm" if os.path.isdir("/dev/shm") else None
JAVA_OPTIONS = ("-XX:+UseSerialGC", "-Xms256m", "-Xmx1g",
                "--add-opens=java.base/jdk.internal.misc=ALL-UNNAMED",
                "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED")


def aeron_build():
    """The pinned Aeron build (cached; builds on first use)."""
    sys.path.insert(0, str(ROOT / "vendor" / "aeron"))
    try:
        import aeron_build as build_module
    finally:
        sys.path.remove(str(ROOT / "vendor" / "aeron"))
    return build_module.build()


def c_sample(name: str) -> str:
    return str(aeron_build().executable(name))


def archive_throughput() -> str:
    """Our C archive throughput program, compiled when its source is newer than the binary."""
    binary = BUILD_DIR / "archive_throughput"
    if binary.exists() and binary.stat().st_mtime >= ARCHIVE_THROUGHPUT_SOURCE.stat().st_mtime:
        return str(binary)
    built = aeron_build()
    BUILD_DIR.mkdir(exist_ok=True)
    libs = [str(p) for p in built.static_libs if "driver" not in p.name]
    command = ["cc", "-O2", "-o", str(binary), str(ARCHIVE_THROUGHPUT_SOURCE),
               *(f"-I{d}" for d in built.include_dirs), *libs, "-luuid", "-ldl", "-lm", "-lpthread"]
    subprocess.run(command, check=True)
    return str(binary)


def java(main_class: str, properties: dict[str, object], classpath: tuple[pathlib.Path, ...] = ()) -> list[str]:
    path = os.pathsep.join(map(str, (aeron_all_jar(fetch=False), *classpath)))
    return ["java", *JAVA_OPTIONS, *(f"-D{k}={v}" for k, v in properties.items()), "-cp", path, main_class]


def java_classes() -> pathlib.Path:
    """Our Java programs (``benchmarks/java/*.java``) compiled with javac against the
    aeron-all jar into ``benchmarks/build/java``, when a source is newer than its class."""
    out = BUILD_DIR / "java"
    sources = sorted(JAVA_SOURCES.glob("*.java"))
    if all((out / f"{s.stem}.class").exists() and (out / f"{s.stem}.class").stat().st_mtime >= s.stat().st_mtime
           for s in sources):
        return out
    out.mkdir(parents=True, exist_ok=True)
    subprocess.run(["javac", "-d", str(out), "-cp", str(aeron_all_jar(fetch=False)), *map(str, sources)], check=True)
    return out


def python_worker(program: str, module: str = "benchmarks.workers", python: str = sys.executable,
                  **options: object) -> list[str]:
    """``python -m module program --option value ...`` (our workers on this interpreter by default)."""
    return [python, "-m", module, program,
            *(part for key, value in options.items() for part in (f"--{key.replace('_', '-')}", str(value)))]


@contextlib.contextmanager
def aeron_dir() -> Iterator[pathlib.Path]:
    with tempfile.TemporaryDirectory(prefix="aeron-bench-", dir=SHM) as base:
        yield pathlib.Path(base) / "aeron"


@contextlib.contextmanager
def media_driver(**settings: object) -> Iterator[str]:
    """The C media driver for the C and Python runs: one agent thread (SHARED) that idles
    by sleeping 1 µs (in practice the timer slack, ~50 µs). On 2 cores the busy-spinning
    clients leave it no core; Aeron's default backoff idle would park it for up to 1 ms
    at a time, which then dominates every UDP round trip. ``settings`` add to these."""
    with aeron_dir() as directory, DriverProcess(directory, threading_mode="SHARED", dir_delete_on_shutdown=True,
                                                 shared_idle_strategy="sleep-ns",
                                                 shared_idle_strategy_init_args="1us", **settings) as driver:
        yield str(driver.dir)


class Process:
    """A child process whose output goes to a file (read it with ``output()``)."""

    def __init__(self, command: list[str], log: pathlib.Path, stdin: str | None = None) -> None:
        self.command = command
        self.log = log
        with open(log, "wb") as out:
            self.popen = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT,
                                          stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL)
        if stdin is not None:
            self.popen.stdin.write(stdin.encode())
            self.popen.stdin.close()

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait(self, timeout: float) -> str:
        """Wait for it to exit by itself; its output. Raises if it failed or timed out."""
        try:
            code = self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.stop()
            raise RuntimeError(f"{self.command[0]} did not finish in {timeout:.0f}s:\n{self.tail()}") from None
        if code != 0:
            raise RuntimeError(f"{' '.join(self.command)} exited with {code}:\n{self.tail()}")
        return self.output()

    def interrupt(self, timeout: float = 15.0) -> str:
        """SIGINT (the samples' way to stop), then SIGKILL if needed; its output."""
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGINT)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.stop()
        return self.output()

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.kill()
            self.popen.wait()

    def tail(self, lines: int = 30) -> str:
        return "\n".join(self.output().splitlines()[-lines:])


@contextlib.contextmanager
def processes() -> Iterator[list[Process]]:
    """A list to put ``Process``es in; whatever is still running at the end is killed."""
    started: list[Process] = []
    try:
        yield started
    finally:
        for process in started:
            process.stop()
