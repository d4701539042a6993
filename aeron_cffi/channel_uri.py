"""``ChannelUri``: parse and build Aeron channel URIs with Aeron's own parser
(``aeron_uri_string_builder_*``, reached through the ``aeron_cffi_uri_builder_*`` helpers
in ``ffibuild/helpers.c``)."""

from __future__ import annotations

from typing import Iterator

from aeron_cffi._lifetime import Resource, in_flight
from aeron_cffi._native import c_string, ffi, lib
from aeron_cffi.errors import InvalidArgumentError, check, last_error

_PREFIX_KEY = "__prefix"
_MEDIA_KEY = "__media"


class ChannelUri(Resource):
    """A mutable channel URI: ``ChannelUri.parse("aeron:udp?endpoint=localhost:40123")``
    or ``ChannelUri(media="udp", endpoint="localhost:40123")``; ``str(uri)`` prints it.

    Parameters are a mapping (``uri["term-length"] = 65536``); ``media`` and ``prefix``
    (e.g. ``aeron-spy``) are attributes.
    """

    def __init__(self, media: str | None = None, prefix: str | None = None, **params: object) -> None:
        self._init(None)
        if media is not None:
            self.media = media
        if prefix is not None:
            self.prefix = prefix
        for key, value in params.items():
            self[key.replace("_", "-")] = value

    def _init(self, uri: str | None) -> None:
        super().__init__()
        ptr = lib.aeron_cffi_uri_builder_new(ffi.NULL if uri is None else uri.encode())
        if ptr == ffi.NULL:
            self._closed = True
            error = last_error(f"malformed channel URI {uri!r}")
            raise InvalidArgumentError(error.errmsg, error.errcode)
        self._ptr = ptr

    @classmethod
    def parse(cls, uri: str) -> ChannelUri:
        """Parse ``uri`` (``aeron_uri_string_builder_init_on_string``); ``InvalidArgumentError`` if malformed."""
        if not isinstance(uri, str):
            raise TypeError(f"channel URI must be str, got {type(uri).__name__}")
        self = cls.__new__(cls)
        self._init(uri)
        if self.media not in ("udp", "ipc"):
            self.close()
            raise InvalidArgumentError(f"malformed channel URI {uri!r}: media must be udp or ipc")
        return self

    @in_flight
    def get(self, key: str, default: str | None = None) -> str | None:
        """(``aeron_uri_string_builder_get``)"""
        value = lib.aeron_cffi_uri_builder_get(self._ptr, key.encode())
        return default if value == ffi.NULL else c_string(value)

    def __getitem__(self, key: str) -> str:
        value = self.get(key)
        if value is None:
            raise KeyError(key)
        return value

    @in_flight
    def __setitem__(self, key: str, value: object) -> None:
        """(``aeron_uri_string_builder_put``); ``None`` removes the key."""
        text = ffi.NULL if value is None else (
            str(value).lower() if isinstance(value, bool) else str(value)).encode()
        check(lib.aeron_cffi_uri_builder_put(self._ptr, key.encode(), text), f"ChannelUri[{key!r}]")

    def __delitem__(self, key: str) -> None:
        self[key] = None

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.get(key) is not None

    @in_flight
    def params(self) -> dict[str, str]:
        """Every parameter except media and prefix."""
        key, value = ffi.new("char **"), ffi.new("char **")
        found = {}
        for index in range(lib.aeron_cffi_uri_builder_capacity(self._ptr)):
            if lib.aeron_cffi_uri_builder_param_at(self._ptr, index, key, value):
                found[c_string(key[0])] = c_string(value[0])
        found.pop(_PREFIX_KEY, None)
        found.pop(_MEDIA_KEY, None)
        return dict(sorted(found.items()))

    def __iter__(self) -> Iterator[str]:
        return iter(self.params())

    @property
    def media(self) -> str | None:
        """``udp`` or ``ipc``."""
        return self.get(_MEDIA_KEY)

    @media.setter
    def media(self, value: str) -> None:
        self[_MEDIA_KEY] = value

    @property
    def prefix(self) -> str | None:
        """e.g. ``aeron-spy``, or None."""
        return self.get(_PREFIX_KEY)

    @prefix.setter
    def prefix(self, value: str | None) -> None:
        self[_PREFIX_KEY] = value

    @in_flight
    def set_initial_position(self, position: int, initial_term_id: int, term_length: int) -> None:
        """Set init-term-id, term-id and term-offset for ``position`` (``aeron_uri_string_builder_set_initial_position``)."""
        check(lib.aeron_cffi_uri_builder_set_initial_position(self._ptr, position, initial_term_id, term_length),
              "ChannelUri.set_initial_position")

    @in_flight
    def __str__(self) -> str:
        """(``aeron_uri_string_builder_sprint``)"""
        size = 1024
        while True:
            buffer = ffi.new("char[]", size)
            length = check(lib.aeron_cffi_uri_builder_sprint(self._ptr, buffer, size), "ChannelUri")
            if length < size - 1:
                return c_string(buffer)
            size *= 4

    def __repr__(self) -> str:
        return f"ChannelUri.parse({str(self)!r})" if not self._closed else "<closed ChannelUri>"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ChannelUri):
            return NotImplemented
        return (self.prefix, self.media, self.params()) == (other.prefix, other.media, other.params())

    __hash__ = None  # type: ignore[assignment]

    def _close_native(self) -> None:
        lib.aeron_cffi_uri_builder_delete(self._ptr)


