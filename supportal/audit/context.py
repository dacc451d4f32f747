"""The request being served, for code that records without one in hand (signal receivers)."""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar

from django.http import HttpRequest, HttpResponse

current_request: ContextVar[HttpRequest | None] = ContextVar("audit_request", default=None)


class AuditContextMiddleware:
    """Keeps the current request in a context variable for the length of the request. Placed
    after AuthenticationMiddleware, so `request.user` is there when something records."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = current_request.set(request)
        try:
            return self.get_response(request)
        finally:
            current_request.reset(token)
