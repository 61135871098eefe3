"""The public form: the branded page, its errors and success page, unavailable forms, QR codes
and field limits, each refused before anything is stored."""

from __future__ import annotations

import io
import re
import uuid
from html.parser import HTMLParser

import pytest
from PIL import Image

from tests.server.factories import submit
from tests.server.intake.probes import lead_count


class FormParser(HTMLParser):
    """The controls of a page: label targets, named fields with their attributes, options."""

    def __init__(self) -> None:
        super().__init__()
        self.labels: set[str] = set()
        self.fields: dict[str, dict[str, str | None]] = {}
        self.options: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "label" and values.get("for"):
            self.labels.add(str(values["for"]))
        if tag in ("input", "select", "textarea") and values.get("name"):
            self.fields[str(values["name"])] = {"tag": tag, **values}
        if tag == "option":
            self.options.append(str(values.get("value")))


def parse(html: str) -> FormParser:
    parser = FormParser()
    parser.feed(html)
    return parser


async def _brand(client, tenant, **form) -> None:  # type: ignore[no-untyped-def]
    business = await client.patch(
        "/api/v1/owner/business", json={"brand_color": "#0f766e"}, headers=tenant.owner_headers
    )
    assert business.status_code == 200, business.text
    response = await client.patch("/api/v1/owner/form", json=form, headers=tenant.owner_headers)
    assert response.status_code == 200, response.text


async def test_form_page_is_branded_labelled_and_carries_the_hidden_fields(client, tenant):
    await _brand(client, tenant, title="Book a clean", services=["Deep clean", "Windows"])
    response = await client.get(f"/forms/{tenant.slug}")

    assert response.status_code == 200
    assert "Sparkle Cleaning" in response.text and "Book a clean" in response.text
    assert "--brand: #0f766e" in response.text
    form = parse(response.text)
    visible = ["customer_name", "customer_email", "customer_phone", "service_needed"]
    visible += ["preferred_time", "message"]
    for name in visible:
        assert name in form.fields, name
        assert form.fields[name].get("id") in form.labels, f"{name} has no label"
    assert form.fields["service_needed"]["tag"] == "select"
    assert form.options[1:] == ["Deep clean", "Windows", "Other"]
    assert form.fields["submission_id"]["type"] == "hidden"
    uuid.UUID(str(form.fields["submission_id"]["value"]))
    assert form.fields["website"]["tabindex"] == "-1"  # the honeypot people never reach
    assert 'class="hp" aria-hidden="true"' in response.text


async def test_a_form_without_services_asks_for_the_service_as_free_text(client, tenant):
    await _brand(client, tenant, services=[])
    form = parse((await client.get(f"/forms/{tenant.slug}")).text)
    assert form.fields["service_needed"]["tag"] == "input"


async def test_invalid_html_submit_shows_errors_beside_the_fields_and_stores_nothing(
    ctx, client, tenant
):
    response = await client.post(
        f"/forms/{tenant.slug}",
        data={
            "customer_name": "Al Smith",
            "customer_email": "not-an-address",
            "message": "Hello",
            "submission_id": str(uuid.uuid4()),
        },
    )
    assert response.status_code == 422
    assert 'id="customer_email-error"' in response.text
    assert 'aria-describedby="customer_email-error"' in response.text
    assert "valid email address" in response.text
    assert 'value="Al Smith"' in response.text  # what was typed is kept
    assert await lead_count(ctx) == 0


async def test_html_submit_shows_the_forms_success_message(ctx, client, tenant):
    await _brand(client, tenant, success_message="Thanks, Sparkle will call you today-ish!")
    response = await client.post(
        f"/forms/{tenant.slug}",
        data={
            "customer_name": "Al Smith",
            "customer_email": "al@example.net",
            "message": "Could you clean our office?",
            "submission_id": str(uuid.uuid4()),
        },
    )
    assert response.status_code == 200
    assert "Thanks, Sparkle will call you today-ish!" in response.text
    assert "What happens next" in response.text
    assert await lead_count(ctx) == 1


@pytest.mark.parametrize("how", ["paused", "inactive_form"])
async def test_an_unavailable_form_answers_404_everywhere_and_stores_nothing(
    ctx, client, tenant, admin, how
):
    if how == "paused":
        response = await client.patch(
            f"/api/v1/admin/businesses/{tenant.id}/status", json={"status": "paused"}, headers=admin
        )
    else:
        response = await client.patch(
            "/api/v1/owner/form", json={"active": False}, headers=tenant.owner_headers
        )
    assert response.status_code == 200, response.text

    page = await client.get(f"/forms/{tenant.slug}")
    assert page.status_code == 404 and "This form is unavailable" in page.text
    posted = await client.post(
        f"/forms/{tenant.slug}", data={"customer_name": "Al Smith", "message": "Hi there"}
    )
    assert posted.status_code == 404 and "This form is unavailable" in posted.text
    described = await client.get(f"/api/v1/public/forms/{tenant.slug}")
    assert described.status_code == 404
    assert "unavailable" in described.json()["error"]["message"]
    submitted = await submit(client, tenant.slug)
    assert submitted.status_code == 404
    assert await lead_count(ctx) == 0


async def test_json_description_matches_the_form(client, tenant):
    await _brand(client, tenant, services=["Deep clean"], success_message="Got it!")
    body = (await client.get(f"/api/v1/public/forms/{tenant.slug}")).json()
    assert body["slug"] == tenant.slug and body["success_message"] == "Got it!"
    assert body["services"] == ["Deep clean"]
    assert body["business"]["name"] == "Sparkle Cleaning"
    assert body["business"]["brand_color"] == "#0f766e"


async def test_qr_codes_are_a_valid_png_and_an_svg(client, tenant):
    png = await client.get(f"/forms/{tenant.slug}/qr.png")
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    image = Image.open(io.BytesIO(png.content))
    image.verify()
    image = Image.open(io.BytesIO(png.content))
    assert image.format == "PNG"
    width, height = image.size
    assert width == height and width >= 21 * 10  # at least a version-1 code at box size 10
    svg = await client.get(f"/forms/{tenant.slug}/qr.svg")
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    assert re.search(r"<svg[^>]*>", svg.text) and "<path" in svg.text
    assert (await client.get("/forms/no-such-form/qr.png")).status_code == 404


@pytest.mark.parametrize("status", ["paused", "archived"])
async def test_a_paused_or_archived_business_has_no_qr_code(client, tenant, admin, status):
    response = await client.patch(
        f"/api/v1/admin/businesses/{tenant.id}/status", json={"status": status}, headers=admin
    )
    assert response.status_code == 200, response.text
    for kind in ("png", "svg"):
        assert (await client.get(f"/forms/{tenant.slug}/qr.{kind}")).status_code == 404
    assert (await client.get(f"/forms/{tenant.slug}")).status_code == 404


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"customer_name": "A"}, "customer_name"),
        ({"customer_name": "   "}, "customer_name"),
        ({"customer_name": "A" * 161}, "customer_name"),
        ({"customer_email": "casey@"}, "customer_email"),
        ({"customer_phone": "12"}, "customer_phone"),
        ({"service_needed": "s" * 181}, "service_needed"),
        ({"preferred_time": "t" * 181}, "preferred_time"),
        ({"message": "m" * 5001}, "message"),
        ({"utm_source": "u" * 201}, "utm_source"),
    ],
)
async def test_a_field_over_its_limit_is_refused_with_422_and_nothing_is_stored(
    ctx, client, tenant, fields, field
):
    response = await submit(client, tenant.slug, **fields)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert field in str(error["details"])
    assert await lead_count(ctx) == 0


async def test_fields_at_their_limits_are_accepted(ctx, client, tenant):
    response = await submit(
        client,
        tenant.slug,
        customer_name="A" * 160,
        service_needed="An unlisted service " * 9,
        message="m" * 5000,
    )
    assert response.status_code == 202, response.text
    assert await lead_count(ctx) == 1


async def test_an_oversized_body_is_refused_with_413_before_anything_is_stored(ctx, client, tenant):
    body = '{"customer_name": "Al Smith", "message": "' + "x" * 270_000 + '"}'
    response = await client.post(
        f"/api/v1/public/forms/{tenant.slug}/submit",
        content=body,
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"
    assert await lead_count(ctx) == 0


@pytest.mark.parametrize("body", ['{"customer_name": "Al Smith", "message": ', "[1, 2]", "null"])
async def test_a_malformed_body_is_refused_and_nothing_is_stored(ctx, client, tenant, body):
    response = await client.post(
        f"/api/v1/public/forms/{tenant.slug}/submit",
        content=body,
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code in (400, 422), response.text
    if body.endswith(": "):
        assert response.status_code == 400
    assert await lead_count(ctx) == 0
