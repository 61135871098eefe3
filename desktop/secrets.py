"""The secret store: three methods over ``keyring``, and nothing ever written in plain text.

When no keyring backend works, ``get`` answers ``None``, ``set`` raises ``KeyringUnavailable``
(the app then says so once and keeps the token in memory only) and ``delete`` does nothing.
"""

from __future__ import annotations

from desktop.errors import KeyringUnavailable

SERVICE = "LeadFlow"


def account_key(server_url: str, email: str) -> str:
    return f"{server_url.rstrip('/')}|{email.strip().lower()}"


class SecretStore:
    def __init__(self, service: str = SERVICE) -> None:
        self.service = service

    # ``keyring`` is imported on first use (it loads its backends' entry points, ~0.1 s), which
    # is on the service thread: a start that has no token to read never pays for it.

    @property
    def available(self) -> bool:
        import keyring
        from keyring.backends import fail

        backend = keyring.get_keyring()
        if isinstance(backend, fail.Keyring):
            return False
        chained = getattr(backend, "backends", None)
        return chained is None or bool(chained)

    def get(self, key: str) -> str | None:
        import keyring.errors

        if not self.available:
            return None
        try:
            return keyring.get_password(self.service, key)
        except keyring.errors.KeyringError:
            return None

    def set(self, key: str, secret: str) -> None:
        import keyring.errors

        if not self.available:
            raise KeyringUnavailable("No system keyring is available.")
        try:
            keyring.set_password(self.service, key, secret)
        except keyring.errors.KeyringError as error:
            raise KeyringUnavailable(str(error)) from error

    def delete(self, key: str) -> None:
        import keyring.errors

        if not self.available:
            return
        try:
            keyring.delete_password(self.service, key)
        except keyring.errors.PasswordDeleteError:
            pass
        except keyring.errors.KeyringError:
            pass
