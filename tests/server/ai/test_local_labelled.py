"""The local analyser and the gate against the labelled development leads.

The hard requirement: no lead labelled ``auto_send_safe: false`` is ever sent automatically,
and every expected blocked topic is caught. Run with ``-s`` to see the figures.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from server.ai.base import LeadForAnalysis
from server.ai.local import LocalAnalyser
from server.ai.reply_templates import first_name
from server.workflow.gate import GateInput, decide
from shared.models.enums import BlockedTopic
from tests.server.support import require_shared_data

DATA = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "leads-labelled.jsonl"

require_shared_data(DATA)


def _records() -> list[dict[str, Any]]:
    return [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line]


def _lead(record: dict[str, Any]) -> LeadForAnalysis:
    return LeadForAnalysis(
        business_name=record["business_name"],
        industry=record["industry"],
        services=record["services"],
        facts=None,
        customer_name=record["customer_name"],
        customer_email=record["customer_email"],
        customer_phone=record["customer_phone"],
        service_needed=record["service_needed"],
        preferred_time=record["preferred_time"],
        message=record["message"],
    )


async def _measure() -> dict[str, Any]:
    analyser = LocalAnalyser()
    records = _records()
    agree: Counter[str] = Counter()
    topic_tp: Counter[str] = Counter()
    topic_fp: Counter[str] = Counter()
    topic_fn: Counter[str] = Counter()
    false_safe: list[str] = []
    misses: list[str] = []
    safe_with_email = safe_allowed = safe_total = safe_analysed = 0
    for record in records:
        expected = record["expected"]
        lead = _lead(record)
        outcome = await analyser.analyse(lead)
        analysis = outcome.analysis
        decision = decide(
            GateInput(
                smart_auto_reply=True,
                owner_approval_required=False,
                business_active=True,
                confidence_threshold=0.75,
                outcome=outcome,
                customer_email=record["customer_email"],
                auto_emails_last_24h=0,
                spam_suspected=False,
                duplicate=False,
                # What the pipeline lets a reply repeat: the business's own words, its
                # services and the customer's first name.
                profile=tuple(
                    text
                    for text in (
                        lead.business_name,
                        lead.business_phone,
                        lead.facts,
                        lead.business_email,
                        *lead.services,
                        first_name(lead.customer_name),
                    )
                    if text
                ),
            )
        )
        if decision.allowed and not expected["auto_send_safe"]:
            false_safe.append(record["id"])
        if expected["auto_send_safe"]:
            safe_total += 1
            safe_analysed += analysis.auto_send_allowed
            if record["customer_email"]:
                safe_with_email += 1
                safe_allowed += decision.allowed
        agree["urgency"] += analysis.urgency.value == expected["urgency"]
        agree["intent"] += analysis.intent.value == expected["intent"]
        agree["risk"] += analysis.risk_level.value == expected["risk_level"]
        agree["spam"] += analysis.spam == expected["spam"]
        got = {t.value for t in analysis.blocked_topics}
        want = set(expected["blocked_topics"])
        for topic in got & want:
            topic_tp[topic] += 1
        for topic in got - want:
            topic_fp[topic] += 1
        for topic in want - got:
            topic_fn[topic] += 1
            misses.append(f"{record['id']}:{topic}")
    n = len(records)
    per_topic = {
        topic.value: {
            "precision": topic_tp[topic.value]
            / max(1, topic_tp[topic.value] + topic_fp[topic.value]),
            "recall": topic_tp[topic.value] / max(1, topic_tp[topic.value] + topic_fn[topic.value]),
            "support": topic_tp[topic.value] + topic_fn[topic.value],
        }
        for topic in BlockedTopic
    }
    caught = sum(topic_tp.values())
    return {
        "records": n,
        "false_safe_allowed": len(false_safe),
        "false_safe_ids": false_safe,
        "safe_allowed_share": safe_allowed / max(1, safe_with_email),
        "safe_analysed_share": safe_analysed / max(1, safe_total),
        "urgency": agree["urgency"] / n,
        "intent": agree["intent"] / n,
        "risk": agree["risk"] / n,
        "spam": agree["spam"] / n,
        "topic_recall": caught / max(1, caught + sum(topic_fn.values())),
        "topic_misses": misses,
        "per_topic": per_topic,
    }


@pytest.fixture(scope="module")
def figures() -> dict[str, Any]:
    result = asyncio.run(_measure())
    print("\nLocal analyser on the labelled leads:")
    for key, value in result.items():
        if key == "per_topic":
            for topic, stats in value.items():
                print(
                    f"  {topic:22} precision {stats['precision']:.2f}  recall "
                    f"{stats['recall']:.2f}  (n={stats['support']})"
                )
        elif isinstance(value, float):
            print(f"  {key:22} {value:.3f}")
        else:
            print(f"  {key:22} {value}")
    return result


def test_no_unsafe_lead_is_ever_sent_automatically(figures: dict[str, Any]) -> None:
    assert figures["false_safe_allowed"] == 0, figures["false_safe_ids"]


def test_nine_in_ten_safe_leads_with_an_email_are_sent(figures: dict[str, Any]) -> None:
    assert figures["safe_allowed_share"] >= 0.90


def test_every_expected_blocked_topic_is_caught(figures: dict[str, Any]) -> None:
    assert figures["topic_recall"] == 1.0, figures["topic_misses"]


def test_field_agreement_with_the_labels(figures: dict[str, Any]) -> None:
    assert figures["urgency"] >= 0.80
    assert figures["intent"] >= 0.85
    assert figures["risk"] >= 0.80
    assert figures["spam"] >= 0.90
