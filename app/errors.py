"""One error hierarchy, one JSON shape: ``{"error": Name, "detail": ...}``."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException


class ParleyError(Exception):
    """Base of every error the API reports on purpose."""

    status_code = 400
    name = "BadRequest"

    def __init__(self, detail: Any = None) -> None:
        super().__init__(detail)
        self.detail = detail or self.__class__.__doc__


class NotFound(ParleyError):
    """The resource does not exist or is not yours."""

    status_code = 404
    name = "NotFound"


class Unauthorized(ParleyError):
    """Missing or invalid credentials."""

    status_code = 401
    name = "Unauthorized"


class Forbidden(ParleyError):
    """You are not allowed to do this."""

    status_code = 403
    name = "Forbidden"


class Conflict(ParleyError):
    """The request conflicts with the current state."""

    status_code = 409
    name = "Conflict"


class InvalidInput(ParleyError):
    """The request body is not valid."""

    status_code = 422
    name = "InvalidInput"


class PayloadTooLarge(ParleyError):
    """The upload is larger than the limit."""

    status_code = 413
    name = "PayloadTooLarge"


def _body(name: str, detail: Any) -> dict[str, Any]:
    return {"error": name, "detail": detail}


def install_error_handlers(app: FastAPI) -> None:
    """Render every error in the one documented shape."""

    @app.exception_handler(ParleyError)
    async def _parley(_: Request, exc: ParleyError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else None
        return JSONResponse(_body(exc.name, exc.detail), exc.status_code, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"loc": list(e.get("loc", [])), "msg": e.get("msg", "")} for e in exc.errors()]
        return JSONResponse(_body("InvalidInput", errors), 422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        names = {404: "NotFound", 405: "MethodNotAllowed", 413: "PayloadTooLarge"}
        return JSONResponse(
            _body(names.get(exc.status_code, "HTTPError"), exc.detail), exc.status_code
        )
