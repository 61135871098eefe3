"""What the server and the desktop write is theirs alone, whatever the umask: the SQLite
database and its WAL, the outbox's mails (live invite and reset links), logos, the data dirs."""

from __future__ import annotations

import io
import os
import stat
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest
from PIL import Image

from server.config import load_settings
from server.mail.outbox import OutboxProvider
from server.migrate import upgrade
from tests.server.factories import admin_headers, onboard


@pytest.fixture(autouse=True)
def permissive_umask() -> Iterator[None]:
    previous = os.umask(0o022)  # a usual login shell's: world-readable unless the code says no
    yield
    os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_sqlite_database_and_its_data_dir_are_owner_only(tmp_path: Path):
    data = tmp_path / "data"
    settings = load_settings(env="test", data_dir=data, secret_key="k" * 48)
    upgrade(settings.database_url)
    db_file = Path(settings.database_url.split("///", 1)[1])
    assert mode(data) == 0o700 and mode(db_file) == 0o600
    for sidecar in (db_file.with_name(db_file.name + "-wal"), db_file.with_name("x-shm")):
        if sidecar.exists():
            assert mode(sidecar) == 0o600


async def test_outbox_mails_and_logos_are_owner_only(ctx, client, smtp, worker, settings):
    admin = await admin_headers(ctx, client)
    tenant = await onboard(ctx, client, smtp, worker, admin)
    raw = io.BytesIO()
    Image.new("RGB", (40, 40), "#123456").save(raw, format="PNG")
    uploaded = await client.post(
        f"/api/v1/admin/businesses/{tenant.id}/logo",
        headers=admin,
        files={"file": ("logo.png", raw.getvalue(), "image/png")},
    )
    assert uploaded.status_code == 200, uploaded.text
    logos = settings.data_dir / "logos"
    assert mode(logos) == 0o700
    assert [mode(p) for p in logos.iterdir()] == [0o600]

    outbox = OutboxProvider(settings.data_dir / "outbox")  # the default mailer
    message = EmailMessage()
    message["Message-ID"] = "<reset@leadflow.test>"
    message.set_content("https://leads.example.com/reset/a-live-token")
    await outbox.send(message)
    assert mode(outbox.directory) == 0o700
    assert {mode(p) for p in outbox.directory.iterdir()} == {0o600}
    assert mode(settings.data_dir) == 0o700


def test_the_desktop_local_copy_and_account_file_are_owner_only(tmp_path, monkeypatch):
    from desktop.accounts import ACCOUNT_FILE, Account, save_account
    from desktop.store import LocalStore

    monkeypatch.setenv("LEADFLOW_DESKTOP_DATA_DIR", str(tmp_path / "desk"))
    store = LocalStore(tmp_path / "desk" / "business" / "leads.sqlite3")
    store.db.execute("CREATE TABLE IF NOT EXISTS probe (x)")
    assert mode(tmp_path / "desk" / "business") == 0o700
    assert mode(store.path) == 0o600
    wal = store.path.with_name(store.path.name + "-wal")
    assert not wal.exists() or mode(wal) == 0o600
    save_account(Account(server_url="https://leads.example.com", email="o@example.com"))
    assert mode(tmp_path / "desk") == 0o700 and mode(tmp_path / "desk" / ACCOUNT_FILE) == 0o600
