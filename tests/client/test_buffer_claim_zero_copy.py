"""BufferClaim.buffer: writing a claimed message in place, and the view ending with the claim.

Every test runs against a real embedded C media driver (the ``aeron`` fixture). The
view is a memoryview of the term buffer: once the claim ends (commit, abort, a new
claim, the publication closing) it must not reach that memory any more, and nothing
made from it may outlive the claim unnoticed.
"""

from __future__ import annotations

import gc
import struct
import weakref

import pytest

from aeron_cffi import AeronError, BufferClaim, ResourceClosedError
from aeron_cffi._native import ffi

from helpers import connected, receive, run_python, wait_until

FORMAT = struct.Struct("<qi4s")


def claim(publication, length: int, holder: BufferClaim | None = None) -> BufferClaim:
    holder = BufferClaim() if holder is None else holder
    wait_until(lambda: publication.try_claim(length, holder) > 0, "a claim")
    return holder


def test_written_in_place_and_received(aeron):
    subscription, publication = connected(aeron, 3001)
    holder = claim(publication, FORMAT.size)
    view = holder.buffer
    assert isinstance(view, memoryview) and not view.readonly and view.nbytes == FORMAT.size
    assert holder.buffer is view  # one view per claim
    FORMAT.pack_into(view, 0, -7, 42, b"abcd")
    view[-1:] = b"!"
    holder.commit()

    with claim(publication, 5, holder):  # the same holder again, committed by the block
        holder.buffer[:] = b"hello"

    received = receive(subscription, 2)
    assert FORMAT.unpack(received[0]) == (-7, 42, b"abc!")
    assert received[1] == b"hello"


def test_view_is_released_when_the_claim_ends(aeron):
    subscription, publication = connected(aeron, 3002)
    holder = claim(publication, 8)
    committed = holder.buffer
    committed[:] = b"12345678"
    holder.commit()
    with pytest.raises(ValueError, match="released"):
        committed[0] = 0
    with pytest.raises(ValueError, match="released"):
        bytes(committed)
    with pytest.raises(AeronError, match="nothing is claimed"):
        holder.buffer

    claim(publication, 8, holder)
    aborted = holder.buffer
    aborted[:] = b"dropped!"
    holder.abort()
    with pytest.raises(ValueError):
        aborted[0] = 0

    wait_until(lambda: publication.offer(b"last") > 0, "offer")
    assert receive(subscription, 2) == [b"12345678", b"last"]  # the aborted claim is padding


def test_a_new_claim_on_the_holder_ends_the_old_view(aeron):
    _, publication = connected(aeron, 3011)
    holder = claim(publication, 8)
    abandoned = holder.buffer
    claim(publication, 3, holder)
    with pytest.raises(ValueError):
        abandoned[0] = 0
    assert holder.buffer.nbytes == 3
    holder.buffer[:] = b"new"
    holder.commit()


def test_a_slice_alive_refuses_to_end_the_claim(aeron):
    subscription, publication = connected(aeron, 3003)
    holder = claim(publication, 8)
    part = holder.buffer[4:]
    cast = holder.buffer.cast("I")
    holder.buffer[:4] = b"head"
    part[:] = b"tail"
    with pytest.raises(BufferError, match="slice or cast"):
        holder.commit()
    with pytest.raises(BufferError, match="slice or cast"):
        holder.abort()
    del part
    with pytest.raises(BufferError):
        holder.commit()  # the cast still reaches the term buffer
    assert cast[0] == int.from_bytes(b"head", "little")
    del cast
    holder.commit()  # and now nothing does: the claim ends, with what the slice wrote
    assert receive(subscription, 1) == [b"headtail"]


def test_the_views_exporter_counts_as_a_view(aeron):
    _, publication = connected(aeron, 3004)
    holder = claim(publication, 4)
    exporter = holder.buffer.obj
    with pytest.raises(BufferError):
        holder.commit()
    del exporter
    holder.commit()


def test_a_buffer_exported_from_the_view_refuses_to_end_the_claim(aeron):
    subscription, publication = connected(aeron, 3005)
    holder = claim(publication, 4)
    pointer = ffi.from_buffer(holder.buffer)  # holds the view's buffer, as numpy would
    pointer[0:4] = b"cdat"
    with pytest.raises(BufferError, match="still uses"):
        holder.commit()
    assert holder.buffer.tobytes() == b"cdat"  # still claimed, still usable
    del pointer
    holder.commit()
    assert receive(subscription, 1) == [b"cdat"]


def test_closing_the_publication_releases_the_view(aeron):
    _, publication = connected(aeron, 3006)
    holder = claim(publication, 8)
    view = holder.buffer
    publication.close()
    with pytest.raises(ValueError):
        view[0] = 1
    with pytest.raises(ResourceClosedError):
        holder.commit()
    with pytest.raises(AeronError, match="nothing is claimed"):
        holder.buffer


def test_closing_the_client_releases_the_view(aeron_testbed, media_driver):
    client = aeron_testbed.client(media_driver)
    _, publication = connected(client, 3007)
    holder = claim(publication, 8)
    view = holder.buffer
    client.close()
    with pytest.raises(ValueError):
        view[:] = b"too late"
    with pytest.raises(ResourceClosedError):
        holder.put(b"too late")


def test_a_slice_alive_keeps_the_term_buffer_mapped_after_close():
    """In a subprocess (a write into unmapped memory would be a signal): closing the client
    closes the publication for Python at once, but its C close, which unmaps the term
    buffer, runs only when the last slice of the claim is gone."""
    result = run_python("""
        import os, tempfile, time
        from aeron_cffi import Aeron, BufferClaim, MediaDriver, ResourceClosedError

        def threads():
            return len(os.listdir("/proc/self/task"))

        tmp = tempfile.mkdtemp()
        with MediaDriver(dir=tmp + "/d", threading_mode="SHARED", dir_delete_on_start=True,
                         dir_delete_on_shutdown=True) as driver:
            alone = threads()
            client = Aeron(dir=driver.dir, resource_linger_duration_ns=1_000_000)
            with_client = threads()
            assert with_client > alone  # the client's conductor thread
            subscription = client.add_subscription("aeron:ipc", 1)
            publication = client.add_exclusive_publication("aeron:ipc", 1)
            end = time.monotonic() + 20
            while not publication.is_connected:
                assert time.monotonic() < end
                time.sleep(0.001)
            holder = BufferClaim()
            while publication.try_claim(64, holder) < 0:
                assert time.monotonic() < end
            part = holder.buffer[8:]
            client.close()
            assert publication.is_closed and client.is_closed
            try:
                holder.commit()
                raise AssertionError("commit after close")
            except ResourceClosedError:
                pass
            time.sleep(0.2)  # far past the client's resource linger
            assert threads() == with_client  # aeron_close has not run
            for _ in range(1000):
                part[:] = bytes(range(56))
            assert part.tobytes() == bytes(range(56))
            del part  # the last view: the deferred C closes run now, in this thread
            assert threads() == alone
        print("ok")
        """)
    assert result.returncode == 0 and result.stdout.strip() == "ok", \
        f"exit {result.returncode}\nstdout:{result.stdout}\nstderr:{result.stderr}"


def test_a_slice_keeps_its_publication_from_being_collected(aeron):
    _, publication = connected(aeron, 3009)
    holder = claim(publication, 8)
    part = holder.buffer[2:6]
    collected = weakref.ref(publication)
    del holder, publication
    gc.collect()
    # the slice keeps the claim, and so the publication and its term buffer, alive
    assert collected() is not None and not collected().is_closed
    part[:] = b"safe"
    assert part.tobytes() == b"safe"
    del part
    gc.collect()
    assert collected() is None


def test_put_and_view_agree(aeron):
    subscription, publication = connected(aeron, 3010)
    holder = claim(publication, 6)
    holder.put(b"ab")
    holder.buffer[2:4] = b"cd"
    holder.put(memoryview(b"ef"), 4)
    assert holder.get() == b"abcdef" == holder.buffer.tobytes()
    holder.commit()
    assert receive(subscription, 1) == [b"abcdef"]
