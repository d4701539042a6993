"""A durable work queue on an Aeron archive: a producer adds jobs, a worker processes
them, stops half-way (as a crash would), and a new worker resumes where the first one's
last acknowledged mark left off. A cleaner deletes the jobs every worker has done.

    python examples/queue_worker.py [--jobs N] [--aeron-dir DIR --control-channel CHANNEL]

Without ``--aeron-dir`` it starts its own media driver and Java archive (removed at
the end); with it, it uses the archive listening on ``--control-channel`` there.
"""

from __future__ import annotations

import argparse
import contextlib
import queue as stdlib_queue
import threading

from aeron_cffi.archive import AeronArchive
from aeron_cffi.queue import ConsumerConfig, Entry, ProducerConfig, Queue, QueueConfig
from aeron_cffi.testing import AeronTestbed


def produce(queue: Queue, jobs: int) -> list[int]:
    """Write ``jobs`` jobs in batches; returns their sequences once all are recorded."""
    done = threading.Semaphore(0)
    failures: list[Exception] = []

    def ack(error: Exception | None) -> None:
        if error is not None:
            failures.append(error)
        done.release()

    first = queue.ledger.next_sequence(jobs)  # generated, and above whatever the queue already holds
    sequences = list(range(first, first + jobs))
    with queue.producer(ProducerConfig(batch=50, timeout=0.01)) as producer:
        for number, sequence in enumerate(sequences):
            producer.write(Entry(sequence, f"job {number}".encode()), ack)
        for _ in sequences:
            done.acquire()
    if failures:
        raise failures[0]
    return sequences


def worker(queue: Queue):
    """A consumer named "resizer": its marks are saved in the archive under that name."""
    return queue.consumer(ConsumerConfig(name="resizer", window=10))


def work(consumer, how_many: int) -> list[str]:
    """Process ``how_many`` jobs, marking each one once done; returns what it did."""
    results = []
    with consumer:
        for _ in range(how_many):
            job = consumer.entries.get(timeout=30)
            results.append(job.payload.decode().upper())
            saved: stdlib_queue.Queue[Exception | None] = stdlib_queue.Queue()
            consumer.mark(job.sequence, cumulative=True, ack=saved.put)
            error = saved.get(timeout=30)  # the mark's ack: None once it is saved in the archive
            if error is not None:
                raise error
    return results


def run(archive: AeronArchive, jobs: int) -> None:
    config = QueueConfig(prefix="example-jobs", clean_retention=0, clean_interval=0.1)
    with Queue(archive, config) as queue:
        first_worker = worker(queue)  # registered first: the cleaner keeps what it has not done
        sequences = produce(queue, jobs)
        print(f"produced {jobs} jobs, sequences {sequences[0]}..{sequences[-1]}")
        half = jobs // 2
        first = work(first_worker, half)
        print(f"worker 1 did {len(first)} jobs ({first[0]} .. {first[-1]}) and stopped")
        second = work(worker(queue), jobs - half)
        print(f"worker 2 resumed with {second[0]} and did {len(second)} jobs, the last {second[-1]}")
        queue.cleaner.clean()  # one more round now rather than at the next interval
    with Queue(archive, QueueConfig(prefix="example-jobs", clean_interval=0)) as queue:
        position = queue.table.get("resizer").sequences[0]
        print(f"the worker's mark in the archive: {position} (the last job: {position == sequences[-1]})")
        print(f"queue: head {queue.ledger.head}, tail {queue.ledger.tail}, length {queue.ledger.length}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=100)
    parser.add_argument("--aeron-dir")
    parser.add_argument("--control-channel")
    args = parser.parse_args()
    with contextlib.ExitStack() as stack:
        if args.aeron_dir:
            archive = stack.enter_context(AeronArchive.connect(
                aeron_directory_name=args.aeron_dir, control_request_channel=args.control_channel,
                control_response_channel="aeron:udp?endpoint=localhost:0"))
        else:
            bed = stack.enter_context(AeronTestbed())
            archive = bed.archive_client(bed.java_archive(bed.driver()))
        run(archive, args.jobs)


if __name__ == "__main__":
    main()
