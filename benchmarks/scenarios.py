"""The scenarios, each run in C, Java and Python (and pyaeron, the peer, where it has the
same API), and how each program's output is read.

A runner takes the run ``Settings`` and a scratch directory and returns one
measurement: ``{metric: value}``. Throughput is read from the programs' own reports
(the median of their once-a-second rates, without the first and last, partial,
seconds); latency from their percentile output.
"""

from __future__ import annotations

import dataclasses
import pathlib
import re
import statistics
import sys
import time
from typing import Callable

from aeron_cffi.testing import JavaArchive, free_udp_port

from benchmarks import peers, programs
from benchmarks.programs import Process, c_sample, java, media_driver, python_worker

Measurement = dict[str, float]


@dataclasses.dataclass(frozen=True)
class Settings:
    repetitions: int
    throughput_seconds: float  # each throughput run, after start-up
    ping_messages: int
    ping_warmup: int
    archive_messages: int  # 1 KiB messages recorded, then replayed
    queue_messages: int  # queue entries, and the raw recording beside them
    python: str = sys.executable  # the interpreter of our Python workers

    @classmethod
    def for_mode(cls, quick: bool, repetitions: int | None, python: str = sys.executable) -> Settings:
        if quick:
            return cls(repetitions or 1, 2.0, 5_000, 1_000, 20_000, 20_000, python)
        # 1 GB a recording: each archive run lasts about a second (200 MB ran for a fifth of
        # one, and single runs spread by half)
        return cls(repetitions or 3, 6.0, 50_000, 10_000, 1_000_000, 200_000, python)


@dataclasses.dataclass(frozen=True)
class Implementation:
    label: str
    language: str  # "c", "java", "python" (ours) or a peer's ("pyaeron")
    run: Callable[[Settings, pathlib.Path], Measurement]


@dataclasses.dataclass(frozen=True)
class Scenario:
    name: str
    title: str
    unit: str
    higher_is_better: bool
    metrics: tuple[str, ...]
    implementations: tuple[Implementation, ...]
    baseline: str = "c"  # the language the ratios divide by (no C exists for some, e.g. Cluster)
    peer: str | None = None  # a peer's language: our Python rows get a second ratio, to it


STREAM_ID = 1001
FRAGMENT_LIMIT = 256  # for every language: fragments per poll
ARCHIVE_MESSAGE_LENGTH = 1024
START_UP_SECONDS = 1.5
ARCHIVE_TIMEOUT = 120.0

# -- reading output ----------------------------------------------------------------------

_C_RATE = re.compile(r"^(\d+)ms, ([0-9.e+]+) msgs/sec", re.M)  # rate_subscriber (and our Python twin)
_JAVA_RATE = re.compile(r"^Duration (\d+)ms - ([\d,]+) messages", re.M)  # Embedded*Throughput
_HDR_ROW = re.compile(r"^\s*([0-9.]+)\s+([0-9.]+)\s+\d+\s+([0-9.]+|inf)\s*$", re.M)  # value, percentile, ...
_PY_PERCENTILE = re.compile(r"^percentile ([0-9.]+) ([0-9.]+)$", re.M)
_ARCHIVE = re.compile(r"^(Recorded|Replayed) [0-9.]+ MB @ ([0-9.]+) MB/s", re.M)
PERCENTILES = {"p50": 50.0, "p99": 99.0, "p99.9": 99.9}


def steady_rate(rates: list[float]) -> float:
    """Median of once-a-second rates, leaving out the idle start and end and the partial
    first and last seconds of traffic."""
    while rates and rates[0] == 0:
        rates = rates[1:]
    while rates and rates[-1] == 0:
        rates = rates[:-1]
    steady = rates[1:-1] or rates
    if not steady:
        raise RuntimeError("no rate reports")
    return statistics.median(steady)


def c_rates(output: str) -> list[float]:
    return [float(rate) for _, rate in _C_RATE.findall(output)]


def java_rates(output: str) -> list[float]:
    return [int(count.replace(",", "")) * 1000.0 / int(ms) for ms, count in _JAVA_RATE.findall(output) if int(ms)]


def hdr_percentiles(output: str) -> Measurement:
    """Percentiles from an HdrHistogram percentile distribution (microseconds): the value of
    the first row at or above each percentile (cping and EmbeddedPingPong print these)."""
    rows = [(float(value), float(fraction)) for value, fraction, _ in _HDR_ROW.findall(output)]
    if not rows:
        raise RuntimeError(f"no percentile distribution in:\n{output[-2000:]}")
    return {name: next((v for v, f in rows if f >= p / 100.0), rows[-1][0]) for name, p in PERCENTILES.items()}


def python_percentiles(output: str) -> Measurement:
    found = {float(p): float(v) for p, v in _PY_PERCENTILE.findall(output)}
    return {name: found[p] for name, p in PERCENTILES.items()}


def archive_rates(output: str) -> Measurement:
    names = {"Recorded": "record", "Replayed": "replay"}
    return {names[verb]: float(rate) for verb, rate in _ARCHIVE.findall(output)}


# -- Python workers ----------------------------------------------------------------------

#: ``worker(settings, program, **options)``: the command of one Python worker.
Worker = Callable[..., list[str]]


def ours(api: str = "message") -> Worker:
    """``benchmarks.workers`` with ``--api api``, on ``settings.python``."""
    def worker(settings: Settings, program: str, **options: object) -> list[str]:
        return python_worker(program, python=settings.python, api=api, **options)
    return worker


def pyaeron(settings: Settings, program: str, **options: object) -> list[str]:
    """``benchmarks.pyaeron_workers`` on the peers' interpreter (made on first use)."""
    return python_worker(program, module="benchmarks.pyaeron_workers", python=peers.python(), **options)


# -- IPC throughput ----------------------------------------------------------------------


def _pub_sub(work: pathlib.Path, seconds: float, publisher: list[str], subscriber: list[str],
             rates: Callable[[str], list[float]]) -> Measurement:
    with programs.processes() as started:
        sub = Process(subscriber, work / "subscriber.log")
        started.append(sub)
        pub = Process(publisher, work / "publisher.log")
        started.append(pub)
        time.sleep(START_UP_SECONDS + seconds)
        pub.interrupt()
        output = sub.interrupt()
    return {"rate": steady_rate(rates(output))}


def c_ipc(length: int) -> Callable[[Settings, pathlib.Path], Measurement]:
    def run(settings: Settings, work: pathlib.Path) -> Measurement:
        with media_driver() as directory:
            common = ["-p", directory, "-c", "aeron:ipc", "-s", str(STREAM_ID)]
            return _pub_sub(work, settings.throughput_seconds,
                            [c_sample("streaming_publisher"), *common, "-L", str(length), "-m", str(10**12)],
                            [c_sample("rate_subscriber"), *common, "-f", str(FRAGMENT_LIMIT)], c_rates)
    return run


def python_ipc(length: int, worker: Worker) -> Callable[[Settings, pathlib.Path], Measurement]:
    def run(settings: Settings, work: pathlib.Path) -> Measurement:
        with media_driver() as directory:
            common = {"dir": directory, "channel": "aeron:ipc", "stream_id": STREAM_ID}
            return _pub_sub(work, settings.throughput_seconds, worker(settings, "ipc-pub", length=length, **common),
                            worker(settings, "ipc-sub", **common), c_rates)
    return run


def java_ipc(length: int) -> Callable[[Settings, pathlib.Path], Measurement]:
    def run(settings: Settings, work: pathlib.Path) -> Measurement:
        with programs.aeron_dir() as directory, programs.processes() as started:
            sample = Process(java("io.aeron.samples.EmbeddedExclusiveIpcThroughput", {
                "aeron.dir": directory, "aeron.sample.messageLength": length,
                "aeron.sample.frameCountLimit": FRAGMENT_LIMIT}), work / "java.log")
            started.append(sample)
            time.sleep(START_UP_SECONDS + settings.throughput_seconds)
            return {"rate": steady_rate(java_rates(sample.interrupt()))}
    return run


def ipc_scenario(length: int, label: str) -> Scenario:
    return Scenario(
        f"ipc-throughput-{label}", f"IPC throughput, {label} messages, exclusive publication", "msgs/s", True,
        ("rate",), (
            Implementation("C streaming_publisher + rate_subscriber", "c", c_ipc(length)),
            Implementation("Java EmbeddedExclusiveIpcThroughput", "java", java_ipc(length)),
            Implementation("Python offer + poll(handler)", "python", python_ipc(length, ours("message"))),
            Implementation("Python offer + poll(handler, view=True)", "python", python_ipc(length, ours("view"))),
            Implementation("Python offer + CopyingPoller.poll(handler)", "python", python_ipc(length, ours("copying"))),
            Implementation("Python offer_batch + BatchPoller", "python", python_ipc(length, ours("batch"))),
            Implementation("pyaeron offer + poll(handler)", "pyaeron", python_ipc(length, pyaeron)),
        ), peer="pyaeron")


# -- ping-pong ---------------------------------------------------------------------------


def _channels(transport: str) -> tuple[str, str]:
    if transport == "ipc":
        return "aeron:ipc", "aeron:ipc"
    return (f"aeron:udp?endpoint=localhost:{free_udp_port()}", f"aeron:udp?endpoint=localhost:{free_udp_port()}")


def _ping_timeout(settings: Settings) -> float:
    return 60.0 + (settings.ping_messages + settings.ping_warmup) / 1000.0


def c_ping(transport: str) -> Callable[[Settings, pathlib.Path], Measurement]:
    def run(settings: Settings, work: pathlib.Path) -> Measurement:
        ping_channel, pong_channel = _channels(transport)
        channels = ["-c", ping_channel, "-C", pong_channel]
        with media_driver() as directory, programs.processes() as started:
            pong = Process([c_sample("cpong"), "-p", directory, *channels], work / "pong.log")
            started.append(pong)
            ping = Process([c_sample("cping"), "-p", directory, *channels, "-m", str(settings.ping_messages),
                            "-w", str(settings.ping_warmup), "-L", "32"], work / "ping.log")
            started.append(ping)
            output = ping.wait(_ping_timeout(settings))
            pong.interrupt()
            return hdr_percentiles(output)
    return run


def python_ping(transport: str, worker: Worker) -> Callable[[Settings, pathlib.Path], Measurement]:
    def run(settings: Settings, work: pathlib.Path) -> Measurement:
        ping_channel, pong_channel = _channels(transport)
        with media_driver() as directory, programs.processes() as started:
            channels = {"dir": directory, "ping_channel": ping_channel, "pong_channel": pong_channel}
            pong = Process(worker(settings, "pong", **channels), work / "pong.log")
            started.append(pong)
            ping = Process(worker(settings, "ping", messages=settings.ping_messages, warmup=settings.ping_warmup,
                                  length=32, **channels), work / "ping.log")
            started.append(ping)
            output = ping.wait(_ping_timeout(settings))
            pong.interrupt()
            return python_percentiles(output)
    return run


# EmbeddedPingPong hard-codes a DEDICATED Java driver with spinning sender and receiver:
# with ping and pong also spinning that is four busy threads on 2 cores, and its UDP round
# trips take milliseconds, so over UDP it runs a tenth of the messages to finish in time.
JAVA_UDP_PING_SHARE = 10


def java_ping(transport: str) -> Callable[[Settings, pathlib.Path], Measurement]:
    def run(settings: Settings, work: pathlib.Path) -> Measurement:
        ping_channel, pong_channel = _channels(transport)
        share = 1 if transport == "ipc" else JAVA_UDP_PING_SHARE
        with programs.aeron_dir() as directory, programs.processes() as started:
            sample = Process(java("io.aeron.samples.EmbeddedPingPong", {
                "aeron.dir": directory, "aeron.sample.ping.channel": ping_channel,
                "aeron.sample.pong.channel": pong_channel, "aeron.sample.messages": settings.ping_messages // share,
                "aeron.sample.warmup.messages": settings.ping_warmup // share, "aeron.sample.warmup.iterations": 1,
                "aeron.sample.messageLength": 32, "aeron.sample.frameCountLimit": FRAGMENT_LIMIT,
            }), work / "java.log", stdin="n\n")  # answers its "Execute again?"
            started.append(sample)
            return hdr_percentiles(sample.wait(_ping_timeout(settings)))
    return run


def ping_scenario(transport: str) -> Scenario:
    where = "IPC" if transport == "ipc" else "UDP on localhost"
    return Scenario(
        f"ping-pong-{transport}", f"Ping-pong round trip, 32 B, {where}", "µs", False,
        tuple(PERCENTILES), (
            Implementation("C cping + cpong", "c", c_ping(transport)),
            Implementation("Java EmbeddedPingPong", "java", java_ping(transport)),
            Implementation("Python offer + poll(handler)", "python", python_ping(transport, ours())),
            Implementation("Python offer + poll(handler, view=True)", "python", python_ping(transport, ours("view"))),
            Implementation("pyaeron offer + poll(handler)", "pyaeron", python_ping(transport, pyaeron)),
        ), peer="pyaeron")


# -- archive -----------------------------------------------------------------------------


def _archive_output(command: Callable[[Settings, str, JavaArchive], list[str]]) -> Callable[
        [Settings, pathlib.Path], str]:
    """Run ``command(settings, aeron_dir, archive)`` against the C media driver and a Java
    archive; returns its output."""
    def run(settings: Settings, work: pathlib.Path) -> str:
        with media_driver() as directory, JavaArchive(directory, archive_dir=work / "archive") as archive, \
                programs.processes() as started:
            process = Process(command(settings, directory, archive), work / "archive-client.log")
            started.append(process)
            return process.wait(ARCHIVE_TIMEOUT)
    return run


def _archive_run(command: Callable[[Settings, str, JavaArchive], list[str]]) -> Callable[
        [Settings, pathlib.Path], Measurement]:
    """``_archive_output``, read as ``Recorded``/``Replayed`` rates."""
    output = _archive_output(command)
    return lambda settings, work: archive_rates(output(settings, work))


def c_archive(settings: Settings, directory: str, archive: JavaArchive) -> list[str]:
    return [programs.archive_throughput(), "-p", directory, "-C", archive.control_request_channel,
            "-c", "aeron:ipc", "-s", str(STREAM_ID), "-L", str(ARCHIVE_MESSAGE_LENGTH),
            "-m", str(settings.archive_messages)]


def python_archive(settings: Settings, directory: str, archive: JavaArchive) -> list[str]:
    return python_worker("archive", python=settings.python, dir=directory, control_channel=archive.control_request_channel,
                         channel="aeron:ipc", stream_id=STREAM_ID, length=ARCHIVE_MESSAGE_LENGTH,
                         messages=settings.archive_messages)


# EmbeddedRecordingThroughput (1.51.0) looks up the recording's position counter once, as
# soon as it has published: its driver counts spies as connected, so under load the archive
# may not have started the recording yet, and the sample dies on "counter id -1". That is
# the sample's race, not a measurement: such a run is run again.
JAVA_RECORDING_RACE = "counter id -1 out of range"
JAVA_RECORDING_ATTEMPTS = 3


def _java_archive_sample(settings: Settings, work: pathlib.Path, sample: str, name: str) -> Measurement:
    """One run of an archive sample; ``name`` names its archive directory and log in ``work``."""
    with programs.aeron_dir() as directory, programs.processes() as started:
        process = Process(java(f"io.aeron.samples.archive.{sample}", {
            "aeron.dir": directory, "aeron.threading.mode": "SHARED",
            "aeron.archive.threading.mode": "SHARED", "aeron.archive.dir": work / f"archive-{name}",
            "aeron.archive.control.channel": f"aeron:udp?endpoint=localhost:{free_udp_port()}",
            "aeron.archive.replication.channel": "aeron:udp?endpoint=localhost:0",
            "aeron.archive.control.response.channel": "aeron:udp?endpoint=localhost:0",
            "aeron.sample.channel": "aeron:ipc", "aeron.sample.streamId": STREAM_ID,
            "aeron.sample.messages": settings.archive_messages,
            "aeron.sample.messageLength": ARCHIVE_MESSAGE_LENGTH, "aeron.sample.frameCountLimit": FRAGMENT_LIMIT,
        }), work / f"java-{name}.log", stdin="n\n")  # answers its "Execute again?"
        started.append(process)
        return archive_rates(process.wait(ARCHIVE_TIMEOUT))


def java_archive(settings: Settings, work: pathlib.Path) -> Measurement:
    """EmbeddedRecordingThroughput, then EmbeddedReplayThroughput (each its own archiving
    media driver, SHARED threading like the C and Python runs)."""
    found: Measurement = {}
    for attempt in range(1, JAVA_RECORDING_ATTEMPTS + 1):
        try:
            found.update(_java_archive_sample(settings, work, "EmbeddedRecordingThroughput", f"record-{attempt}"))
            break
        except RuntimeError as exc:
            if JAVA_RECORDING_RACE not in str(exc) or attempt == JAVA_RECORDING_ATTEMPTS:
                raise
    found.update(_java_archive_sample(settings, work, "EmbeddedReplayThroughput", "replay"))
    return found


def archive_scenario() -> Scenario:
    return Scenario(
        "archive-throughput", f"Archive record and replay over IPC, {ARCHIVE_MESSAGE_LENGTH} B messages",
        "MB/s", True, ("record", "replay"), (
            Implementation("C archive_throughput (ours)", "c", _archive_run(c_archive)),
            Implementation("Java EmbeddedRecording/ReplayThroughput", "java", java_archive),
            Implementation("Python offer + poll(handler, view=True)", "python", _archive_run(python_archive)),
        ))


# -- durable queue -----------------------------------------------------------------------

QUEUE_ENTRY_LENGTH = 100
#: Producer with batch 1 and 100, Ledger.offer of ready batches of 100 (no producer), consumer.
QUEUE_METRICS = ("batch 1", "batch 100", "ledger 100", "consumer")
_QUEUE_RATE = re.compile(r"^Queue (batch 1|batch 100|ledger 100|consumer): ([0-9.]+) entries/s$", re.M)
# A message of 100 B takes a 32 B header and is aligned to 32 B in the stream.
_FRAME_LENGTH = (32 + QUEUE_ENTRY_LENGTH + 31) // 32 * 32


def raw_recording(settings: Settings, work: pathlib.Path) -> Measurement:
    """The C archive client recording 100 B messages: messages per second, the figure every
    queue rate is set beside (as its "÷ C")."""
    def command(settings: Settings, directory: str, archive: JavaArchive) -> list[str]:
        return [programs.archive_throughput(), "-p", directory, "-C", archive.control_request_channel,
                "-c", "aeron:ipc", "-s", str(STREAM_ID), "-L", str(QUEUE_ENTRY_LENGTH),
                "-m", str(settings.queue_messages)]

    bytes_per_second = _archive_run(command)(settings, work)["record"] * 1024 * 1024
    return {metric: bytes_per_second / _FRAME_LENGTH for metric in QUEUE_METRICS}


def python_queue(settings: Settings, directory: str, archive: JavaArchive) -> list[str]:
    return python_worker("queue", python=settings.python, dir=directory, control_channel=archive.control_request_channel,
                         length=QUEUE_ENTRY_LENGTH, messages=settings.queue_messages)


def queue_rates(run: Callable[[Settings, pathlib.Path], str]) -> Callable[[Settings, pathlib.Path], Measurement]:
    def measure(settings: Settings, work: pathlib.Path) -> Measurement:
        return {what: float(rate) for what, rate in _QUEUE_RATE.findall(run(settings, work))}
    return measure


def queue_scenario() -> Scenario:
    return Scenario(
        "queue-throughput", f"Durable queue, {QUEUE_ENTRY_LENGTH} B entries: acknowledged and delivered, "
        "beside the raw recording of as many messages", "entries/s", True, QUEUE_METRICS, (
            Implementation("C archive_throughput, raw recording", "c", raw_recording),
            Implementation("Python aeron_cffi.queue", "python", queue_rates(_archive_output(python_queue))),
        ))


SCENARIOS: tuple[Scenario, ...] = (
    ipc_scenario(32, "32B"),
    ipc_scenario(1024, "1KiB"),
    ping_scenario("ipc"),
    ping_scenario("udp"),
    archive_scenario(),
    queue_scenario(),
)
