"""aeron-cffi: Python binding to the Aeron C client, C media driver and C archive client."""

from aeron_cffi._native import aeron_version
from aeron_cffi._version import __version__
from aeron_cffi.async_add import AsyncAdd
from aeron_cffi.buffer_claim import BufferClaim
from aeron_cffi.channel_uri import ChannelUri
from aeron_cffi.client import Aeron, HandlerRegistration
from aeron_cffi.cnc import CncFile, default_path, delete_directory, is_driver_active, request_driver_termination
from aeron_cffi.context import Context, PublicationErrorFrame
from aeron_cffi.counters import Counter, CounterInfo, CountersReader
from aeron_cffi.driver_process import DriverProcess
from aeron_cffi.errors import (
    AeronError,
    AeronTimeoutError,
    BufferFullError,
    ClientErrorCode,
    ClientTimeoutError,
    ConductorServiceTimeoutError,
    DriverBufferFullError,
    DriverErrorCode,
    DriverTimeoutError,
    InvalidArgumentError,
    InvalidStateError,
    MaxPositionExceededError,
    OfferResult,
    PublicationClosedError,
    PublicationError,
    RegistrationError,
    ResourceClosedError,
)
from aeron_cffi.exclusive_publication import ExclusivePublication
from aeron_cffi.fragment_assembler import (
    ControlledFragmentAssembler,
    ControlledPollAction,
    FragmentAssembler,
    ImageControlledFragmentAssembler,
    ImageFragmentAssembler,
)
from aeron_cffi.header import FragmentView, Header, HeaderValues
from aeron_cffi.idle_strategy import (
    BackoffIdleStrategy,
    BusySpinIdleStrategy,
    IdleStrategy,
    NoOpIdleStrategy,
    SleepingIdleStrategy,
    YieldingIdleStrategy,
)
from aeron_cffi.image import Image
from aeron_cffi.message import Message
from aeron_cffi.media_driver import InferableBoolean, MediaDriver, ThreadingMode
from aeron_cffi.publication import Publication
from aeron_cffi.subscription import Subscription
from aeron_cffi.versions import epoch_clock, nano_clock, version_info

__all__ = ["Aeron", "AeronError", "AeronTimeoutError", "AsyncAdd", "BackoffIdleStrategy", "BufferClaim",
           "BufferFullError", "BusySpinIdleStrategy", "ChannelUri", "ClientErrorCode", "ClientTimeoutError",
           "CncFile", "ConductorServiceTimeoutError", "Context", "ControlledFragmentAssembler",
           "ControlledPollAction", "Counter", "CounterInfo", "CountersReader", "DriverBufferFullError",
           "DriverErrorCode", "DriverProcess", "DriverTimeoutError", "ExclusivePublication", "FragmentAssembler",
           "FragmentView", "HandlerRegistration", "Header", "HeaderValues", "IdleStrategy", "Image",
           "ImageControlledFragmentAssembler", "ImageFragmentAssembler", "InferableBoolean", "InvalidArgumentError",
           "InvalidStateError", "MaxPositionExceededError", "MediaDriver", "Message", "NoOpIdleStrategy",
           "OfferResult", "Publication", "PublicationClosedError", "PublicationError", "PublicationErrorFrame",
           "RegistrationError", "ResourceClosedError", "SleepingIdleStrategy", "Subscription", "ThreadingMode",
           "YieldingIdleStrategy", "aeron_version", "default_path", "delete_directory", "epoch_clock",
           "is_driver_active", "nano_clock", "request_driver_termination", "version_info"]
