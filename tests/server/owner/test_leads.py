"""Owner lead list (filter, search, sort, paging), detail, status changes and opening a lead."""

from __future__ import annotations

from tests.server.owner.people import OWNER, error_code


async def _ids(world, tenant, **params) -> tuple[list[str], dict]:
    response = await world.client.get(f"{OWNER}/leads", params=params, headers=tenant.owner_headers)
    assert response.status_code == 200, response.text
    body = response.json()
    return [lead["id"] for lead in body["items"]], body


async def test_status_filter_and_paging_report_total_limit_and_offset(world, tenant):
    leads = [await world.lead(tenant, process=False) for _ in range(3)]
    booked = await world.client.patch(
        f"{OWNER}/leads/{leads[1]['id']}", json={"status": "booked"}, headers=tenant.owner_headers
    )
    assert booked.status_code == 200 and booked.json()["status"] == "booked"

    ids, body = await _ids(world, tenant, status="booked")
    assert ids == [leads[1]["id"]] and body["total"] == 1
    ids, body = await _ids(world, tenant, status="new")
    assert set(ids) == {leads[0]["id"], leads[2]["id"]}

    first, body = await _ids(world, tenant, limit=2, offset=0)
    assert (len(first), body["total"], body["limit"], body["offset"]) == (2, 3, 2, 0)
    rest, body = await _ids(world, tenant, limit=2, offset=2)
    assert (len(rest), body["total"], body["offset"]) == (1, 3, 2)
    assert set(first) | set(rest) == {lead["id"] for lead in leads}


async def test_sort_newest_and_oldest_order_by_latest_activity(world, tenant):
    leads = [await world.lead(tenant, process=False) for _ in range(3)]
    created = [lead["id"] for lead in leads]
    newest, _ = await _ids(world, tenant, sort="newest")
    oldest, _ = await _ids(world, tenant, sort="oldest")
    assert newest == created[::-1]
    assert oldest == created
    invalid = await world.client.get(
        f"{OWNER}/leads", params={"sort": "sideways"}, headers=tenant.owner_headers
    )
    assert invalid.status_code == 422 and error_code(invalid) == "validation_error"


SEARCHES = [
    "Quartermain",  # name
    "quarter",  # prefix of a word
    "zeb.q@example.org",  # the whole email
    "zeb",  # email prefix
    "8675309",  # phone digits
    "(555) 867",  # phone as typed
    "gutter",  # service
    "moss remov",  # message words, the last a prefix
    "MARY-JANE",  # hyphenated name, any case
]


async def test_search_finds_a_lead_by_each_of_its_fields(world, tenant):
    target = await world.lead(
        tenant,
        process=False,
        customer_name="Mary-Jane Quartermain",
        customer_email="zeb.q@example.org",
        customer_phone="+1 (555) 867-5309",
        service_needed="Gutter repair",
        message="Roof moss removal in flat 12 please",
    )
    await world.lead(tenant, process=False, customer_phone="+44 20 7946 0000")
    for q in SEARCHES:
        ids, body = await _ids(world, tenant, q=q)
        assert ids == [target["id"]] and body["total"] == 1, q


async def test_search_does_not_match_unrelated_words_or_digits_in_text(world, tenant):
    await world.lead(
        tenant, process=False, customer_phone="+1 555 305 0000", message="Windows please"
    )
    for q in ("quartermain", "flat 305", "xyzzy"):
        ids, body = await _ids(world, tenant, q=q)
        assert ids == [] and body["total"] == 0, q


async def test_search_with_only_punctuation_or_quotes_never_fails(world, tenant):
    await world.lead(tenant, process=False)
    for q in ("!!!", "'\\", "a:b & c | !d", '"*'):
        response = await world.client.get(
            f"{OWNER}/leads", params={"q": q}, headers=tenant.owner_headers
        )
        assert response.status_code == 200, (q, response.text)


async def test_detail_of_an_unprocessed_lead_has_no_analysis_or_gate_yet(world, tenant):
    lead = await world.lead(tenant, process=False)
    assert (lead["ai"], lead["gate"], lead["comm_status"], lead["auto_sent"]) == (
        None,
        None,
        "new",
        False,
    )


async def test_detail_shows_analysis_and_all_gate_reasons_when_approval_is_required(world, tenant):
    lead = await world.lead(tenant)
    assert lead["ai"]["provider"] == "local" and lead["ai"]["status"] == "ok"
    assert 0.0 <= lead["ai"]["confidence_score"] <= 1.0
    assert lead["gate"]["allowed"] is False
    assert {"smart_auto_reply_disabled", "owner_approval_required"} <= set(lead["gate"]["reasons"])
    assert lead["auto_sent"] is False
    assert lead["comm_status"] == "acknowledged"


async def test_comm_status_follows_the_latest_outbound_message_type(world):
    tenant = await world.tenant(smart_auto_reply=True, owner_approval_required=False)
    lead = await world.lead(tenant)
    assert lead["gate"] == {"allowed": True, "reasons": []}
    assert lead["auto_sent"] is True and lead["comm_status"] == "ai_replied"

    reply = await world.client.post(
        f"{OWNER}/leads/{lead['id']}/messages",
        json={"content": "Happy to help, when suits you?"},
        headers=tenant.owner_headers,
    )
    assert reply.status_code == 201, reply.text
    note = await world.client.post(
        f"{OWNER}/leads/{lead['id']}/notes",
        json={"content": "Called, no answer"},
        headers=tenant.owner_headers,
    )
    assert note.status_code == 201
    detail = await world.client.get(f"{OWNER}/leads/{lead['id']}", headers=tenant.owner_headers)
    assert detail.json()["comm_status"] == "owner_replied"  # an internal note changes nothing
    assert detail.json()["status"] == "contacted"


async def test_status_change_is_stored_and_an_unknown_status_is_422(world, tenant):
    lead = await world.lead(tenant, process=False)
    url = f"{OWNER}/leads/{lead['id']}"
    changed = await world.client.patch(url, json={"status": "lost"}, headers=tenant.owner_headers)
    assert changed.status_code == 200 and changed.json()["status"] == "lost"
    assert changed.json()["version"] > lead["version"]
    bad = await world.client.patch(url, json={"status": "won"}, headers=tenant.owner_headers)
    assert bad.status_code == 422 and error_code(bad) == "validation_error"
    assert any("status" in str(d) for d in bad.json()["error"]["details"])
    again = await world.client.get(url, headers=tenant.owner_headers)
    assert again.json()["status"] == "lost"


async def test_opening_a_lead_marks_it_read_without_changing_its_status(world, tenant):
    lead = await world.lead(tenant, process=False)
    opened = await world.client.post(
        f"{OWNER}/leads/{lead['id']}/open", headers=tenant.owner_headers
    )
    assert opened.status_code == 200, opened.text
    assert opened.json()["status"] == "new"
    pulled = await world.client.get(
        f"{OWNER}/sync", params={"cursor": 0}, headers=tenant.owner_headers
    )
    data = next(c["data"] for c in pulled.json()["changes"] if c["id"] == lead["id"])
    assert data["opened_at"] is not None and data["status"] == "new"
    first_opened = data["opened_at"]
    await world.client.post(f"{OWNER}/leads/{lead['id']}/open", headers=tenant.owner_headers)
    pulled = await world.client.get(
        f"{OWNER}/sync", params={"cursor": 0}, headers=tenant.owner_headers
    )
    data = next(c["data"] for c in pulled.json()["changes"] if c["id"] == lead["id"])
    assert data["opened_at"] == first_opened  # the first read time stays


async def test_messages_list_the_thread_oldest_first_with_internal_draft(world, tenant):
    lead = await world.lead(tenant)
    response = await world.client.get(
        f"{OWNER}/leads/{lead['id']}/messages", headers=tenant.owner_headers
    )
    assert response.status_code == 200
    messages = response.json()
    assert [m["type"] for m in messages] == ["customer_message", "ai_draft", "acknowledgement"]
    assert [m["direction"] for m in messages] == ["inbound", "internal", "outbound"]
    times = [m["created_at"] for m in messages]
    assert times == sorted(times)
