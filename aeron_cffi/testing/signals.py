"""``RecordingSignals``: collect an archive client's recording signals and wait for one."""

from __future__ import annotations

import time
from typing import Callable

from aeron_cffi.archive import AeronArchive, RecordingSignal, RecordingSignalCode

__all__ = ["RecordingSignals"]


class RecordingSignals:
    """Pass as ``recording_signal_consumer=`` of an archive context; ``wait`` polls that
    archive's control session until a signal it collected matches.

    The archive sends signals only to the control session that asked for the operation,
    so wait on the same ``AeronArchive`` that received them."""

    def __init__(self) -> None:
        self.received: list[RecordingSignal] = []

    def __call__(self, signal: RecordingSignal) -> None:
        self.received.append(signal)

    def wait(self, archive: AeronArchive, predicate: Callable[[RecordingSignal], bool],
             timeout: float = 20.0) -> RecordingSignal:
        """The first collected signal matching ``predicate`` (TimeoutError after ``timeout`` s)."""
        deadline = time.monotonic() + timeout
        while True:
            archive.poll_for_recording_signals()
            found = next((s for s in self.received if predicate(s)), None)
            if found is not None:
                return found
            if time.monotonic() > deadline:
                raise TimeoutError(f"no matching recording signal in {timeout}s; received {self.received}")
            time.sleep(0.001)

    def wait_for(self, archive: AeronArchive, recording_id: int, code: RecordingSignalCode) -> RecordingSignal:
        """The ``code`` signal of ``recording_id``."""
        return self.wait(archive, lambda s: s.recording_id == recording_id and s.signal == code)
