"""``AeronClusterContext``: the settings of a cluster client (Java's ``AeronCluster.Context``).

The keywords of ``AeronCluster.connect(...)``; checked when the context is made, so a
wrong type or a missing ingress fails before anything is created.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any, Callable, Mapping

from aeron_cffi.channel_uri import ChannelUri
from aeron_cffi.errors import InvalidArgumentError
from aeron_cffi.idle_strategy import IdleStrategy, SleepingIdleStrategy

if TYPE_CHECKING:
    from aeron_cffi.client import Aeron
    from aeron_cffi.cluster.egress_adapter import ControlledEgressListener, EgressListener

__all__ = ["AeronClusterContext", "format_ingress_endpoints", "member_ingress_channel", "parse_ingress_endpoints"]

INGRESS_STREAM_ID_DEFAULT = 101
EGRESS_STREAM_ID_DEFAULT = 102
MESSAGE_TIMEOUT_NS_DEFAULT = 5_000_000_000  # Java's aeron.cluster.message.timeout default
# Java's ConsensusModule.Configuration.LEADER_HEARTBEAT_TIMEOUT_DEFAULT_NS: a client waits
# twice that for a new leader when the cluster does not say its own timeout.
LEADER_HEARTBEAT_TIMEOUT_NS_DEFAULT = 10_000_000_000


def parse_ingress_endpoints(endpoints: Mapping[int, str] | str) -> dict[int, str]:
    """``{member_id: "host:port"}`` from a mapping or Java's ``"0=host:port,1=host:port"``
    (what ``aeron.cluster.ingress.endpoints`` and the cluster's redirects carry)."""
    if isinstance(endpoints, str):
        parsed: dict[int, str] = {}
        for entry in filter(None, endpoints.split(",")):
            member, separator, endpoint = entry.partition("=")
            if not separator:
                raise InvalidArgumentError(f"ingress endpoint missing '=' separator: {endpoints!r}")
            try:
                parsed[int(member)] = endpoint
            except ValueError:
                raise InvalidArgumentError(f"ingress endpoint member id is not an int: {entry!r}") from None
        return parsed
    if not isinstance(endpoints, Mapping):
        raise TypeError(f"ingress_endpoints must be a mapping or a str, not {type(endpoints).__name__}")
    for member_id, address in endpoints.items():
        if not isinstance(member_id, int) or isinstance(member_id, bool) or not isinstance(address, str):
            raise TypeError(f"ingress_endpoints maps int member ids to 'host:port' str: {member_id!r}: {address!r}")
    return dict(endpoints)


def format_ingress_endpoints(endpoints: Mapping[int, str]) -> str:
    return ",".join(f"{member}={endpoint}" for member, endpoint in endpoints.items())


def member_ingress_channel(ingress_channel: str, endpoint: str) -> str:
    """The ingress channel to one member: a UDP channel gets the member's endpoint."""
    with ChannelUri.parse(ingress_channel) as uri:
        if uri.media == "udp":
            uri["endpoint"] = endpoint
        return str(uri)


@dataclasses.dataclass
class AeronClusterContext:
    """Settings of ``AeronCluster.connect``.

    * ``ingress_endpoints``: ``{member_id: "host:port"}`` (or ``"0=host:port,..."``) of every
      member's ingress; the client opens a publication to each on ``ingress_channel`` with
      the member's endpoint and talks to whichever answers as leader. Without it,
      ``ingress_channel`` is used as it is (e.g. multicast, or one member's endpoint).
    * ``egress_channel``: where the cluster answers; port 0 is resolved by the driver.
    * ``message_timeout_ns``: for connect and for adding a new leader's publication;
      ``new_leader_timeout_ns`` (default: twice the cluster's leader heartbeat timeout)
      how long the client waits for a new leader after losing the old one.
    * ``encoded_credentials`` (bytes, or a callable returning bytes) and
      ``on_challenge(challenge: bytes) -> bytes`` for an authenticating cluster.
    * ``egress_listener`` gets what ``poll_egress`` delivers, ``controlled_egress_listener``
      what ``controlled_poll_egress`` does.
    * ``aeron``: an existing ``Aeron`` client (not closed by the cluster client); else a
      client is started on ``aeron_directory_name`` and closed with the cluster client.
    """

    ingress_endpoints: Mapping[int, str] | str | None = None
    ingress_channel: str | None = None
    ingress_stream_id: int = INGRESS_STREAM_ID_DEFAULT
    egress_channel: str = "aeron:udp?endpoint=localhost:0"
    egress_stream_id: int = EGRESS_STREAM_ID_DEFAULT
    message_timeout_ns: int = MESSAGE_TIMEOUT_NS_DEFAULT
    new_leader_timeout_ns: int | None = None
    encoded_credentials: bytes | Callable[[], bytes] = b""
    on_challenge: Callable[[bytes], bytes] | None = None
    client_name: str = ""
    egress_listener: EgressListener | None = None
    controlled_egress_listener: ControlledEgressListener | None = None
    aeron: Aeron | None = None
    aeron_directory_name: str | None = None
    idle_strategy: IdleStrategy = dataclasses.field(default_factory=lambda: SleepingIdleStrategy(1_000_000))
    is_ingress_exclusive: bool = True

    def __post_init__(self) -> None:
        if self.ingress_endpoints is not None:
            self.ingress_endpoints = parse_ingress_endpoints(self.ingress_endpoints)
            if not self.ingress_endpoints:
                raise InvalidArgumentError("ingress_endpoints is empty")
            if self.ingress_channel is None:
                self.ingress_channel = "aeron:udp"
        elif self.ingress_channel is None:
            raise InvalidArgumentError("give ingress_endpoints ({member_id: 'host:port'}) or an ingress_channel")
        for name in ("ingress_channel", "egress_channel", "client_name"):
            if not isinstance(getattr(self, name), str):
                raise TypeError(f"{name} must be str, not {type(getattr(self, name)).__name__}")
        for name in ("ingress_stream_id", "egress_stream_id", "message_timeout_ns"):
            _check_int(name, getattr(self, name))
        if self.message_timeout_ns <= 0:
            raise InvalidArgumentError(f"message_timeout_ns must be positive, got {self.message_timeout_ns}")
        if self.new_leader_timeout_ns is not None:
            _check_int("new_leader_timeout_ns", self.new_leader_timeout_ns)
        if not (callable(self.encoded_credentials) or isinstance(self.encoded_credentials, (bytes, bytearray))):
            raise TypeError("encoded_credentials must be bytes or a callable returning bytes")
        if self.on_challenge is not None and not callable(self.on_challenge):
            raise TypeError("on_challenge must be callable(challenge: bytes) -> bytes")
        if not isinstance(self.idle_strategy, IdleStrategy):
            raise TypeError("idle_strategy must be an aeron_cffi.idle_strategy.IdleStrategy")

    def credentials(self) -> bytes:
        value = self.encoded_credentials() if callable(self.encoded_credentials) else self.encoded_credentials
        if not isinstance(value, (bytes, bytearray)):
            raise TypeError(f"encoded_credentials returned {type(value).__name__}, not bytes")
        return bytes(value)

    def answer_challenge(self, challenge: bytes) -> bytes:
        if self.on_challenge is None:
            # Java's NullCredentialsSupplier answers a challenge with no credentials.
            return b""
        value = self.on_challenge(challenge)
        if not isinstance(value, (bytes, bytearray)):
            raise TypeError(f"on_challenge returned {type(value).__name__}, not bytes")
        return bytes(value)

    @classmethod
    def of(cls, context: AeronClusterContext | None, settings: dict[str, Any]) -> AeronClusterContext:
        if context is None:
            return cls(**settings)
        if settings:
            raise TypeError("pass either an AeronClusterContext or its keywords, not both")
        return context


def _check_int(name: str, value: object) -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{name} must be int, not {type(value).__name__}")
