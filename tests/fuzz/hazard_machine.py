"""The hazard fuzz machine (issues #7 and #17): the client machine's user plus closes where they
hurt, run by ``fuzz_machine.py --machine hazard`` (see that module for how machines run).

* from inside the call that uses the victim: poll, block poll and fragment assembler handlers
  (plain, controlled, per image) on fragmented messages, ``for_each_image`` callbacks and
  reserved value suppliers closing their subscription, image, assembler, publication or
  client. The close waits for the call, which returns normally or raises
  ``ResourceClosedError``; the model then has the victim closed;
* from a conductor callback: image handlers closing their subscription or client, at any
  time (a threaded client refuses to close on its own conductor thread and reports
  ``InvalidStateError``; an invoker client closes once ``do_work`` returns). A call on
  something a callback closed may raise ``ResourceClosedError`` from then on;
* from another thread, while a call runs (polls, offers, the fast paths waiting in C, claims,
  getters): each call returns or raises ``ResourceClosedError``;
* images used after their publisher went away, also once new publications reused the
  driver's log buffers (``image_op`` then checks every call on them);
* offers on one publication from several threads, each with its own reserved value
  supplier: every message arrives with its own thread's value.
"""

from __future__ import annotations

import threading
import time
import weakref
from typing import Any, Callable

from hypothesis import strategies as st
from hypothesis.stateful import rule

from aeron_cffi import (
    BufferClaim,
    ControlledFragmentAssembler,
    FragmentAssembler,
    Image,
    ImageControlledFragmentAssembler,
    ImageFragmentAssembler,
    Publication,
    ResourceClosedError,
)
from aeron_cffi.fast import BatchPoller, CopyingPoller, MessageBatch, offer_batch
from fuzz_machine import IDX, ClientMachine, Node, Run, check_message, message

__all__ = ["HazardMachine"]

FRAGMENTED = 3000  # three frames at the default MTU
ASSEMBLERS = {(False, False): FragmentAssembler, (False, True): ControlledFragmentAssembler,
              (True, False): ImageFragmentAssembler, (True, True): ImageControlledFragmentAssembler}
RESERVED_MAGIC = b"RV"  # a message whose reserved value is the int64 after this tag
MAX_WAIT = 0.02  # how long the fast paths wait in C (s): long enough for a close to come in
IMAGE_GONE_S = 2.0  # how long a rule waits for an image to go after its publisher closed


def reserved_message(value: int) -> bytes:
    return RESERVED_MAGIC + value.to_bytes(8, "little", signed=True)


def check_fragment(data: bytes, header: Any, where: str) -> None:
    """``check_message`` for a fragment that is a whole message (unfragmented)."""
    if header.flags & 0xC0 == 0xC0:
        check_message(data, where)


class HazardMachine(ClientMachine):
    """The client layer plus closing things from inside the calls and callbacks that use them,
    and from other threads while calls run (see the module docstring)."""

    def __init__(self) -> None:
        super().__init__()
        # objects a conductor callback may close at any time (from when the callback is set):
        # the model learns of the close once it has happened (``sync_callback_closes``). Weakly:
        # a dropped object must still be collected (and so closed) as if the model did not know it.
        self.may_close: list[weakref.ref] = []

    # -- the model, with closes that conductor callbacks make -----------------------------------

    def sync_callback_closes(self) -> None:
        for kind in ("sub", "client"):
            for node in self.nodes[kind]:
                if not node.closed and any(node.obj is ref() for ref in self.may_close) and node.obj.is_closed:
                    self.mark_closed(node)

    def closable_by_callback(self, node: Node | None) -> bool:
        while node is not None:
            if any(node.obj is ref() for ref in self.may_close):
                return True
            node = node.parent
        return False

    def expect(self, node: Node | None, what: str, fn: Callable[[], Any], error: Any = None,
               allow: tuple[type[BaseException], ...] = ()) -> Any:
        """``ClientMachine.expect``, knowing of closes by conductor callbacks: ``ResourceClosedError``
        is also right for an object that a callback closed (or may have closed) meanwhile."""
        self.sync_callback_closes()
        if node is not None and not node.is_closed and self.closable_by_callback(node):
            allow += (ResourceClosedError,)
            error = None if error is None else (*(error if isinstance(error, tuple) else (error,)), ResourceClosedError)
        return super().expect(node, what, fn, error, allow)

    # -- images: there is one to work on whenever a publication reaches a subscription --------

    def poller(self, on_image: bool, i: int) -> Node | None:
        """``ClientMachine.poller``, retaining an image first when asked for one and there is
        none open (images only come from calls that look them up)."""
        if on_image and not any(not n.is_closed for n in self.nodes["image"]):
            sub, pub = self.pick("sub", i), self.pick("pub", i)
            if sub is not None and pub is not None and not sub.is_closed and not pub.is_closed \
                    and self.same_stream(pub, sub):
                self.retain_image(sub, pub)
        return super().poller(on_image, i)

    def retain_image(self, sub: Node, pub: Node) -> Node | None:
        """The image of ``pub`` in ``sub``, retained (waiting up to a second for it), or None."""
        session = pub.obj.constants.session_id
        deadline = time.monotonic() + 1
        while time.monotonic() < deadline:
            image = self.expect(sub, f"image_by_session_id({session})", lambda: sub.obj.image_by_session_id(session))
            if isinstance(image, Image):
                return self.keep("image", image, sub)
            if isinstance(image, BaseException):
                return None
            if sub.client.info["invoker"]:
                self.expect(sub.client, "do_work()", sub.client.obj.do_work)
            time.sleep(0.002)
        return None

    # -- closes from inside the call that uses the victim -----------------------------------

    def feed(self, poller: Node, size: int, count: int = 2) -> None:
        """Offer ``count`` messages of ``size`` on an open publication to ``poller``'s stream
        (a subscription or an image's), if there is one."""
        sub = poller if poller.kind == "sub" else poller.parent
        if sub is None or sub.is_closed:
            return
        for pub in self.nodes["pub"]:
            if not pub.is_closed and self.same_stream(pub, sub):
                for _ in range(count):
                    self.expect(pub, f"offer({size}) to feed {poller}", lambda: pub.obj.offer(message(size)))
                return

    def same_stream(self, pub: Node, sub: Node) -> bool:
        """Whether ``pub`` sends to ``sub`` (both open): same driver, stream and medium."""
        if pub.client.info["driver"] != sub.client.info["driver"]:
            return False
        try:
            pub_constants, sub_constants = pub.obj.constants, sub.obj.constants
        except ResourceClosedError:  # an image handler closed the subscription just now
            return False
        return pub_constants.stream_id == sub_constants.stream_id and \
            pub_constants.channel.split("?")[0] == sub_constants.channel.split("?")[0]

    def victim(self, node: Node, closes: str) -> Node | None:
        """``node`` itself, its subscription or its client, as ``closes`` says."""
        if closes == "client":
            return node.client
        if closes == "subscription":
            return node if node.kind == "sub" else node.parent
        return node

    def close_inside(self, node: Node, victim: Node, what: str, call: Callable[[Callable[[], None]], Any]) -> Any:
        """Run ``call(close)`` on ``node``, where ``close`` (called by the callback of the call)
        closes ``victim``; the call returns or raises ResourceClosedError, and the victim is
        closed after."""
        closed: list[bool] = []

        def close() -> None:
            if not closed:
                victim.obj.close()
                closed.append(True)

        result = self.expect(node, f"{what} (callback closing {victim})", lambda: call(close),
                             allow=(ResourceClosedError,))
        if closed:
            self.mark_closed(victim)
        return result

    @rule(i=IDX, closes=st.sampled_from(["subscription", "client", "image"]),
          method=st.sampled_from(["poll", "controlled_poll", "block_poll"]), feed=st.booleans())
    def close_inside_poll_handler(self, i: int, closes: str, method: str, feed: bool) -> None:
        node = self.poller(closes == "image", i)
        if node is None:
            return
        victim = self.victim(node, closes)
        if feed:
            self.feed(node, FRAGMENTED)
        if method == "block_poll":
            call = lambda close: node.obj.block_poll(lambda block, session_id, term_id: close(), 4096)  # noqa: E731
        else:
            call = lambda close: getattr(node.obj, method)(lambda data, header: close(), 10)  # noqa: E731
        self.close_inside(node, victim, method, call)

    @rule(i=IDX, on_image=st.booleans(), controlled=st.booleans(),
          closes=st.sampled_from(["assembler", "subscription", "client", "image"]))
    def close_inside_assembler_handler(self, i: int, on_image: bool, controlled: bool, closes: str) -> None:
        node = self.poller(on_image, i)
        if node is None:
            return
        self.feed(node, FRAGMENTED)
        received: list[bytes] = []
        holder: list[Callable[[], None]] = []

        def whole(data: bytes, header: Any) -> None:
            received.append(data)
            holder[0]()

        cls = ASSEMBLERS[node.kind == "image", controlled]
        assembler = self.keep("assembler", cls(whole))  # not a child: it outlives the subscription
        node.info[cls.__name__] = assembler  # the client machine's polls use it next (closed or not)
        victim = assembler if closes == "assembler" else self.victim(node, closes)
        method = "controlled_poll" if controlled else "poll"

        def call(close: Callable[[], None]) -> Any:
            holder.append(close)
            return getattr(node.obj, method)(assembler.obj, 10)

        self.close_inside(node, victim, f"{method}({cls.__name__})", call)
        for data in received:
            check_message(data, f"{node}.{method}({cls.__name__})")

    @rule(i=IDX, closes=st.sampled_from(["subscription", "client"]), keep=st.booleans())
    def close_inside_for_each_image(self, i: int, closes: str, keep: bool) -> None:
        node = self.pick("sub", i)
        if node is None:
            return
        victim = self.victim(node, closes)
        seen: list[Image] = []

        def call(close: Callable[[], None]) -> None:
            def each(image: Image) -> None:
                seen.append(image)
                close()
                image.position  # borrowed: valid during the callback, closed subscription or not
            return node.obj.for_each_image(each)

        self.close_inside(node, victim, "for_each_image", call)
        if keep:
            self.nodes["stale"] += [Node("stale", "for-each-image", image, None, {}) for image in seen]

    @rule(i=IDX, client=st.booleans())
    def close_inside_supplier(self, i: int, client: bool) -> None:
        node = self.pick("pub", i)
        if node is None:
            return
        victim = node.client if client else node

        def call(close: Callable[[], None]) -> Any:
            return node.obj.offer(b"hazard", lambda frame_length: close() or 0)

        self.close_inside(node, victim, "offer", call)

    # -- closes from conductor callbacks ----------------------------------------------------

    @rule(i=IDX, closes=st.sampled_from(["subscription", "client"]), on=st.sampled_from(["available", "unavailable"]))
    def add_subscription_closing_from_image_handler(self, i: int, closes: str, on: str) -> None:
        client = self.pick("client", i)
        if client is None:
            return
        box: list[Any] = []  # the subscription, once added

        def handler(image: Image) -> None:
            victim = client.obj if closes == "client" else (box[0] if box else None)
            if victim is not None:
                victim.close()  # (a threaded client refuses on its own conductor thread: InvalidStateError, reported)

        if closes == "client" and client.info["invoker"]:
            # its callbacks run in do_work, in any step that waits for the driver: from now on
            self.may_close.append(weakref.ref(client.obj))
        handlers = {"on_available_image": handler} if on == "available" else {"on_unavailable_image": handler}
        subscription = self.expect(client, f"add_subscription(ipc, 1, {on} image handler closing its {closes})",
                                   lambda: client.obj.add_subscription("aeron:ipc", 1, **handlers))
        if not isinstance(subscription, BaseException):
            if closes == "subscription":
                self.may_close.append(weakref.ref(subscription))
            box.append(subscription)  # (the handler closes nothing before this)
            self.keep("sub", subscription, client)

    # -- images whose publisher went away ---------------------------------------------------

    @rule(i=IDX, how=st.sampled_from(["publication", "client"]), reuse=st.booleans())
    def image_publisher_goes(self, i: int, how: str, reuse: bool) -> None:
        """A client of its own publishes to a subscription; retain the image, close the
        publication (or that client), wait for the image to go, and (``reuse``) make new
        publications, so the driver makes new log buffers while the old image is kept."""
        subs = [n for n in self.nodes["sub"] if not n.is_closed]
        sub = subs[i % len(subs)] if subs else self.pick("sub", i)
        if sub is None or sub.is_closed or not self.same_stream(sub, sub):  # (same_stream: still open)
            return
        stream = sub.obj.constants.stream_id
        if not sub.obj.constants.channel.startswith("aeron:ipc"):
            return
        publisher = self.open_client(sub.client.info["driver"], invoker=False)
        pub = self.expect(publisher, f"add_exclusive_publication(ipc, {stream})",
                          lambda: publisher.obj.add_exclusive_publication("aeron:ipc", stream))
        if isinstance(pub, BaseException):
            return
        pub_node = self.keep("pub", pub, publisher, exclusive=True)
        image = self.retain_image(sub, pub_node)
        if image is None:
            return
        victim = publisher if how == "client" else pub_node
        self.expect(None, f"{victim}.close() (the publisher of {image})", victim.obj.close)
        self.mark_closed(victim)
        deadline = time.monotonic() + IMAGE_GONE_S
        while not image.obj.is_closed and not sub.is_closed and time.monotonic() < deadline:
            self.expect(sub, "poll (waiting for the image to go)", lambda: sub.obj.poll(lambda d, h: None, 10))
            if sub.client.info["invoker"]:
                self.expect(sub.client, "do_work()", sub.client.obj.do_work)
            time.sleep(0.002)
        Run.step(f"{image} gone: {image.obj.is_closed}")
        owner = publisher if not publisher.is_closed else sub.client
        if reuse and not owner.is_closed:
            for _ in range(2):
                pub = self.expect(owner, f"add_exclusive_publication(ipc, {stream}) (new log buffers)",
                                  lambda: owner.obj.add_exclusive_publication("aeron:ipc", stream))
                if not isinstance(pub, BaseException):
                    self.keep("pub", pub, owner, exclusive=True)

    # -- closes from another thread while a call runs --------------------------------------------

    def close_from_thread(self, node: Node, victim: Node, what: str, call: Callable[[], Any], delay: float) -> None:
        """Call ``call()`` on ``node`` again and again while another thread closes ``victim``
        after ``delay`` seconds: every call returns or raises ResourceClosedError, the last
        one (after the close) raises it, and nothing fails in the closing thread."""
        failures: list[BaseException] = []

        def close() -> None:
            try:
                victim.obj.close()
            except BaseException as exc:  # noqa: BLE001  (checked below)
                failures.append(exc)

        closer = threading.Timer(delay, close)
        Run.step(f"{victim}.close() in {delay * 1000:.1f} ms, from another thread")
        closer.start()
        deadline = time.monotonic() + 5
        try:
            while time.monotonic() < deadline:
                closing = closer.is_alive()
                if isinstance(self.expect(node, what, call, allow=(ResourceClosedError,)), ResourceClosedError):
                    break
                assert closing, f"{node}: {what} worked after {victim} was closed"
        finally:
            closer.join(10)
        assert not closer.is_alive() and not failures, f"closing {victim} from a thread: {failures}"
        self.mark_closed(victim)

    @rule(i=IDX, path=st.sampled_from(["BatchPoller.poll", "CopyingPoller.poll", "poll", "block_poll",
                                       "poll_batch", "getters"]),
          closes=st.sampled_from(["subscription", "client", "image"]), delay=st.sampled_from([0.0, 0.001, 0.01]))
    def close_subscription_from_thread(self, i: int, path: str, closes: str, delay: float) -> None:
        on_image = closes == "image" and path in ("CopyingPoller.poll", "poll", "block_poll", "getters")
        node = self.poller(on_image, i) if on_image else self.pick("sub", i)
        if node is None:
            return
        victim = self.victim(node, closes)
        obj = node.obj
        if path == "BatchPoller.poll":
            batch_poller = BatchPoller(obj, 16, 1 << 16)
            call = lambda: batch_poller.poll(max_wait=MAX_WAIT)  # noqa: E731
        elif path == "CopyingPoller.poll":
            copying_poller = CopyingPoller(obj)
            call = lambda: copying_poller.poll(lambda data, header: check_fragment(data, header, what), 10)  # noqa: E731
        elif path == "poll":
            call = lambda: obj.poll(lambda data, header: check_fragment(data, header, what), 10)  # noqa: E731
        elif path == "block_poll":
            call = lambda: obj.block_poll(lambda block, session_id, term_id: None, 4096)  # noqa: E731
        elif path == "poll_batch":
            call = lambda: obj.poll_batch(16, 1 << 16)  # noqa: E731
        elif node.kind == "image":
            call = lambda: (obj.position, obj.is_end_of_stream, obj.end_of_stream_position)  # noqa: E731
        else:
            call = lambda: (obj.is_connected, obj.image_count, obj.channel_status)  # noqa: E731
        what = f"{path} on {node}"
        self.close_from_thread(node, victim, what, call, delay)

    @rule(i=IDX, path=st.sampled_from(["offer_batch", "offer", "offer-supplier", "try_claim", "getters"]),
          client=st.booleans(), delay=st.sampled_from([0.0, 0.001, 0.01]))
    def close_publication_from_thread(self, i: int, path: str, client: bool, delay: float) -> None:
        node = self.pick("pub", i)
        if node is None:
            return
        obj = node.obj
        if path == "offer_batch":
            batch = MessageBatch.of([message(40)] * 8)
            call = lambda: offer_batch(obj, batch, max_wait=MAX_WAIT)  # noqa: E731
        elif path == "offer":
            call = lambda: obj.offer(message(FRAGMENTED))  # noqa: E731
        elif path == "offer-supplier":
            call = lambda: obj.offer(message(FRAGMENTED), lambda frame_length: frame_length)  # noqa: E731
        elif path == "try_claim":
            claim = BufferClaim()

            def call() -> Any:
                result = obj.try_claim(64, claim)
                if result > 0:
                    claim.abort()
                return result
        else:
            call = lambda: (obj.position, obj.position_limit, obj.is_connected, obj.channel_status)  # noqa: E731
        self.close_from_thread(node, node.client if client else node, f"{path} on {node}", call, delay)

    @rule(c=IDX, op=st.sampled_from(["put", "get", "buffer-write"]), client=st.booleans(),
          delay=st.sampled_from([0.0, 0.001]))
    def close_claim_holder_from_thread(self, c: int, op: str, client: bool, delay: float) -> None:
        """A claim's put/get (or a write through its buffer) while another thread closes the
        publication holding it: each one works or raises ResourceClosedError (a write
        through a released view: ValueError, which is also what the model expects after)."""
        node = self.pick("pub", c)
        if node is None or node.is_closed:
            return
        claim = BufferClaim()
        result = self.expect(node, f"try_claim(64) for {op} racing a close", lambda: node.obj.try_claim(64, claim))
        if isinstance(result, BaseException) or result < 0:
            return
        if op == "buffer-write":
            view = claim.buffer

            def write() -> None:
                try:
                    view[:8] = b"\xaa" * 8
                except ValueError:  # released by the close: no write reaches the term buffer
                    raise ResourceClosedError("the claim's view was released") from None
            call = write
        else:
            call = (lambda: claim.put(b"\xaa" * 8)) if op == "put" else claim.get
        self.close_from_thread(node, node.client if client else node, f"claim.{op}", call, delay)

    # -- concurrent offers with suppliers ---------------------------------------------------

    @rule(i=IDX, threads=st.integers(2, 3), messages=st.sampled_from([20, 100]), offerv=st.booleans())
    def offer_from_threads_with_suppliers(self, i: int, threads: int, messages: int, offerv: bool) -> None:
        """Threads offer on one publication, each with its own supplier; every message that
        arrives (in ``received_with_reserved_values``) carries its own thread's value."""
        node = self.pick("pub", i)
        # (an ExclusivePublication is single-writer: only a Publication's offers are thread-safe)
        if node is None or node.is_closed or not isinstance(node.obj, Publication) or not node.obj.is_connected:
            return
        pub = node.obj
        failures: list[BaseException] = []

        def offers(value: int) -> None:
            data = reserved_message(value)
            supplier = lambda frame_length: value  # noqa: E731
            send = (lambda: pub.offerv([data[:2], data[2:]], supplier)) if offerv else (lambda: pub.offer(data, supplier))
            deadline = time.monotonic() + 1  # back pressure (nobody polls meanwhile) ends the thread's offers
            try:
                for _ in range(messages):
                    while send() < 0 and time.monotonic() < deadline:
                        time.sleep(0)
            except BaseException as exc:  # noqa: BLE001  (checked below)
                failures.append(exc)

        workers = [threading.Thread(target=offers, args=(value,)) for value in range(-threads, 0)]
        Run.step(f"{node}: {threads} threads offer {messages} messages each, with suppliers (offerv={offerv})")
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(30)
        assert not any(worker.is_alive() for worker in workers), "an offering thread hung"
        assert not failures, f"{node}: concurrent offers with suppliers raised {failures!r}"
        self.received_with_reserved_values(node)

    def received_with_reserved_values(self, pub: Node) -> None:
        """Poll the subscriptions on ``pub``'s stream for a while, checking the reserved value
        of every tagged message."""
        subs = [n for n in self.nodes["sub"] if not n.is_closed and self.same_stream(pub, n)]
        checked: list[int] = []

        def check(data: bytes, header: Any) -> None:
            if data[:2] == RESERVED_MAGIC and len(data) == 10:
                value = int.from_bytes(data[2:], "little", signed=True)
                assert header.reserved_value == value, f"reserved value {header.reserved_value} on a message of {value}"
                checked.append(value)

        for sub in subs:
            deadline = time.monotonic() + 0.5
            while self.expect(sub, "poll (checking reserved values)", lambda: sub.obj.poll(check, 256)) \
                    and time.monotonic() < deadline:
                pass
        Run.step(f"checked the reserved values of {len(checked)} messages")
