"""Packet loss on UDP, made by the C media driver's own loss generator.

The receiving ``aeronmd`` loads the ``loss`` incoming interceptor (compiled into the
driver; ``aeron.udp.channel.incoming.interceptors``), which drops a random share of
the DATA frames it receives. The receiver NAKs the gaps, the sender retransmits, and
the subscriber still gets every message whole, in order, exactly once; the drivers'
counters and loss report show the loss was real.
"""

from __future__ import annotations

from aeron_cffi import FragmentAssembler
from aeron_cffi.cnc import CncFile

from aeron_cffi.testing import wait_until
from faults_support import message, system_counters

STREAM = 6001
MESSAGES = 20_000
LOSS_RATE = 0.1
#: DATA frames are type 1 in Aeron's protocol: the interceptor's mask has bit 1 set.
DATA_FRAMES_MASK = 1 << 1
#: Sizes from 1 byte to 4 KiB: two thirds are above the 1408-byte MTU, so fragmented.
MAX_SIZE = 4096


def size(index: int) -> int:
    return 1 + (index * 7919) % MAX_SIZE


def test_messages_arrive_whole_and_in_order_through_random_loss(aeron_testbed, aeron_free_port):
    sender = aeron_testbed.driver("process", term_buffer_length=1 << 20)
    receiver = aeron_testbed.driver("process", term_buffer_length=1 << 20, udp_channel_incoming_interceptors="loss",
                                    properties={"aeron.udp.channel.transport.bindings.loss.args":
                                                f"rate={LOSS_RATE}|seed=20240607|recv-msg-mask={DATA_FRAMES_MASK:x}"})
    channel = f"aeron:udp?endpoint=localhost:{aeron_free_port()}"
    subscription = aeron_testbed.client(receiver).add_subscription(channel, STREAM)
    publication = aeron_testbed.client(sender).add_publication(channel, STREAM)
    assert publication.max_payload_length < MAX_SIZE

    received = [0]
    wrong: list[int] = []

    def on_message(data, header) -> None:
        index = received[0]
        if data != message(index, size(index)):
            wrong.append(index)
        received[0] += 1

    assembler = FragmentAssembler(on_message)
    sent = [0]

    def exchange() -> None:
        while sent[0] < MESSAGES and publication.offer(message(sent[0], size(sent[0]))) > 0:
            sent[0] += 1
        subscription.poll(assembler, 100)

    wait_until(lambda: received[0] >= MESSAGES, f"{MESSAGES} messages", exchange, timeout=120)
    assert received[0] == MESSAGES and wrong == []
    assert subscription.poll(assembler, 100) == 0  # and no duplicate after them

    with CncFile(receiver.dir) as cnc:
        at_receiver = system_counters(cnc.counters_reader(), "NAK_MESSAGES_SENT", "LOSS_GAP_FILLS")
        lost = [entry for entry in cnc.loss_reporter_read() if entry.stream_id == STREAM]
    with CncFile(sender.dir) as cnc:
        at_sender = system_counters(cnc.counters_reader(), "NAK_MESSAGES_RECEIVED", "RETRANSMITS_SENT",
                                    "RETRANSMITTED_BYTES")
    assert at_receiver["NAK_MESSAGES_SENT"] > 0 and at_sender["NAK_MESSAGES_RECEIVED"] > 0
    assert at_sender["RETRANSMITS_SENT"] > 0 and at_sender["RETRANSMITTED_BYTES"] > 0
    assert at_receiver["LOSS_GAP_FILLS"] == 0  # a reliable stream never gives up on a gap
    assert len(lost) == 1 and lost[0].session_id == publication.session_id and lost[0].total_bytes_lost > 0
    print(f"{MESSAGES} messages checked; {at_receiver} {at_sender}; loss report: {lost[0].observation_count} "
          f"gaps, {lost[0].total_bytes_lost} bytes lost")
