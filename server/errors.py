"""One error vocabulary (CONTRACT §3): ``AppError`` subclasses and the handlers that render them."""

from __future__ import annotations

import logging
from typing import Any

import asyncpg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger(__name__)


class AppError(Exception):
    status_code = 400
    code = "bad_request"
    message = "The request could not be processed."

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        details: Any = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.message = message or type(self).message
        self.code = code or type(self).code
        self.details = details
        self.headers = headers
        super().__init__(self.message)


class BadRequest(AppError):
    pass


class NotAuthenticated(AppError):
    status_code = 401
    code = "not_authenticated"
    message = "Sign in to continue."


class Forbidden(AppError):
    status_code = 403
    code = "forbidden"
    message = "You are not allowed to do this."


class NotFound(AppError):
    status_code = 404
    code = "not_found"
    message = "Not found."


class Conflict(AppError):
    status_code = 409
    code = "conflict"
    message = "This conflicts with the current state."


class PayloadTooLarge(AppError):
    status_code = 413
    code = "payload_too_large"
    message = "The request body is too large."


class ValidationFailed(AppError):
    status_code = 422
    code = "validation_error"
    message = "Some fields are invalid."


class RateLimited(AppError):
    status_code = 429
    code = "rate_limited"
    message = "Too many attempts. Try again later."

    def __init__(self, retry_after_s: int, message: str | None = None) -> None:
        super().__init__(message, headers={"Retry-After": str(max(1, int(retry_after_s)))})


class ServiceUnavailable(AppError):
    status_code = 503
    code = "service_unavailable"
    message = "The service is temporarily unavailable."


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details}}


def field_errors(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Pydantic errors as ``[{field, message, type}]`` without echoing the input back."""
    out = []
    for err in errors:
        loc = [str(part) for part in err.get("loc", ()) if part not in ("body", "query", "path")]
        out.append(
            {"field": ".".join(loc) or None, "message": err.get("msg", ""), "type": err.get("type")}
        )
    return out


_STATUS_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
}


# The raw pool paths (the form submit) meet the driver's errors unwrapped, or wrapped in the
# asyncpg adapter's own classes: a refused connection while PostgreSQL restarts, "the database
# system is starting up", a connection closed under a statement, and a pooled connection the
# server terminated while it sat idle ("cannot switch to state …; another operation is in
# progress", asyncpg's InternalClientError, seen in the fault suite's database restart).
_UNREACHABLE = (
    ConnectionError,
    InterfaceError,
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
)


def database_unreachable(exc: BaseException | None) -> bool:
    """True if the error, or one it was raised from, says the database cannot be reached."""
    for _ in range(10):
        if exc is None:
            return False
        if isinstance(exc, _UNREACHABLE):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def _app_error(_request: Request, exc: AppError) -> JSONResponse:
        return JSONResponse(
            error_body(exc.code, exc.message, exc.details),
            status_code=exc.status_code,
            headers=exc.headers,
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = list(exc.errors())
        if any(err.get("type") == "json_invalid" for err in errors):
            return JSONResponse(
                error_body("malformed_body", "The request body is not valid JSON."), 400
            )
        return JSONResponse(
            error_body("validation_error", "Some fields are invalid.", field_errors(errors)), 422
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _STATUS_CODES.get(exc.status_code, "error")
        message = exc.detail if isinstance(exc.detail, str) else "The request failed."
        return JSONResponse(
            error_body(code, message), status_code=exc.status_code, headers=exc.headers
        )

    @app.exception_handler(IntegrityError)
    async def _integrity(_request: Request, exc: IntegrityError) -> JSONResponse:
        # A race the service did not foresee (two requests creating the same row): a conflict.
        log.warning("integrity error answered 409: %s", exc.orig)
        return JSONResponse(
            error_body("conflict", "This conflicts with a change made at the same time."), 409
        )

    @app.exception_handler(PoolTimeout)
    async def _database_busy(_request: Request, exc: PoolTimeout) -> JSONResponse:
        log.error("no database connection became free in time: %s", exc)
        return _unavailable()

    @app.exception_handler(OperationalError)
    async def _database_down(_request: Request, exc: OperationalError) -> JSONResponse:
        log.error("database unavailable: %s", exc.orig)
        return _unavailable()

    def _unavailable() -> JSONResponse:
        return JSONResponse(
            error_body("service_unavailable", "The service is temporarily unavailable."),
            status_code=503,
            headers={"Retry-After": "5"},
        )

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
        if database_unreachable(exc):
            log.error("database unreachable: %s: %s", type(exc).__name__, exc)
            return _unavailable()
        log.exception("unhandled error", exc_info=exc)
        return JSONResponse(
            error_body("internal_error", "Something went wrong on our side. Please try again."),
            status_code=500,
        )
