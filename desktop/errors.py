"""Typed errors of the desktop client, mapped from the server's error codes (CONTRACT §3)."""

from __future__ import annotations

from typing import Any


class DesktopError(Exception):
    """Anything the desktop services report to the UI."""


class OfflineError(DesktopError):
    """The server could not be reached (connection refused, DNS, timeout)."""


class KeyringUnavailable(DesktopError):
    """No working keyring backend: tokens can only live in memory."""


class ApiError(DesktopError):
    """The server answered with an error body ``{"error": {code, message, details}}``."""

    def __init__(self, status: int, code: str, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.status}, {self.code!r}, {self.message!r})"


class AuthError(ApiError):
    """401: not signed in, a wrong password, or a refresh token that no longer works."""


class ForbiddenError(ApiError):
    """403."""


class NotFoundError(ApiError):
    """404: absent, or not in this business."""


class ConflictError(ApiError):
    """409, e.g. ``slug_taken`` or ``cursor_invalid``."""


class ValidationError(ApiError):
    """422 ``validation_error``; ``details`` lists the fields."""


class RateLimitedError(ApiError):
    """429; ``retry_after`` in seconds when the server said."""

    retry_after: float | None = None


class ServerError(ApiError):
    """5xx or an answer that is not the documented shape."""


_BY_STATUS: dict[int, type[ApiError]] = {
    401: AuthError,
    403: ForbiddenError,
    404: NotFoundError,
    409: ConflictError,
    422: ValidationError,
    429: RateLimitedError,
}


def error_from_response(status: int, body: Any, headers: dict[str, str] | None = None) -> ApiError:
    """The typed error for one HTTP error answer."""
    code, message, details = f"http_{status}", f"The server answered {status}.", None
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        err = body["error"]
        code = str(err.get("code") or code)
        message = str(err.get("message") or message)
        details = err.get("details")
    cls = _BY_STATUS.get(status, ServerError if status >= 500 else ApiError)
    error = cls(status, code, message, details)
    if isinstance(error, RateLimitedError) and headers:
        try:
            error.retry_after = float(headers.get("retry-after", ""))
        except ValueError:
            error.retry_after = None
    return error
