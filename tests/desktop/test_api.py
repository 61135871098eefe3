"""The API client against the fake owner API: tokens, refresh once, typed errors, offline."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from desktop.api import ApiClient
from desktop.errors import AuthError, ConflictError, OfflineError, RateLimitedError
from tests.desktop.fake_server import FakeOwnerServer, error


async def test_login_hands_the_refresh_token_to_the_saver():
    server = FakeOwnerServer()
    saved: list[str] = []
    api = ApiClient(
        "http://testserver", transport=server.transport(), on_refresh_token=saved.append
    )
    tokens = await api.login("owner@sparkle.test", "owner-password-123")
    assert saved == [tokens.refresh_token]
    assert tokens.memberships[0].business_name == "Sparkle Cleaning"
    await api.aclose()


async def test_wrong_password_is_an_auth_error():
    server = FakeOwnerServer()
    api = ApiClient("http://testserver", transport=server.transport())
    with pytest.raises(AuthError) as caught:
        await api.login("owner@sparkle.test", "nope")
    assert caught.value.code == "invalid_credentials"
    await api.aclose()


async def test_calls_that_meet_a_401_together_spend_the_refresh_token_once():
    server = FakeOwnerServer()
    saved: list[str] = []
    api = ApiClient(
        "http://testserver",
        transport=server.transport(),
        refresh_token="refresh-0",
        on_refresh_token=saved.append,
    )
    api.access_token = "expired"
    pages = await asyncio.gather(api.pull(0), api.pull(0), api.pull(0))
    assert all(page.changes for page in pages)
    refreshes = [r for r in server.requests if r.url.path.endswith("/auth/refresh")]
    assert len(refreshes) == 1
    assert saved == ["refresh-1"]
    await api.aclose()


async def test_a_used_refresh_token_is_an_auth_error_and_forgets_the_tokens():
    server = FakeOwnerServer()
    api = ApiClient("http://testserver", transport=server.transport(), refresh_token="stale")
    with pytest.raises(AuthError):
        await api.pull(0)
    assert api.refresh_token is None
    await api.aclose()


async def test_error_codes_map_to_typed_errors():
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/form"):
            return error(409, "slug_taken", "That address is taken.")
        response = error(429, "rate_limited", "Slow down.")
        response.headers["Retry-After"] = "7"
        return response

    api = ApiClient("http://testserver", transport=httpx.MockTransport(handler))
    api.access_token = "token"
    with pytest.raises(ConflictError) as conflict:
        await api.update_form({"slug": "taken"})
    assert conflict.value.code == "slug_taken"
    assert conflict.value.message == "That address is taken."
    with pytest.raises(RateLimitedError) as limited:
        await api.metrics()
    assert limited.value.retry_after == 7.0
    await api.aclose()


async def test_an_unreachable_server_is_an_offline_error():
    server = FakeOwnerServer()
    server.offline = True
    api = ApiClient("http://testserver", transport=server.transport(), refresh_token="refresh-0")
    with pytest.raises(OfflineError):
        await api.pull(0)
    await api.aclose()


async def test_events_stream_yields_change_events():
    server = FakeOwnerServer()
    api = ApiClient("http://testserver", transport=server.transport(), refresh_token="refresh-0")
    seen = []

    async def read():
        async for event in api.events():
            seen.append(event)
            if event.event == "change":
                return

    reader = asyncio.create_task(read())
    while not server.event_queues:
        await asyncio.sleep(0.01)
    server.add_lead("Dana Doe")
    await asyncio.wait_for(reader, 5)
    assert seen[0].event == "comment"
    assert seen[-1].event == "change" and '"cursor"' in seen[-1].data
    await api.aclose()


def test_a_sync_page_is_peeked_for_its_cursor_and_parsed_in_one_pass():
    from desktop.api import parse_page, peek_page
    from desktop.errors import ServerError

    page = httpx.Response(200, content=b'{"cursor": 7, "has_more": true, "changes": []}')
    assert peek_page(page) == (7, True)
    assert parse_page(page).cursor == 7
    reordered = httpx.Response(200, content=b'{"has_more": false, "cursor": 3, "changes": []}')
    assert peek_page(reordered) is None  # the engine then parses before asking for more
    assert parse_page(reordered).cursor == 3
    for bad in (
        b'{"cursor": "x"}',
        b"not json",
        b'{"cursor": 1, "has_more": false, "changes": [{"entity": "robot", "id": "x"}]}',
        b'{"cursor": 1, "has_more": false, "changes": [{"entity": "lead",'
        b' "id": "00000000-0000-4000-8000-000000000001", "version": 1, "deleted": false,'
        b' "data": [1]}]}',
    ):
        with pytest.raises(ServerError):
            parse_page(httpx.Response(200, content=bad))
