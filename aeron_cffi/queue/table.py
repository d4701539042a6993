"""``Table``: the seed's table of consumer positions, kept in the archive.

Each consumer name has a marks log of its own (alias ``queue/<prefix>/table/<name>``):
a recording of ``MARKS`` records, the last one wins. The consumer that saves under a
name is that log's one writer; a save returns once the archive recorded it. Old
records are purged by whole segments, so reading a name replays little.
"""

from __future__ import annotations

import dataclasses
import threading

from aeron_cffi.archive import AeronArchive
from aeron_cffi.queue import records
from aeron_cffi.queue.errors import InvalidEntry, QueueClosed, WriterConflict
from aeron_cffi.queue.ledger import DEFAULT_STREAM_ID
from aeron_cffi.queue.recording_log import RecordingWriter, alias_of, find_recording, read
from aeron_cffi.queue.records import Marks

__all__ = ["Marks", "Table", "TableConfig"]


@dataclasses.dataclass
class TableConfig:
    """The seed's ``TableConfig`` (``prefix``, ``cache``) plus the Aeron settings of
    ``LedgerConfig`` (``term_length``, ``stream_id``, ``timeout``, ``writer_timeout``)."""

    prefix: str = ""
    #: Keep every position read in memory; a cached position can only be older than the
    #: saved one, which makes a cleaner keep more, never less.
    cache: bool = False
    term_length: int = 64 * 1024
    stream_id: int = DEFAULT_STREAM_ID
    timeout: float = 10.0
    writer_timeout: float = 3.0


def _check_name(name: object) -> str:
    if not isinstance(name, str) or not name or "|" in name or "?" in name:
        raise InvalidEntry(f"consumer name must be a non-empty str without '|' or '?', not {name!r}")
    return name


class Table:
    """Consumer positions by name: ``set`` (durable on return), ``get``, ``names``, ``all``."""

    def __init__(self, archive: AeronArchive, config: TableConfig) -> None:
        self.archive = archive
        self.config = config
        self._base = f"queue/{config.prefix}/table/"
        self._writers: dict[str, RecordingWriter] = {}
        self._consumers: set[str] = set()  # names a consumer of this table uses
        self._saved: dict[str, Marks] = {}
        self._lock = threading.Lock()
        self._closed = False

    def _check_open(self) -> None:
        if self._closed:
            raise QueueClosed(f"table {self._base} is closed")

    def set(self, name: str, sequences: list[int], ordinal: int = -1) -> None:
        """Save ``name``'s compiled marks (and the ordinal of the first); this table becomes
        the name's one writer (``WriterConflict`` if a live consumer elsewhere holds it)."""
        writer = self.claim(name)
        with self._lock:
            start = writer.position
            end = writer.append(records.encode_marks(ordinal, list(sequences)))
            writer.wait_recorded(end)
            self._saved[name] = Marks(ordinal, list(sequences))
            if end - writer.descriptor.start_position > 2 * writer.descriptor.segment_file_length:
                writer.purge_before(start)  # older records are superseded

    def claim(self, name: str, consumer: bool = False) -> RecordingWriter:
        """Become ``name``'s one writer (if not already): ``WriterConflict`` if a live
        consumer elsewhere is; a dead one's marks log is taken over. With ``consumer``,
        also refuse a second consumer of ``name`` on this table (``release`` ends it)."""
        self._check_open()
        name = _check_name(name)
        with self._lock:
            if consumer and name in self._consumers:
                raise WriterConflict(f"{self._base + name} already has a live consumer on this table")
            writer = self._writers.get(name)
            if writer is None:
                writer = self._writers[name] = RecordingWriter(
                    self.archive, self._base + name, self.config.stream_id, self.config.term_length,
                    self.config.writer_timeout, self.config.timeout)
                found = self._read(name)  # what the previous writer saved last
                if found is not None:
                    self._saved[name] = found
            if consumer:
                self._consumers.add(name)
            return writer

    def get(self, name: str) -> Marks | None:
        """The last saved marks of ``name``, None if it never saved any."""
        self._check_open()
        name = _check_name(name)
        with self._lock:
            if name in self._writers or (self.config.cache and name in self._saved):
                return self._saved.get(name)
        found = self._read(name)
        if found is not None:
            with self._lock:
                self._saved[name] = found
        return found

    def _read(self, name: str) -> Marks | None:
        descriptor = find_recording(self.archive, self._base + name, self.config.stream_id)
        if descriptor is None:
            return None
        rid = descriptor.recording_id
        messages = read(self.archive, rid, self.config.stream_id, self.archive.get_start_position(rid),
                        self.archive.get_max_recorded_position(rid), self.config.timeout)
        for message in reversed(messages):
            record = records.decode(message.data)
            if isinstance(record, Marks):
                return record
        return None

    def names(self) -> list[str]:
        """Every name that has a marks log."""
        self._check_open()
        found = self.archive.list_recordings_for_uri(f"alias={self._base}", self.config.stream_id)
        aliases = (alias_of(descriptor.original_channel) or "" for descriptor in found)
        return sorted({alias[len(self._base):] for alias in aliases if alias.startswith(self._base)})

    def all(self) -> dict[str, Marks]:
        """The saved marks of every name."""
        return {name: marks for name in self.names() if (marks := self.get(name)) is not None}

    def release(self, name: str) -> None:
        """Stop being ``name``'s writer (its consumer closed)."""
        with self._lock:
            writer = self._writers.pop(name, None)
            self._consumers.discard(name)
        if writer is not None:
            writer.close()

    def close(self) -> None:
        self._closed = True
        with self._lock:
            writers, self._writers = list(self._writers.values()), {}
        for writer in writers:
            writer.close()
