"""The owner's business profile (staff limits, audit) and the public form (slug, QR code)."""

from __future__ import annotations

import io

import qrcode
from PIL import Image, ImageChops

from tests.server.owner.people import OWNER, error_code


async def _audit(world, business_id: str, action: str) -> list[dict]:
    response = await world.client.get(
        "/api/v1/admin/audit-logs",
        params={"business_id": business_id, "action": action},
        headers=world.admin,
    )
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def test_owner_edits_profile_branding_and_automation_and_each_change_is_audited(
    world, tenant
):
    change = {
        "name": "Sparkle & Shine",
        "phone": "+1 555 0100",
        "brand_color": "#112233",
        "smart_auto_reply": True,
        "owner_approval_required": False,
        "contact_email": "Front@Sparkle.example",
    }
    response = await world.client.patch(
        f"{OWNER}/business", json=change, headers=tenant.owner_headers
    )
    assert response.status_code == 200, response.text
    got = await world.client.get(f"{OWNER}/business", headers=tenant.owner_headers)
    body = got.json()
    assert {k: body[k] for k in change} == change | {"contact_email": "front@sparkle.example"}
    assert body["form_slug"] == tenant.slug and body["form_url"].endswith(f"/forms/{tenant.slug}")
    [entry] = await _audit(world, tenant.id, "business.updated")
    assert entry["old_values"]["brand_color"] == "#2563eb"
    assert entry["new_values"]["brand_color"] == "#112233"
    assert entry["old_values"]["name"] == "Sparkle Cleaning"
    assert entry["actor"] == tenant.owner_email


async def test_staff_edit_the_profile_but_not_automation_branding_or_contact(world, tenant):
    staff = await world.staff(tenant)
    ok = await world.client.patch(f"{OWNER}/business", json={"phone": "+1 555 0199"}, headers=staff)
    assert ok.status_code == 200, ok.text
    for field, value in {
        "smart_auto_reply": True,
        "owner_approval_required": False,
        "auto_reply_threshold": 0.1,
        "brand_color": "#000000",
        "contact_email": "staff@example.com",
    }.items():
        response = await world.client.patch(f"{OWNER}/business", json={field: value}, headers=staff)
        assert response.status_code == 403, field
        assert error_code(response) == "forbidden"
    body = (await world.client.get(f"{OWNER}/business", headers=staff)).json()
    assert body["phone"] == "+1 555 0199"
    assert (body["smart_auto_reply"], body["brand_color"]) == (False, "#2563eb")


async def test_invalid_business_fields_are_422_with_the_field_named(world, tenant):
    for body, field in [
        ({"brand_color": "red"}, "brand_color"),
        ({"contact_email": "not-an-email"}, "contact_email"),
        ({"auto_reply_threshold": 2}, "auto_reply_threshold"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"timezone": "America"}, "timezone"),
        ({"status": "active"}, "status"),  # not the owner's to change
        ({"name": ""}, "name"),
    ]:
        response = await world.client.patch(
            f"{OWNER}/business", json=body, headers=tenant.owner_headers
        )
        assert response.status_code == 422, (body, response.text)
        assert error_code(response) == "validation_error"
        assert field in str(response.json()["error"]["details"]), body


async def test_form_edits_show_on_the_public_form(world, tenant):
    change = {
        "title": "Book a clean",
        "description": "Tell us about your home.",
        "success_message": "Thanks, talk soon!",
        "services": ["Deep clean", "Windows"],
    }
    response = await world.client.patch(f"{OWNER}/form", json=change, headers=tenant.owner_headers)
    assert response.status_code == 200, response.text
    assert {k: response.json()[k] for k in change} == change
    public = await world.client.get(f"/api/v1/public/forms/{tenant.slug}")
    assert {k: public.json()[k] for k in change} == change

    off = await world.client.patch(
        f"{OWNER}/form", json={"active": False}, headers=tenant.owner_headers
    )
    assert off.status_code == 200 and off.json()["active"] is False
    assert (await world.client.get(f"/api/v1/public/forms/{tenant.slug}")).status_code == 404


async def test_slug_change_moves_the_form_and_its_qr_code(world, tenant):
    response = await world.client.patch(
        f"{OWNER}/form", json={"slug": "sparkle-2"}, headers=tenant.owner_headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["url"] == "http://testserver/forms/sparkle-2"
    assert (await world.client.get("/api/v1/public/forms/sparkle-2")).status_code == 200
    assert (await world.client.get(f"/api/v1/public/forms/{tenant.slug}")).status_code == 404

    png = await world.client.get("/forms/sparkle-2/qr.png")
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    served = Image.open(io.BytesIO(png.content)).convert("1")
    expected = qrcode.make("http://testserver/forms/sparkle-2", box_size=10, border=4)
    expected = expected.get_image().convert("1")
    assert served.size == expected.size
    assert ImageChops.difference(served, expected).getbbox() is None  # encodes the form URL


async def test_slug_taken_by_another_business_is_409_and_invalid_slug_422(world, tenant):
    other = await world.tenant(name="Other Shop")
    taken = await world.client.patch(
        f"{OWNER}/form", json={"slug": other.slug}, headers=tenant.owner_headers
    )
    assert taken.status_code == 409 and error_code(taken) == "slug_taken"
    for slug in ("Bad Slug!", "-dash", "x" * 81, "UPPER"):
        bad = await world.client.patch(
            f"{OWNER}/form", json={"slug": slug}, headers=tenant.owner_headers
        )
        assert bad.status_code == 422 and error_code(bad) == "validation_error", slug
    same = await world.client.patch(
        f"{OWNER}/form", json={"slug": tenant.slug}, headers=tenant.owner_headers
    )
    assert same.status_code == 200  # keeping one's own slug is no conflict
    form = await world.client.get(f"{OWNER}/form", headers=tenant.owner_headers)
    assert form.json()["slug"] == tenant.slug


async def test_staff_edit_the_form_text_but_not_its_address(world, tenant):
    staff = await world.staff(tenant)
    text = await world.client.patch(f"{OWNER}/form", json={"title": "Hello"}, headers=staff)
    assert text.status_code == 200 and text.json()["title"] == "Hello"
    slug = await world.client.patch(f"{OWNER}/form", json={"slug": "mine-now"}, headers=staff)
    assert slug.status_code == 403
    assert (await world.client.get(f"{OWNER}/form", headers=staff)).json()["slug"] == tenant.slug
