"""The table of consumer marks: durable sets, reads from another table, one writer per
name, and the cache."""

from __future__ import annotations

import pytest

from aeron_cffi.queue import Consumer, ConsumerConfig, InvalidEntry, Table, TableConfig, WriterConflict


def test_marks_set_by_one_table_are_read_by_another(archive, prefix, table):
    assert table.get("a") is None and table.names() == []
    table.set("a", [3, 5], 2)
    table.set("b", [7], 6)
    table.set("a", [5], 4)  # the last one wins
    other = Table(archive, TableConfig(prefix=prefix))
    try:
        assert {name: (m.ordinal, m.sequences) for name, m in other.all().items()} == {"a": (4, [5]), "b": (6, [7])}
        with pytest.raises(WriterConflict):
            other.set("a", [6], 5)  # "a" has a live writer: this table
        with pytest.raises(InvalidEntry):
            other.get("bad|name")
    finally:
        other.close()


def test_a_second_consumer_of_a_name_is_refused(ledger, table, archive, prefix):
    other = Table(archive, TableConfig(prefix=prefix))
    try:
        with Consumer(ledger, table, ConsumerConfig(name="c")):
            with pytest.raises(WriterConflict):
                Consumer(ledger, other, ConsumerConfig(name="c"))
            with pytest.raises(WriterConflict):
                Consumer(ledger, table, ConsumerConfig(name="c"))  # nor on the same table
        with Consumer(ledger, other, ConsumerConfig(name="c")):  # closing the first one freed the name
            pass
    finally:
        other.close()


def test_a_caching_table_answers_from_memory_after_its_first_read(archive, prefix, table):
    table.set("c", [5], 4)
    cached = Table(archive, TableConfig(prefix=prefix, cache=True))
    fresh = Table(archive, TableConfig(prefix=prefix))
    try:
        assert cached.get("c").sequences == [5]
        table.set("c", [9], 8)
        assert fresh.get("c").sequences == [9]
        assert cached.get("c").sequences == [5]  # older, never newer: a cleaner keeps more
        assert cached.names() == fresh.names() == ["c"]
    finally:
        cached.close()
        fresh.close()
