"""The change event stream on real servers: in one process, across processes on PostgreSQL
(LISTEN/NOTIFY), and its clean end when the server is stopped."""

from __future__ import annotations

import asyncio
import signal

import httpx

from tests.server.factories import submit
from tests.server.sync.event_stream import EventStream
from tests.server.sync.truth import head
from tests.support.live_server import LiveServer, ProcessServer


async def test_a_new_lead_reaches_a_connected_stream(world, tenant, settings):
    server = LiveServer(settings).start()
    try:
        async with EventStream(server.url, tenant.owner_headers) as stream:
            event, data = await stream.next(timeout=5)
            assert stream.status == 200
            assert (event, data) == ("change", {"cursor": await head(world.ctx, tenant.id)})
            async with httpx.AsyncClient(base_url=server.url) as http:
                assert (await submit(http, tenant.slug)).status_code == 202
                # Pushed at once, never polled for; the bound allows for a loaded CI machine
                # (bench/sync.py measures the latency: docs/BENCHMARKS.md, change events).
                cursor = await stream.cursor_after(data["cursor"], timeout=3.0)
            assert cursor == await head(world.ctx, tenant.id)
    finally:
        assert server.stop()


async def test_a_stream_only_hears_its_own_business(world, tenant, settings):
    other = await world.tenant(name="Quiet Neighbour")
    server = LiveServer(settings).start()
    try:
        async with EventStream(server.url, tenant.owner_headers) as stream:
            await stream.next(timeout=5)
            async with httpx.AsyncClient(base_url=server.url) as http:
                assert (await submit(http, other.slug)).status_code == 202
                try:
                    event = await stream.next(timeout=0.7)
                except TimeoutError:
                    event = None
            assert event is None
    finally:
        assert server.stop()


async def test_a_change_in_one_process_reaches_a_stream_on_another(pg_world, pg_url):
    tenant = await pg_world.tenant()
    settings = pg_world.ctx.settings
    first, second = LiveServer(settings).start(), LiveServer(settings).start()
    try:
        async with EventStream(first.url, tenant.owner_headers) as stream:
            _, data = await stream.next(timeout=5)
            async with httpx.AsyncClient(base_url=second.url) as http:
                assert (await submit(http, tenant.slug)).status_code == 202
                # No process polls: only LISTEN/NOTIFY can bring the other process's change.
                # The bound is generous (a loaded CI machine); bench/sync.py measures the
                # latency (docs/BENCHMARKS.md, change events).
                cursor = await stream.cursor_after(data["cursor"], timeout=3.0)

                leads = await http.get("/api/v1/owner/leads", headers=tenant.owner_headers)
                lead_id = leads.json()["items"][0]["id"]
                changed = await http.patch(
                    f"/api/v1/owner/leads/{lead_id}",
                    json={"status": "booked"},
                    headers=tenant.owner_headers,
                )
                assert changed.status_code == 200
                assert await stream.cursor_after(cursor, timeout=3.0) == await head(
                    pg_world.ctx, tenant.id
                )
    finally:
        assert first.stop() and second.stop()


async def test_a_stream_whose_client_left_is_let_go_at_once(world, tenant, settings):
    """A desktop that closes its connection is forgotten now, not at the next heartbeat (15 s):
    5,000 listeners (bench/events.py) must not pile up when clients come and go."""
    server = LiveServer(settings).start()
    hub = server.app.state.events
    try:
        for _ in range(3):
            async with EventStream(server.url, tenant.owner_headers) as stream:
                await stream.next(timeout=5)
                assert hub.open_streams == 1
            for _ in range(200):
                if hub.open_streams == 0:
                    break
                await asyncio.sleep(0.01)
            assert hub.open_streams == 0
        async with httpx.AsyncClient(base_url=server.url) as http:
            assert (await submit(http, tenant.slug)).status_code == 202  # nobody to tell
    finally:
        assert server.stop()


async def test_open_streams_end_cleanly_when_the_server_is_stopped(world, tenant, settings):
    server = ProcessServer(settings)
    try:
        await server.wait_ready()
        async with EventStream(server.url, tenant.owner_headers) as stream:
            await stream.next(timeout=5)
            await asyncio.sleep(1.0)
            assert not stream.ended.is_set()
            server.terminate()
            await asyncio.wait_for(stream.ended.wait(), timeout=5)
            assert stream.error is None  # the response ended properly, not cut off
        exit_code = await asyncio.to_thread(server.process.wait, 10)
        assert exit_code in (0, -signal.SIGTERM)  # uvicorn re-raises the signal it handled
    finally:
        server.kill()
