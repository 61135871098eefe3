"""Where the desktop keeps things: the account file (no secrets), one SQLite file per business.

The refresh token lives only in the keyring (``desktop.secrets``); this file holds what is safe
to read: the server URL, the email, the businesses and which one is open.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from platformdirs import user_data_dir

if TYPE_CHECKING:
    from shared.models.auth import MeResponse


ACCOUNT_FILE = "account.json"


def data_dir() -> Path:
    override = os.environ.get("LEADFLOW_DESKTOP_DATA_DIR")
    path = Path(override) if override else Path(user_data_dir("leadflow-desktop", "LeadFlow"))
    private_dir(path)
    return path


def private_dir(path: Path) -> None:
    """Create ``path`` owner-only (the local copies hold customers' personal data)."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    with contextlib.suppress(PermissionError):
        os.chmod(path, 0o700)


def private_file(path: Path) -> None:
    """Create ``path`` owner-only before a library writes it (SQLite's WAL files follow)."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    with contextlib.suppress(PermissionError):
        os.chmod(path, 0o600)


@dataclass
class BusinessRef:
    id: str
    name: str
    role: str = "owner"


@dataclass
class Account:
    server_url: str
    email: str
    full_name: str = ""
    role: str = "business_owner"
    businesses: list[BusinessRef] = field(default_factory=list)
    business_id: str | None = None

    @property
    def business(self) -> BusinessRef | None:
        for ref in self.businesses:
            if ref.id == self.business_id:
                return ref
        return self.businesses[0] if self.businesses else None

    def store_path(self, business_id: str | None = None) -> Path:
        key = business_id or (self.business.id if self.business else "none")
        return data_dir() / "businesses" / f"{key}.sqlite3"

    @classmethod
    def from_login(cls, server_url: str, email: str, me: MeResponse) -> Account:
        refs = [
            BusinessRef(str(m.business_id), m.business_name, m.role.value) for m in me.memberships
        ]
        return cls(
            server_url.rstrip("/"),
            email,
            me.user.full_name,
            me.user.role.value,
            refs,
            refs[0].id if refs else None,
        )


def load_account() -> Account | None:
    path = data_dir() / ACCOUNT_FILE
    try:
        raw = json.loads(path.read_text("utf-8"))
        raw["businesses"] = [BusinessRef(**b) for b in raw.get("businesses", [])]
        return Account(**raw)
    except (OSError, ValueError, TypeError):
        return None


def save_account(account: Account) -> None:
    path = data_dir() / ACCOUNT_FILE
    tmp = path.with_suffix(".tmp")
    private_file(tmp)
    tmp.write_text(json.dumps(asdict(account), indent=2), "utf-8")
    tmp.replace(path)


def forget_account(account: Account, remove_local_copies: bool) -> None:
    (data_dir() / ACCOUNT_FILE).unlink(missing_ok=True)
    if remove_local_copies:
        for ref in account.businesses:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{account.store_path(ref.id)}{suffix}").unlink(missing_ok=True)
        folder = data_dir() / "businesses"
        if folder.exists() and not any(folder.iterdir()):
            shutil.rmtree(folder, ignore_errors=True)
