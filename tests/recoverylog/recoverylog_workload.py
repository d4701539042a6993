"""A deterministic SQL workload: transaction ``i`` inserts, updates and deletes rows of
an indexed table, chosen from ``i`` alone, so that any process can compute what the
database holds after transactions 1..n."""

from __future__ import annotations

import random

SCHEMA = ("CREATE TABLE items(id INTEGER PRIMARY KEY, k INTEGER NOT NULL, v TEXT NOT NULL);"
          "CREATE INDEX items_k ON items(k);")


def transaction(db, i: int) -> None:
    """The statements of transaction ``i`` (run inside BEGIN ... COMMIT)."""
    rng = random.Random(i)
    for _ in range(rng.randint(1, 4)):
        db.execute("INSERT INTO items(k, v) VALUES(?, ?)", (rng.randrange(1000), f"t{i}-" + "x" * rng.randrange(200)))
    db.execute("UPDATE items SET v = v || ? WHERE k = ?", (f"+{i}", rng.randrange(1000)))
    if i % 3 == 0:
        db.execute("DELETE FROM items WHERE k = ?", (rng.randrange(1000),))


def contents(db) -> list[tuple]:
    return db.execute("SELECT id, k, v FROM items ORDER BY id").fetchall()
