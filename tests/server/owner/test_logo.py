"""The owner's logo: the admin route's checks (decoded PNG, JPEG or WebP up to 2 MB, never SVG),
owners only, every change audited with the owner as the actor."""

from __future__ import annotations

import io

from PIL import Image

from tests.server.admin.helpers import image_bytes
from tests.server.owner.people import OWNER, error_code

LOGO = f"{OWNER}/business/logo"


async def _audit(world, business_id: str, action: str) -> list[dict]:
    response = await world.client.get(
        "/api/v1/admin/audit-logs",
        params={"business_id": business_id, "action": action},
        headers=world.admin,
    )
    assert response.status_code == 200, response.text
    return response.json()["items"]


def _served_path(url: str) -> str:
    return url.removeprefix("http://testserver")


async def test_the_owner_uploads_replaces_and_removes_the_logo_and_each_step_is_audited(
    world, tenant
):
    headers = tenant.owner_headers
    urls = []
    for fmt in ("PNG", "JPEG", "WEBP"):
        response = await world.client.post(
            LOGO, headers=headers, files={"file": (f"logo.{fmt.lower()}", image_bytes(fmt))}
        )
        assert response.status_code == 200, (fmt, response.text)
        url = response.json()["logo_url"]
        served = await world.client.get(_served_path(url))
        assert served.status_code == 200 and served.headers["content-type"] == "image/png"
        with Image.open(io.BytesIO(served.content)) as image:
            assert image.format == "PNG" and image.size == (64, 32)
        urls.append(url)
    assert len(set(urls)) == 3
    for replaced in urls[:-1]:  # a replaced file is deleted after the commit
        assert (await world.client.get(_served_path(replaced))).status_code == 404
    business = (await world.client.get(f"{OWNER}/business", headers=headers)).json()
    assert business["logo_url"] == urls[-1]
    public = await world.client.get(f"/api/v1/public/forms/{tenant.slug}")
    assert public.json()["business"]["logo_url"] == urls[-1]

    removed = await world.client.delete(LOGO, headers=headers)
    assert removed.status_code == 200, removed.text
    assert removed.json()["logo_url"] is None
    assert (await world.client.get(_served_path(urls[-1]))).status_code == 404
    again = await world.client.delete(LOGO, headers=headers)  # nothing left: no change, no row
    assert again.status_code == 200 and again.json()["logo_url"] is None

    changed = await _audit(world, tenant.id, "business.logo_changed")
    assert len(changed) == 3 and {row["actor"] for row in changed} == {tenant.owner_email}
    [gone] = await _audit(world, tenant.id, "business.logo_removed")
    assert gone["actor"] == tenant.owner_email
    assert gone["old_values"]["logo_path"] == urls[-1].rsplit("/", 1)[1]
    assert gone["new_values"] == {"logo_path": None}


async def test_svg_non_images_and_oversized_files_are_refused_and_nothing_changes(world, tenant):
    headers = tenant.owner_headers
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    for name, data in [
        ("logo.svg", svg),
        ("logo.png", svg),  # the name and the content type are never trusted
        ("logo.png", b"plain text, not a picture\n" * 20),
        ("logo.png", image_bytes("PNG")[:60]),  # truncated: fails when decoded
        ("logo.gif", image_bytes("GIF")),
        ("logo.png", b""),
    ]:
        response = await world.client.post(
            LOGO, headers=headers, files={"file": (name, data, "image/png")}
        )
        assert response.status_code == 422, (name, response.text)
        error = response.json()["error"]
        assert error["code"] == "validation_error"
        assert [d["field"] for d in error["details"]] == ["file"]
    big = image_bytes("PNG") + b"\0" * (3 * 1000 * 1000)  # over 2 MB, starts as a real PNG
    response = await world.client.post(LOGO, headers=headers, files={"file": ("big.png", big)})
    assert response.status_code == 413
    assert error_code(response) == "logo_too_large"
    business = (await world.client.get(f"{OWNER}/business", headers=headers)).json()
    assert business["logo_url"] is None
    assert await _audit(world, tenant.id, "business.logo_changed") == []


async def test_staff_can_neither_upload_nor_remove_the_logo(world, tenant):
    uploaded = await world.client.post(
        LOGO, headers=tenant.owner_headers, files={"file": ("logo.png", image_bytes("PNG"))}
    )
    url = uploaded.json()["logo_url"]
    staff = await world.staff(tenant)
    refused = await world.client.post(
        LOGO, headers=staff, files={"file": ("logo.png", image_bytes("PNG"))}
    )
    assert refused.status_code == 403 and error_code(refused) == "forbidden"
    removal = await world.client.delete(LOGO, headers=staff)
    assert removal.status_code == 403 and error_code(removal) == "forbidden"
    business = (await world.client.get(f"{OWNER}/business", headers=staff)).json()
    assert business["logo_url"] == url
    assert (await world.client.get(_served_path(url))).status_code == 200
    assert len(await _audit(world, tenant.id, "business.logo_changed")) == 1
