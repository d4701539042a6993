"""Sequences: the seed's examples and its stated properties (no Aeron needed)."""

from __future__ import annotations

import datetime
import threading

import pytest

from aeron_cffi.errors import InvalidArgumentError
from aeron_cffi.queue import (
    ENCODED_SEQUENCE_LENGTH,
    compile_sequences,
    decode_sequence,
    decode_sequences,
    encode_sequence,
    encode_sequences,
    generate_sequence,
    join_sequence,
    split_sequence,
)

UTC = datetime.timezone.utc


def test_join_puts_seconds_high_and_ordinal_low_and_split_inverts_it():
    ts = datetime.datetime(2024, 5, 17, 12, 30, 1, tzinfo=UTC)
    s = join_sequence(ts, 7)
    assert s == int(ts.timestamp()) << 32 | 7
    assert split_sequence(s) == (ts, 7)
    assert join_sequence(int(ts.timestamp()), 7) == s


@pytest.mark.parametrize("bad", [(-1, 0), (0, -1), (0, 1 << 32), (1 << 32, 0), ("now", 1)])
def test_join_rejects_values_outside_32_bits(bad):
    with pytest.raises(InvalidArgumentError):
        join_sequence(*bad)


def test_generate_returns_the_first_of_n_consecutive_monotonic_sequences_across_threads():
    taken: list[tuple[int, int]] = []
    lock = threading.Lock()

    def take() -> None:
        for n in (1, 5, 2) * 50:
            first = generate_sequence(n)
            with lock:
                taken.append((first, n))

    threads = [threading.Thread(target=take) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ranges = sorted(taken)
    for (first, n), (following, _) in zip(ranges, ranges[1:]):
        assert following >= first + n  # no two calls share a sequence
    seconds, ordinal = split_sequence(ranges[0][0])
    assert ordinal >= 1
    assert abs(seconds.timestamp() - datetime.datetime.now(UTC).timestamp()) < 60


def test_encode_pads_to_twenty_digits_so_text_order_is_numeric_order():
    assert ENCODED_SEQUENCE_LENGTH == 20
    assert encode_sequence(42) == b"00000000000000000042"
    assert encode_sequence(42, compact=True) == b"42"
    assert encode_sequence((1 << 64) - 1) == b"18446744073709551615"
    values = [3, 10, 200, 1 << 40]
    assert sorted(encode_sequence(v) for v in values) == [encode_sequence(v) for v in values]
    for v in values:
        assert decode_sequence(encode_sequence(v)) == v
        assert decode_sequence(encode_sequence(v, compact=True)) == v


@pytest.mark.parametrize("bad", [b"", b"12a", b"-1", b"184467440737095516160", b"18446744073709551616"])
def test_decode_rejects_what_encode_never_makes(bad):
    with pytest.raises(InvalidArgumentError):
        decode_sequence(bad)


def test_sequences_lists_round_trip_compactly():
    assert encode_sequences([1, 20, 300]) == b"1,20,300"
    assert decode_sequences(b"1,20,300") == [1, 20, 300]
    assert encode_sequences([]) == b""
    assert decode_sequences(b"") == []
    with pytest.raises(InvalidArgumentError):
        decode_sequences(b"1,,2")


@pytest.mark.parametrize(("table", "compiled"), [
    ({1: True, 2: True, 3: False, 4: True}, [2, 4]),  # the seed's examples
    ({1: False, 2: True}, [0, 2]),
    ({}, []),
    ({5: False}, [4]),
    ({5: True, 6: True}, [6]),
    ({3: True, 1: True, 2: False, 4: False, 5: True}, [1, 3, 5]),  # order of the dict does not matter
])
def test_compile_keeps_the_end_of_the_leading_marked_run_and_later_marks(table, compiled):
    assert compile_sequences(table) == compiled
