"""The HTML form's render token: signed with a key of its own, valid for a day, and good for
one submission only (a bot cannot reuse one page for many leads)."""

from __future__ import annotations

import time
import uuid

import jwt
import pytest

from server.auth.security import ALGORITHM, purpose_key
from tests.server.intake.probes import lead_count, new_email
from tests.server.intake.test_spam import _page_token


def _fields(token: str, submission_id: str) -> dict[str, str]:
    return {
        "customer_name": "Al Smith",
        "customer_email": new_email(),
        "message": "Could you clean our office?",
        "form_token": token,
        "submission_id": submission_id,
    }


async def test_a_page_stores_one_lead_however_often_its_token_is_replayed(ctx, client, tenant):
    token, submission_id = await _page_token(client, tenant.slug)
    first = await client.post(f"/forms/{tenant.slug}", data=_fields(token, submission_id))
    assert first.status_code == 200 and "Request received" in first.text
    again = await client.post(f"/forms/{tenant.slug}", data=_fields(token, submission_id))
    assert again.status_code == 200  # a double click: the same answer, nothing more stored
    for _ in range(3):
        replayed = await client.post(
            f"/forms/{tenant.slug}", data=_fields(token, str(uuid.uuid4()))
        )
        assert replayed.status_code == 422 and "send it again" in replayed.text
    assert await lead_count(ctx) == 1


async def test_an_expired_or_foreign_token_gets_the_form_back_with_a_fresh_one(
    ctx, client, tenant, settings
):
    submission_id = str(uuid.uuid4())
    key = purpose_key(settings.secret_key.get_secret_value(), "form-token")
    long_ago = time.time() - 2 * 86_400
    expired = jwt.encode(
        {"f": tenant.slug, "s": submission_id, "t": long_ago, "exp": int(long_ago + 86_400)},
        key,
        algorithm=ALGORITHM,
    )
    response = await client.post(f"/forms/{tenant.slug}", data=_fields(expired, submission_id))
    assert response.status_code == 422 and "send it again" in response.text
    assert 'value="Al Smith"' in response.text  # what was typed is kept
    fresh, fresh_id = await _page_token(client, tenant.slug)
    other_form = await client.post("/forms/other-shop", data=_fields(fresh, fresh_id))
    assert other_form.status_code == 404
    assert await lead_count(ctx) == 0


@pytest.mark.settings(form_min_fill_s=0.0)
async def test_the_form_token_is_not_signed_with_the_access_token_key(client, tenant, settings):
    token, _submission_id = await _page_token(client, tenant.slug)
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, settings.secret_key.get_secret_value(), algorithms=[ALGORITHM])
    key = purpose_key(settings.secret_key.get_secret_value(), "form-token")
    assert jwt.decode(token, key, algorithms=[ALGORITHM])["f"] == tenant.slug
