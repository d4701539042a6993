"""MediaDriver settings, DriverProcess, invoker mode, counters, CnC, channel URIs, idle strategies."""

from __future__ import annotations


import pytest

from aeron_cffi import (
    Aeron,
    BackoffIdleStrategy,
    BusySpinIdleStrategy,
    ChannelUri,
    CncFile,
    Context,
    DriverProcess,
    MediaDriver,
    NoOpIdleStrategy,
    SleepingIdleStrategy,
    ThreadingMode,
    YieldingIdleStrategy,
    is_driver_active,
    request_driver_termination,
    version_info,
)
from aeron_cffi.counters import RECORD_ALLOCATED

from helpers import offer_all, wait_until


def test_media_driver_settings_are_keywords(tmp_path):
    with MediaDriver(dir=tmp_path / "md", threading_mode=ThreadingMode.SHARED, term_buffer_length=1 << 16,
                     ipc_term_buffer_length=1 << 17, dir_delete_on_start=True, dir_delete_on_shutdown=True,
                     client_liveness_timeout_ns=5_000_000_000, receiver_group_tag=None,
                     sender_wildcard_port_range=(20000, 20100)) as driver:
        assert driver.get("term_buffer_length") == 1 << 16
        assert driver.get("ipc_term_buffer_length") == 1 << 17
        assert driver.get("threading_mode") == ThreadingMode.SHARED
        assert driver.dir == str(tmp_path / "md")
        assert is_driver_active(driver.dir, 1000)
    assert not (tmp_path / "md").exists()
    with pytest.raises(TypeError, match="unexpected setting"):
        MediaDriver(dir=tmp_path / "x", bogus=1)


def test_invoker_mode_client_and_driver(tmp_path):
    with MediaDriver(dir=tmp_path / "inv", threading_mode="INVOKER", manual_main_loop=True,
                     ipc_term_buffer_length=1 << 16, dir_delete_on_start=True,
                     dir_delete_on_shutdown=True) as driver:
        import threading

        running = True

        def drive():
            while running:
                driver.idle(driver.do_work())

        thread = threading.Thread(target=drive)
        thread.start()
        try:
            with Aeron(Context(dir=driver.dir, use_conductor_agent_invoker=True)) as client:
                subscription = client.add_subscription("aeron:ipc", 1)
                publication = client.add_publication("aeron:ipc", 1)
                wait_until(lambda: publication.is_connected, "connection", client.do_work)
                offer_all(publication, [b"invoked"])
                got = []
                wait_until(lambda: got, "message", lambda: (
                    client.do_work(), subscription.poll(lambda d, h: got.append(d))))
                assert got == [b"invoked"]
        finally:
            running = False
            thread.join()


def test_driver_process_with_generated_configuration(tmp_path):
    with DriverProcess(tmp_path / "proc", threading_mode="SHARED", term_buffer_length=65536,
                       ipc_term_buffer_length=65536) as process:
        assert process.is_running
        assert "aeron.threading.mode=SHARED" in process.config_path.read_text()
        with Aeron(dir=process.dir) as client, CncFile(process.dir) as cnc:
            assert cnc.constants.pid == process.process.pid
            assert cnc.to_driver_heartbeat > 0 and cnc.filename.endswith("cnc.dat")
            counter = client.add_counter(4242, b"key", "python counter")
            counter.value = 7
            assert counter.increment(3) == 7 and counter.value == 10
            assert counter.compare_and_set(10, 11) and not counter.compare_and_set(10, 12)
            reader = cnc.counters_reader()
            wait_until(lambda: any(c.type_id == 4242 for c in reader), "counter in CnC")
            info = next(c for c in reader if c.type_id == 4242)
            assert (info.label, info.value, info.key[:3]) == ("python counter", 11, b"key")
            assert reader.label(info.counter_id) == "python counter"
            assert reader.state(info.counter_id) == RECORD_ALLOCATED
            assert reader.type_id(info.counter_id) == 4242
            assert reader.registration_id(info.counter_id) == counter.registration_id
            assert reader.find_by_type_id_and_registration_id(4242, counter.registration_id) == info.counter_id
            assert isinstance(cnc.error_log_read(), list) and isinstance(cnc.loss_reporter_read(), list)
        code = process.stop()
    assert code == 0


def test_channel_uri_parse_and_build():
    uri = ChannelUri.parse("aeron:udp?endpoint=localhost:40123|term-length=65536")
    assert uri.media == "udp" and uri["endpoint"] == "localhost:40123"
    uri["mtu"] = 8192
    del uri["term-length"]
    assert uri.params() == {"endpoint": "localhost:40123", "mtu": "8192"}
    assert ChannelUri.parse(str(uri)) == uri
    built = ChannelUri(media="ipc", term_length=65536, prefix="aeron-spy")
    assert str(built) == "aeron-spy:aeron:ipc?term-length=65536"
    built.set_initial_position(4096, 10, 65536)
    assert built["init-term-id"] == "10" and built["term-offset"] == "4096"


def test_idle_strategies_return_and_back_off():
    backoff = BackoffIdleStrategy(max_spins=1, max_yields=1, min_park_period_ns=1000, max_park_period_ns=4000)
    for _ in range(5):
        backoff.idle(0)
    assert backoff.park_period_ns == 4000
    backoff.idle(1)
    assert backoff.spins == 0 and backoff.park_period_ns == 1000
    for strategy in (BusySpinIdleStrategy(), YieldingIdleStrategy(), SleepingIdleStrategy(1000), NoOpIdleStrategy()):
        assert strategy.idle(0) is None
    with pytest.raises(ValueError):
        SleepingIdleStrategy(-1)


def test_client_identity_handlers_and_images(aeron):
    assert aeron.client_id >= 0
    first, second = aeron.next_correlation_id(), aeron.next_correlation_id()
    assert second > first
    assert version_info().major >= 1
    available, gone = [], []
    registration = aeron.add_available_counter_handler(lambda reader, reg, cid: available.append(reg))
    unregistration = aeron.add_unavailable_counter_handler(lambda reader, reg, cid: gone.append(reg))
    closed = []
    aeron.add_close_handler(lambda: closed.append(True))
    counter = aeron.add_counter(1001, b"", "handled")
    wait_until(lambda: counter.registration_id in available, "available counter")
    counter.close()
    wait_until(lambda: gone, "unavailable counter")
    registration.close()
    unregistration.close()
    images = []
    subscription = aeron.add_subscription("aeron:ipc", 77, on_available_image=lambda im: images.append(
        (im.session_id, im.source_identity)))
    publication = aeron.add_publication("aeron:ipc", 77)
    wait_until(lambda: images, "image callback")
    assert images[0][0] == publication.session_id
    image = subscription.image_by_session_id(publication.session_id)
    assert image.session_id == publication.session_id and image.position == 0
    assert not image.is_end_of_stream and image.active_transport_count >= 0
    offer_all(publication, [b"a", b"b"])
    got = []
    wait_until(lambda: len(got) == 2, "image poll", lambda: image.poll(lambda d, h: got.append(d)))
    assert got == [b"a", b"b"] and image.position == publication.position
    seen = []
    subscription.for_each_image(lambda im: seen.append(im.session_id))
    assert seen == [publication.session_id]
    image.close()
    assert aeron.next_session_id(77) not in (0, publication.session_id)
    kept = aeron.add_counter(1001, b"", "kept counter")
    lines = []
    aeron.print_counters(lines.append)
    assert any(line.strip().startswith(f"{kept.counter_id}:") and "kept counter" in line for line in lines)
    assert any("Bytes sent" in line for line in lines)


def test_termination_request_runs_validator_then_hook(tmp_path):
    tokens: list[bytes] = []
    hooked: list[bool] = []
    with MediaDriver(dir=tmp_path / "term", threading_mode="SHARED", dir_delete_on_start=True,
                     dir_delete_on_shutdown=True,
                     termination_validator=lambda token: tokens.append(token) or token == b"let me stop",
                     termination_hook=lambda: hooked.append(True)) as driver:
        request_driver_termination(driver.dir, b"wrong token")
        wait_until(lambda: tokens == [b"wrong token"], "validator call")
        assert not hooked  # refused
        request_driver_termination(driver.dir, b"let me stop")
        wait_until(lambda: hooked, "termination hook")
        assert tokens == [b"wrong token", b"let me stop"]


def test_idle_sleep_duration_rebuilds_the_default_idle_strategy(aeron_testbed, media_driver):
    # C builds the "sleep-ns" strategy from the duration in aeron_context_init only.
    context = Context(idle_sleep_duration_ns=100_000)
    assert context.get("idle_sleep_duration_ns") == 100_000
    assert (context.get("idle_strategy"), context.get("idle_strategy_init_args")) == ("sleep-ns", "100000")
    chosen = Context(idle_strategy="yield", idle_sleep_duration_ns=100_000)  # an explicit strategy stays
    assert chosen.get("idle_strategy") == "yield"
    chosen.close()
    context.set("dir", media_driver.dir)
    with Aeron(context) as client:  # and the client runs with it
        assert client.add_publication("aeron:ipc", 5).channel == "aeron:ipc"
