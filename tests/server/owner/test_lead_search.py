"""A search that matches many leads takes another plan than a rare one; both give the same page."""

from __future__ import annotations

import uuid

import pytest

from server.leads import repository
from server.models.lead import Lead
from tests.server.owner.people import OWNER

# (query, the leads below it matches by index)
CASES = [
    ("office", [0, 1, 3, 4]),
    ("offi", [0, 1, 3, 4]),  # a prefix
    ("office stairs", [1, 4]),
    ("867 53", [2, 3]),  # a phone fragment, as typed: matches inside phone numbers
    ("Dubois", [0, 2]),
    ("nothing-like-this", []),
]


async def _seed(world, tenant) -> list[str]:
    fields = [
        dict(customer_name="Ana Dubois", customer_phone="+1 415 000 1111", message="office clean"),
        dict(customer_name="Ben Okafor", message="office stairs and windows"),
        dict(customer_name="Cleo Dubois", customer_phone="+1 (415) 867-5309", message="garden"),
        dict(customer_name="Dan Ito", customer_phone="+1 212 867 5300", message="office windows"),
        dict(customer_name="Eve Khan", message="Office and stairs, please"),
    ]
    return [(await world.lead(tenant, process=False, **f))["id"] for f in fields]


async def _search(world, tenant, **params) -> dict:
    response = await world.client.get(f"{OWNER}/leads", params=params, headers=tenant.owner_headers)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize("matches", ["rare", "common"])
async def test_a_search_gives_the_same_pages_for_few_and_for_many_matches(
    world, tenant, monkeypatch, matches
):
    ids = await _seed(world, tenant)
    # The plan is chosen by the match count; move the threshold instead of making 2,000 leads.
    monkeypatch.setattr(repository, "RARE_MATCHES", 10**9 if matches == "rare" else 0)
    newest_first = ids[::-1]  # leads were created in order and have no later activity
    for q, hits in CASES:
        expected = [lead for lead in newest_first if ids.index(lead) in hits]
        body = await _search(world, tenant, q=q)
        assert [lead["id"] for lead in body["items"]] == expected, q
        assert body["total"] == len(expected), q
        oldest = await _search(world, tenant, q=q, sort="oldest")
        assert [lead["id"] for lead in oldest["items"]] == expected[::-1], q
        paged = await _search(world, tenant, q=q, limit=1, offset=1)
        assert [lead["id"] for lead in paged["items"]] == expected[1:2], q
        assert (paged["total"], paged["limit"], paged["offset"]) == (len(expected), 1, 1)

    booked = await world.client.patch(
        f"{OWNER}/leads/{ids[1]}", json={"status": "booked"}, headers=tenant.owner_headers
    )
    assert booked.status_code == 200
    body = await _search(world, tenant, q="office", status="new")
    assert [lead["id"] for lead in body["items"]] == [ids[4], ids[3], ids[0]]
    assert body["total"] == 3


async def test_the_search_index_follows_edits_deletes_and_never_counts_another_business(
    world, tenant
):
    ids = await _seed(world, tenant)
    other = await world.tenant(name="Other Office Co")
    await world.lead(
        other, process=False, message="office office", customer_phone="+1 867 530 0000"
    )
    for q in ("office", "867 53"):
        body = await _search(world, tenant, q=q)
        assert {lead["id"] for lead in body["items"]} <= set(ids), q
        assert body["total"] == {"office": 4, "867 53": 2}[q], q

    async with world.ctx.db.session() as session:
        renamed = await session.get(Lead, uuid.UUID(ids[1]))
        assert renamed is not None
        renamed.customer_name = "Zora Quinlan"
        renamed.message = "garden only"
        gone = await session.get(Lead, uuid.UUID(ids[3]))
        await session.delete(gone)
    assert (await _search(world, tenant, q="okafor"))["total"] == 0
    found = await _search(world, tenant, q="zora quinl")
    assert [lead["id"] for lead in found["items"]] == [ids[1]] and found["total"] == 1
    office = await _search(world, tenant, q="office")
    assert [lead["id"] for lead in office["items"]] == [ids[4], ids[0]]
    assert office["total"] == 2
    phone = await _search(world, tenant, q="867 53")
    assert [lead["id"] for lead in phone["items"]] == [ids[2]] and phone["total"] == 1
