"""offerv reuses one iovec array per publication: messages stay whole whatever the
number of buffers from call to call, and a nested or concurrent offerv gets its own."""

from __future__ import annotations

import array
import threading

from helpers import connected, receive, wait_until


def offerv(publication, buffers, **kwargs) -> None:
    wait_until(lambda: publication.offerv(buffers, **kwargs) > 0, "offerv")


def test_growing_and_shrinking_vectors_of_any_buffer_kind(aeron):
    subscription, publication = connected(aeron, 3101)
    vectors = [
        [b"a", b"b"],
        [bytes([i]) for i in range(10)],  # more than the first array holds: it grows
        [bytearray(b"xy"), memoryview(b"--z--")[2:3]],
        [array.array("i", [1, 2]), b""],  # an int array counts its bytes
        [],
    ]
    for vector in vectors:
        offerv(publication, vector)
    expected = [b"".join(bytes(memoryview(b).cast("B")) for b in vector) for vector in vectors]
    assert receive(subscription, len(vectors)) == expected


def test_offerv_inside_the_supplier_of_another(aeron):
    subscription, publication = connected(aeron, 3102, exclusive=False)

    inner_results = []

    def supplier(frame_length: int) -> int:
        inner_results.append(publication.offerv([b"in", b"ner"]))  # while the outer offerv's array is in C
        return 7

    offerv(publication, [b"out", b"er"], reserved_value_supplier=supplier)
    received = receive(subscription, 2, lambda got: lambda data, header: got.append((data, header.reserved_value)))
    assert inner_results and inner_results[-1] > 0
    assert sorted(received) == [(b"inner", 0), (b"outer", 7)]


def test_threads_offerv_to_one_concurrent_publication(aeron):
    subscription, publication = connected(aeron, 3103, exclusive=False)
    threads, messages = 3, 2000

    def writer(w: int) -> None:
        for i in range(messages):
            offerv(publication, [bytes([w]), i.to_bytes(4, "little"), bytes([w]) * (i % 7)])

    workers = [threading.Thread(target=writer, args=(w,)) for w in range(threads)]
    for worker in workers:
        worker.start()
    received = receive(subscription, threads * messages)
    for worker in workers:
        worker.join(60)
    seen: dict[int, list[int]] = {w: [] for w in range(threads)}
    for message in received:
        w, i = message[0], int.from_bytes(message[1:5], "little")
        assert message[5:] == bytes([w]) * (i % 7)  # whole, not mixed with another thread's
        seen[w].append(i)
    assert all(order == list(range(messages)) for order in seen.values())
