"""``ReplayMerge``: replay a recording, then switch to its live stream without a gap
(``aeron_archive_replay_merge_*``).

The subscription must use manual control (``aeron:udp?control-mode=manual``); the
merge adds the replay destination, catches up, adds the live destination and, once
the replay has caught up with live, removes the replay.
"""

from __future__ import annotations

from typing import Any

from aeron_cffi._lifetime import CGetter, Resource, in_flight
from aeron_cffi._native import ffi, lib
from aeron_cffi.archive.archive import AeronArchive, _channel, _pointer
from aeron_cffi.archive.errors import archive_check
from aeron_cffi.errors import check
from aeron_cffi.fragment_assembler import Poller
from aeron_cffi.image import Image

__all__ = ["ReplayMerge", "MERGE_PROGRESS_TIMEOUT_DEFAULT_MS"]

# aeron_archive.h defines REPLAY_MERGE_PROGRESS_TIMEOUT_DEFAULT_MS as (5 * 1000), an
# expression the generated cdef does not carry as a constant.
MERGE_PROGRESS_TIMEOUT_DEFAULT_MS = 5 * 1000


class ReplayMerge(Poller, Resource):
    """Replay ``recording_id`` from ``start_position`` into ``subscription`` and merge
    with live (``aeron_archive_replay_merge_init``).

    The merge is a child of the archive client and of the subscription: closing
    either closes the merge first (``aeron_archive_replay_merge_close``, which
    removes the replay destination if not merged). Poll from one thread.
    """

    def __init__(
        self,
        subscription: Any,
        archive: AeronArchive,
        replay_channel: str,
        replay_destination: str,
        live_destination: str,
        recording_id: int,
        start_position: int,
        merge_progress_timeout_ms: int = MERGE_PROGRESS_TIMEOUT_DEFAULT_MS,
    ) -> None:
        merge_p = ffi.new("aeron_archive_replay_merge_t **")
        archive_check(
            lib.aeron_archive_replay_merge_init(
                merge_p,
                _pointer(subscription),
                archive.archive_t,
                _channel(replay_channel),
                _channel(replay_destination),
                _channel(live_destination),
                recording_id,
                start_position,
                lib.aeron_epoch_clock(),
                merge_progress_timeout_ms,
            ),
            "aeron_archive_replay_merge_init",
        )
        super().__init__(archive)
        self._ptr = merge_p[0]
        self.subscription = subscription
        subscription._children.add(self)
        self._init_poller()

    def _merge(self):
        self._check_open()
        return self._ptr

    def do_work(self) -> int:
        """Advance the merge without polling messages; returns the work count
        (``aeron_archive_replay_merge_do_work``)."""
        work = ffi.new("int *")
        archive_check(self._in_flight(lib.aeron_archive_replay_merge_do_work, work, self._ptr),
                      "aeron_archive_replay_merge_do_work")
        return work[0]

    def poll(self, handler: Any, fragment_limit: int = 10) -> int:
        """Advance the merge and deliver up to ``fragment_limit`` fragments of the
        image to ``handler(data, header)`` (``aeron_archive_replay_merge_poll``)."""
        merge = self._merge()
        return self._dispatch(
            handler, False,
            lambda c_handler, clientd: lib.aeron_archive_replay_merge_poll(merge, c_handler, clientd, fragment_limit),
            "aeron_archive_replay_merge_poll",
        )

    @property
    @in_flight
    def image(self) -> Image | None:
        """The image being merged once the replay joined, retained from the
        subscription (``aeron_archive_replay_merge_image``); close it when done."""
        pointer = lib.aeron_archive_replay_merge_image(self._ptr)
        if pointer == ffi.NULL:
            return None
        constants = ffi.new("aeron_image_constants_t *")
        check(lib.aeron_image_constants(pointer, constants), "aeron_image_constants")
        return self.subscription.image_by_session_id(constants.session_id)

    is_merged = CGetter(lib.aeron_archive_replay_merge_is_merged, bool,
                        "Replay removed, the image now follows live (``aeron_archive_replay_merge_is_merged``).")
    has_failed = CGetter(lib.aeron_archive_replay_merge_has_failed, bool,
                         "The merge gave up (``aeron_archive_replay_merge_has_failed``).")
    is_live_added = CGetter(lib.aeron_archive_replay_merge_is_live_added, bool,
                            "The live destination was added (``aeron_archive_replay_merge_is_live_added``).")

    def _close_native(self) -> None:
        self.subscription._children.discard(self)
        if not self.subscription.is_closed:
            archive_check(lib.aeron_archive_replay_merge_close(self._ptr), "aeron_archive_replay_merge_close")
