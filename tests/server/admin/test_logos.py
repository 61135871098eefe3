"""Logos: decoded and re-encoded as PNG, served from /media, refused when not a real image."""

from __future__ import annotations

import io

from PIL import Image

from tests.server.admin.helpers import ADMIN, image_bytes
from tests.server.factories import admin_headers, onboard


async def _audit_actions(client, admin, business_id: str) -> list[str]:
    page = (
        await client.get(f"{ADMIN}/audit-logs?business_id={business_id}&limit=500", headers=admin)
    ).json()
    return [row["action"] for row in page["items"]]


async def test_png_logo_is_stored_as_clean_png_and_served(ctx, client, smtp, worker):
    admin = await admin_headers(ctx, client)
    tenant = await onboard(ctx, client, smtp, worker, admin)
    # A PNG carrying a text chunk: the stored file must not keep it.
    source = Image.new("RGBA", (120, 60), (10, 120, 200, 255))
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Comment", "secret-metadata")
    raw = io.BytesIO()
    source.save(raw, format="PNG", pnginfo=info)
    response = await client.post(
        f"{ADMIN}/businesses/{tenant.id}/logo",
        headers=admin,
        files={"file": ("logo.png", raw.getvalue(), "image/png")},
    )
    assert response.status_code == 200, response.text
    logo_url = response.json()["logo_url"]
    assert logo_url.startswith(f"http://testserver/media/logos/{tenant.id}-")
    assert logo_url.endswith(".png")

    served = await client.get(logo_url.removeprefix("http://testserver"))
    assert served.status_code == 200
    assert served.headers["content-type"] == "image/png"
    assert b"secret-metadata" not in served.content
    with Image.open(io.BytesIO(served.content)) as image:
        assert image.format == "PNG" and image.size == (120, 60)
    public = await client.get(f"/api/v1/public/forms/{tenant.slug}")
    assert public.json()["business"]["logo_url"] == logo_url

    # JPEG and WebP are accepted too, and stored as PNG; the replaced file goes away.
    for fmt in ("JPEG", "WEBP"):
        again = await client.post(
            f"{ADMIN}/businesses/{tenant.id}/logo",
            headers=admin,
            files={"file": ("logo.bin", image_bytes(fmt), "image/jpeg")},
        )
        assert again.status_code == 200, (fmt, again.text)
        new_url = again.json()["logo_url"]
        assert new_url != logo_url
        assert (await client.get(logo_url.removeprefix("http://testserver"))).status_code == 404
        fetched = await client.get(new_url.removeprefix("http://testserver"))
        assert fetched.content.startswith(b"\x89PNG\r\n\x1a\n")
        logo_url = new_url

    removed = await client.delete(f"{ADMIN}/businesses/{tenant.id}/logo", headers=admin)
    assert removed.status_code == 200 and removed.json()["logo_url"] is None
    assert (await client.get(logo_url.removeprefix("http://testserver"))).status_code == 404
    actions = await _audit_actions(client, admin, tenant.id)
    assert actions.count("business.logo_changed") == 3
    assert actions.count("business.logo_removed") == 1
    rows = (
        await client.get(f"{ADMIN}/audit-logs?action=business.logo_removed", headers=admin)
    ).json()["items"]
    assert rows[0]["old_values"]["logo_path"] == logo_url.rsplit("/", 1)[1]
    assert rows[0]["new_values"] == {"logo_path": None}


async def test_svg_text_and_oversized_files_are_refused(ctx, client, smtp, worker):
    admin = await admin_headers(ctx, client)
    tenant = await onboard(ctx, client, smtp, worker, admin)
    url = f"{ADMIN}/businesses/{tenant.id}/logo"
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    for name, data, kind in [
        ("logo.svg", svg, "image/svg+xml"),
        ("logo.png", b"just some text, honestly not a picture\n" * 20, "image/png"),
        ("logo.png", image_bytes("PNG")[:60], "image/png"),  # truncated
        ("logo.gif", image_bytes("GIF"), "image/gif"),
        ("logo.png", b"", "image/png"),
    ]:
        response = await client.post(url, headers=admin, files={"file": (name, data, kind)})
        assert response.status_code == 422, (name, response.text)
        error = response.json()["error"]
        assert error["code"] == "validation_error"
        assert [d["field"] for d in error["details"]] == ["file"] and error["details"][0]["message"]

    big = image_bytes("PNG") + b"\0" * (3 * 1000 * 1000)  # a 3 MB file that starts as a PNG
    response = await client.post(url, headers=admin, files={"file": ("big.png", big, "image/png")})
    assert response.status_code == 413
    huge = b"\0" * (4 * 1024 * 1024)  # beyond the upload limit: refused before it is read
    response = await client.post(url, headers=admin, files={"file": ("huge.png", huge)})
    assert response.status_code == 413
    missing = await client.post(url, headers=admin, data={"other": "x"})
    assert missing.status_code == 422
    assert missing.json()["error"]["code"] == "validation_error"

    business = (await client.get(f"{ADMIN}/businesses/{tenant.id}", headers=admin)).json()
    assert business["logo_url"] is None
    assert "business.logo_changed" not in await _audit_actions(client, admin, tenant.id)


async def test_media_serves_only_stored_logo_names(ctx, client):
    (ctx.data_dir / "logos").mkdir(parents=True, exist_ok=True)
    (ctx.data_dir / "secret.txt").write_text("do not serve")
    for name in [
        "..%2Fsecret.txt",
        "secret.txt",
        "..",
        "%2e%2e%2fsecret.txt",
        "00000000-0000-4000-8000-000000000000-0123456789abcdef.png",
    ]:
        response = await client.get(f"/media/logos/{name}")
        assert response.status_code == 404, name
    assert (await client.get("/media/logos/../secret.txt")).status_code == 404
