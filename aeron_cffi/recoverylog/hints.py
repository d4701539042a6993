"""``FSMHints``: what a player needs to rebuild one recorder's files from a log.

The hints name the log (here an archive recording id), the fnodes still live with the
segments that hold all their ops, and the property files. They are JSON in Gazette's
shape (``log``, ``live_nodes`` of ``fnode`` and ``segments``, ``properties`` of ``path``
and ``content``; zero fields left out), so a store can keep them beside its own state.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from aeron_cffi.recoverylog.segments import Segment, SegmentError, SegmentSet

__all__ = ["FSMHints", "FnodeSegments", "HintsError"]


class HintsError(ValueError):
    """Hints that cannot describe a log: malformed JSON, fnodes out of order, segments
    that contradict each other."""


@dataclasses.dataclass(frozen=True)
class FnodeSegments:
    """A live fnode and the segments of the log that hold every op on it."""

    fnode: int
    segments: tuple[Segment, ...]


@dataclasses.dataclass(frozen=True)
class FSMHints:
    log: int | None = None
    live_nodes: tuple[FnodeSegments, ...] = ()
    properties: tuple[tuple[str, str], ...] = ()  # (path, content), sorted by path

    def live_log_segments(self) -> tuple[list[int], SegmentSet]:
        """The hinted fnodes in order, and the set of segments holding all their ops
        (Gazette's ``LiveLogSegments``); ``HintsError`` if the hints contradict themselves."""
        fnodes: list[int] = []
        segments = SegmentSet()
        for node in self.live_nodes:
            if not node.segments or node.segments[0].first_seq_no != node.fnode:
                raise HintsError(f"fnode {node.fnode} must be the first seq_no of its first segment: {node}")
            if fnodes and fnodes[-1] >= node.fnode:
                raise HintsError(f"fnodes must be in increasing order: {fnodes[-1]} then {node.fnode}")
            fnodes.append(node.fnode)
            for segment in node.segments:
                try:
                    segments.add(segment)
                except SegmentError as error:
                    raise HintsError(f"hinted segments contradict each other: {error}") from error
        return fnodes, segments

    # -- JSON ---------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        value: dict[str, Any] = {} if self.log is None else {"log": self.log}
        value["live_nodes"] = [
            {"fnode": node.fnode, "segments": [segment.to_json() for segment in node.segments]}
            for node in self.live_nodes
        ]
        value["properties"] = [{"path": path, "content": content} for path, content in self.properties]
        return value

    def dumps(self) -> str:
        return json.dumps(self.to_json())

    @classmethod
    def from_json(cls, value: Any) -> "FSMHints":
        try:
            log = value.get("log")
            nodes = tuple(
                FnodeSegments(int(node["fnode"]), tuple(Segment.from_json(s) for s in node.get("segments") or ()))
                for node in value.get("live_nodes") or ()
            )
            properties = tuple(sorted((str(p["path"]), str(p.get("content", ""))) for p in value.get("properties") or ()))
        except (AttributeError, KeyError, TypeError, ValueError) as error:
            raise HintsError(f"malformed hints: {error!r}") from error
        if log is not None and (not isinstance(log, int) or isinstance(log, bool) or log < 0):
            raise HintsError(f"hints log must be a recording id, not {log!r}")
        return cls(log, nodes, properties)

    @classmethod
    def loads(cls, text: str | bytes) -> "FSMHints":
        try:
            value = json.loads(text)
        except ValueError as error:
            raise HintsError(f"hints are not JSON: {error}") from error
        return cls.from_json(value)
