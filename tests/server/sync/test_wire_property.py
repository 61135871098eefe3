"""The encoders made from one description agree, over generated rows, on both databases.

Rows of every entity the database writes (leads, messages, follow-ups, analyses) are generated
with awkward values, stored, pulled with the page statement (the SQL encoder of the database
under test) and read back for the Python encoder (``server.leads.wire``) and for the REST
routes' pydantic views; all three must give the same JSON, in the same field order.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from server.leads import wire
from server.leads.views import analysis_out, follow_up_out, gate_out, lead_out, message_out
from server.models.base import utcnow
from server.models.lead import AIAnalysis, FollowUp, Lead, Message
from server.sync.page_sql import page_parameters, page_statement
from shared.models.enums import (
    BlockedTopic,
    CommStatus,
    EmailStatus,
    FollowUpStatus,
    GateReason,
    Intent,
    LeadStatus,
    MessageDirection,
    MessageType,
    RiskLevel,
    Urgency,
)
from shared.models.follow_ups import FollowUpDay

# Every character a database stores in text: no lone surrogates, no NUL (PostgreSQL refuses it).
CHARS = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")
MOMENTS = st.datetimes(
    min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)
ZONES = ["UTC", "Pacific/Kiritimati", "America/Los_Angeles", "Asia/Kolkata", "Not/AZone"]


def text(max_size: int, min_size: int = 0) -> st.SearchStrategy[str]:
    return st.text(CHARS, min_size=min_size, max_size=max_size)


def maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | strategy


def values(vocabulary: Any) -> st.SearchStrategy[str]:
    return st.sampled_from([member.value for member in vocabulary])


@st.composite
def leads(draw: st.DrawFn) -> dict[str, Any]:
    reason = values(GateReason) | text(30) | st.integers(-5, 5) | st.none()
    return {
        "customer_name": draw(text(160, 1)),
        "customer_email": draw(maybe(text(320))),
        "customer_phone": draw(maybe(text(40))),
        "service_needed": draw(maybe(text(180))),
        "preferred_time": draw(maybe(text(180))),
        "message": draw(text(400)),
        "status": draw(values(LeadStatus)),
        "comm_status": draw(values(CommStatus)),
        "source": draw(text(32)),
        "utm_source": draw(maybe(text(200))),
        "utm_campaign": draw(maybe(text(200))),
        "referrer": draw(maybe(text(500))),
        "spam_suspected": draw(st.booleans()),
        "urgency": draw(maybe(values(Urgency))),
        "auto_sent": draw(st.booleans()),
        "gate_allowed": draw(maybe(st.booleans())),
        "gate_reasons": draw(st.lists(reason, max_size=5)),
        "opened_at": draw(maybe(MOMENTS)),
        "created_at": draw(MOMENTS),
        "updated_at": draw(MOMENTS),
        "last_activity_at": draw(MOMENTS),
    }


@st.composite
def messages(draw: st.DrawFn) -> dict[str, Any]:
    attachment = st.fixed_dictionaries(
        {
            "id": st.uuids().map(str),
            "filename": text(60),
            "content_type": text(40),
            "size": st.integers(0, 2**40),
        }
    )
    return {
        "type": draw(values(MessageType)),
        "direction": draw(values(MessageDirection)),
        "subject": draw(maybe(text(300))),
        "content": draw(text(400)),
        "client_id": draw(maybe(text(64))),
        "email_status": draw(maybe(values(EmailStatus))),
        "attachments": draw(st.lists(attachment, max_size=3)),
        "sender": draw(maybe(text(320))),
        "created_at": draw(MOMENTS),
    }


@st.composite
def follow_ups(draw: st.DrawFn, now: datetime) -> dict[str, Any]:
    # Around now, so every state of the rule (and the end of the business's day) comes up.
    soon = st.timedeltas(timedelta(days=-3), timedelta(days=3)).map(lambda delta: now + delta)
    return {
        "status": draw(values(FollowUpStatus)),
        "scheduled_at": draw(soon | MOMENTS),
        "sent_at": draw(maybe(MOMENTS)),
        "canceled_at": draw(maybe(MOMENTS)),
        "error": draw(maybe(text(200))),
    }


@st.composite
def analyses(draw: st.DrawFn) -> dict[str, Any]:
    parsed: dict[str, Any] = {
        "summary": draw(text(200)),
        "urgency": draw(values(Urgency)),
        "intent": draw(values(Intent)),
        "suggested_reply": draw(text(300)),
        "next_step": draw(text(100)),
        "tags": draw(st.lists(text(20), max_size=4)),
        "risk_level": draw(values(RiskLevel)),
        "confidence_score": draw(st.integers(0, 1) | st.floats(0, 1)),
        "blocked_topics": draw(st.lists(values(BlockedTopic), max_size=3, unique=True)),
        "auto_send_allowed": draw(st.booleans()),
    }
    for key, value in (("spam", st.booleans()), ("intent_word", maybe(text(30)))):
        if draw(st.booleans()):  # left out: written before the key existed
            parsed[key] = draw(value)
    return {
        "provider": draw(text(32)),
        "model": draw(text(120)),
        "prompt_version": "v1",
        "status": draw(st.sampled_from(["ok", "fallback"])),
        "parsed": parsed,
        "created_at": draw(MOMENTS),
    }


NOW = utcnow()
BATCHES = st.fixed_dictionaries(
    {
        "lead": leads(),
        "message": st.lists(messages(), max_size=2),
        "follow_up": st.lists(follow_ups(NOW), max_size=3),
        "ai_analysis": st.lists(analyses(), max_size=1),
        "zone": st.sampled_from(ZONES),
    }
)


def _json(data: dict[str, Any]) -> bytes:
    """JSON text to compare: ``1`` is not ``1.0``; the key order of a stored JSON value is the
    database's (PostgreSQL's ``jsonb`` sorts keys), so keys are sorted."""
    return orjson.dumps(data, option=orjson.OPT_SORT_KEYS)


def _pydantic_view(tag: str, obj: Any, day: FollowUpDay) -> dict[str, Any]:
    """The row as the REST routes' pydantic views give it, plus the pull's extra fields."""
    if tag == "lead":
        gate = gate_out(obj)
        return lead_out(obj).model_dump(mode="json") | {
            "gate": gate.model_dump(mode="json") if gate else None,
            "opened_at": obj.opened_at.isoformat() if obj.opened_at else None,
        }
    if tag == "message":
        return message_out(obj).model_dump(mode="json")
    if tag == "follow_up":
        return follow_up_out(obj, day).model_dump(mode="json")
    return analysis_out(obj).model_dump(mode="json") | {
        "id": str(obj.id),
        "lead_id": str(obj.lead_id),
    }


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(batch=BATCHES)
async def test_sql_python_and_pydantic_encoders_agree_on_generated_rows(world, tenant, batch):
    business_id = uuid.UUID(tenant.id)
    day = FollowUpDay.of(NOW, batch["zone"])
    async with world.ctx.db.session() as session:
        head = (
            await session.execute(
                page_statement(session.get_bind().dialect.name),
                page_parameters(business_id, 0, 1, day),
            )
        ).first()[0]
        lead = Lead(business_id=business_id, submission_id=uuid.uuid4(), **batch["lead"])
        session.add(lead)
        await session.flush()
        owned = {"business_id": business_id, "lead_id": lead.id}
        session.add_all(Message(**owned, **row) for row in batch["message"])
        session.add_all(FollowUp(**owned, **row) for row in batch["follow_up"])
        session.add_all(AIAnalysis(**owned, **row) for row in batch["ai_analysis"])

    async with world.ctx.db.session() as session:
        page = (
            await session.execute(
                page_statement(session.get_bind().dialect.name),
                page_parameters(business_id, head, 500, day),
            )
        ).all()
        pulled = [row for row in page if row.tag in wire.ENTITIES]
        expected = 1 + sum(len(batch[tag]) for tag in ("message", "follow_up", "ai_analysis"))
        assert len(pulled) == expected
        for row in pulled:
            assert row.body is not None, f"{row.tag} left to Python"
            change = orjson.loads(row.body)
            entity = wire.ENTITIES[row.tag]
            row_id = uuid.UUID(change["id"])
            [values_] = await session.execute(
                select(*entity.columns).where(entity.model.id == row_id)
            )
            python = orjson.loads(wire.dumps(entity.encoder(day)(values_)))
            view = _pydantic_view(row.tag, await session.get(entity.model, row_id), day)
            assert _json(change["data"]) == _json(python) == _json(view), row.tag
            assert list(change["data"]) == list(python) == list(view), f"{row.tag}: field order"
            assert change["version"] == values_[entity.position("version")]
