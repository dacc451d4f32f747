"""The telephony webhook: POST /api/phone/events (docs/phone.md), with django-ninja.

A telephony system posts one JSON event per call event; `Authorization: Bearer <secret>`
carries PHONE_WEBHOOK_SECRET (compared in constant time). Every answer is a small JSON
document: 2xx when the event is applied (or was already: events are idempotent on call_id, so
retries are safe), a 4xx with {"error": ...} when it is refused and nothing was stored, 503
when the database is unavailable (the sender should retry). Checks run cheapest first: the
body's size (before anything reads it), the rate limit, the secret, then the JSON and its types.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable
from typing import Any, Literal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern
from ninja import Field, NinjaAPI, Schema
from ninja.decorators import decorate_view
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import HttpBearer
from pydantic import AwareDatetime, field_validator, model_validator

from supportal.accounts.access import public
from supportal.core import ratelimit
from supportal.lib.phone import MAX_INPUT, normalize_phone
from supportal.phone import services
from supportal.phone.models import MAX_DURATION, Direction

logger = logging.getLogger(__name__)

# The largest body read: an event is a few hundred bytes.
MAX_BODY = 64 * 1024

api = NinjaAPI(
    title="Supportal phone events",
    urls_namespace="phone_api",
    # One documented endpoint (docs/phone.md); no interactive docs or schema on the site.
    docs_url=None,
    openapi_url=None,
)


# --- Answers --------------------------------------------------------------------------------


def _answer(request: HttpRequest, status: int, **content: Any) -> HttpResponse:
    response = api.create_response(request, content, status=status)
    response["Cache-Control"] = "no-store"
    return response


def _refused(request: HttpRequest, error: HttpError) -> HttpResponse:
    message = str(error)
    if isinstance(error, AuthenticationError):
        message = "missing or wrong secret: send Authorization: Bearer <PHONE_WEBHOOK_SECRET>"
    response = _answer(request, error.status_code, error=message)
    if error.status_code == 401:
        response["WWW-Authenticate"] = 'Bearer realm="phone events"'
    return response


def _invalid(request: HttpRequest, error: NinjaValidationError) -> HttpResponse:
    details = []
    for item in error.errors:
        place = [str(part) for part in item.get("loc", ()) if part not in ("body", "payload")]
        details.append({"field": ".".join(place), "message": str(item.get("msg", ""))})
    return _answer(
        request, 422, error="the event does not have the expected fields", details=details
    )


def _unavailable(request: HttpRequest, error: Exception) -> HttpResponse:
    # The database is down (or a bug): the sender keeps the event and tries again, which is
    # better than a 500 it may treat as final.
    logger.exception("phone event not stored")
    response = _answer(request, 503, error="unavailable, try again later")
    response["Retry-After"] = "60"
    return response


api.add_exception_handler(HttpError, _refused)
api.add_exception_handler(NinjaValidationError, _invalid)
api.add_exception_handler(Exception, _unavailable)


# --- Checks before the body is read --------------------------------------------------------


class WebhookSecret(HttpBearer):
    """Authorization: Bearer <PHONE_WEBHOOK_SECRET>. Without the setting the endpoint is off:
    404, whatever is sent."""

    def __call__(self, request: HttpRequest) -> Any:
        if not settings.PHONE_WEBHOOK_SECRET:
            raise HttpError(404, "the phone webhook is off: PHONE_WEBHOOK_SECRET is not set")
        return super().__call__(request)

    def authenticate(self, request: HttpRequest, token: str) -> bool | None:
        expected = settings.PHONE_WEBHOOK_SECRET.encode()
        return hmac.compare_digest(token.strip().encode(), expected) or None


def _callers(request: HttpRequest, *args: Any, **kwargs: Any) -> list[str]:
    """Counted per client address, before the secret is checked (which slows down guessing)."""
    return [f"address:{ratelimit.client_address(request)}"]


def _too_many(request: HttpRequest, seconds: int) -> HttpResponse:
    response = _answer(request, 429, error="too many requests")
    response["Retry-After"] = str(seconds)
    return response


def _small_bodies_only(run: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """413 for a body over MAX_BODY, by its Content-Length, before anything reads it (Django
    reads no more than Content-Length, so a body without one is read as empty)."""

    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return _answer(request, 400, error="bad Content-Length")
        if length > MAX_BODY:
            return _answer(request, 413, error=f"too large: at most {MAX_BODY} bytes")
        return run(request, *args, **kwargs)

    return wrapper


# --- The event --------------------------------------------------------------------------------


class CallEventIn(Schema):
    event: Literal["started", "ended", "missed", "recording"]
    call_id: str = Field(min_length=1, max_length=100)
    direction: Direction | None = None
    caller: str = Field("", alias="from", max_length=MAX_INPUT)
    callee: str = Field("", alias="to", max_length=MAX_INPUT)
    started_at: AwareDatetime | None = None
    duration: int = Field(0, ge=0, le=MAX_DURATION)
    recording_url: str = Field("", max_length=500)

    @field_validator("call_id")
    @classmethod
    def _printable(cls, value: str) -> str:
        if not value.isprintable() or value != value.strip():
            raise ValueError("call_id must be printable, without spaces around it")
        return value

    @model_validator(mode="after")
    def _complete(self) -> CallEventIn:
        if self.event == "recording":
            if not self.recording_url:
                raise ValueError("a recording event needs recording_url")
            return self
        if self.direction is None:
            raise ValueError("direction must be inbound or outbound")
        side = "to" if self.direction == Direction.OUTBOUND else "from"
        number = self.callee if side == "to" else self.caller
        try:
            if normalize_phone(number, region=settings.PHONE_REGION):
                return self
        except ValueError:
            pass
        raise ValueError(f"{side} must be the customer's phone number, such as +821012345678")

    def as_event(self) -> services.CallEvent:
        return services.CallEvent(
            kind=self.event,
            call_id=self.call_id,
            direction=self.direction or "",
            caller=self.caller,
            callee=self.callee,
            started_at=self.started_at,
            duration=self.duration,
            recording_url=self.recording_url,
        )


class EventAnswer(Schema):
    status: str
    call: int | None = None
    request: int | None = None


@api.post("/events", auth=WebhookSecret(), response={200: EventAnswer}, url_name="events")
@decorate_view(
    ratelimit.rate_limit("phone", key=_callers, respond=_too_many),
    _small_bodies_only,
)
def events(request: HttpRequest, payload: CallEventIn) -> Any:
    try:
        outcome = services.call_event_receive(event=payload.as_event())
    except services.UnknownCallError:
        raise HttpError(
            404, "no call with this call_id: post its ended or missed event first"
        ) from None
    except ValidationError as error:
        raise HttpError(422, " ".join(error.messages)) from None
    return outcome.as_dict()


@api.api_operation(["GET", "PUT", "PATCH", "DELETE"], "/events", url_name="events")
def events_other_methods(request: HttpRequest) -> HttpResponse:
    """405 as JSON, like every other answer of the endpoint."""
    response = _answer(request, 405, error="use POST")
    response["Allow"] = "POST"
    return response


def urls() -> tuple[list[URLPattern], str, str]:
    """The API's URL patterns for urls.py. The views carry no session: the shared secret is
    their own rule, so they are "public" to accounts.access (whose test checks every view)."""
    found, app_name, namespace = api.urls
    patterns: list[URLPattern] = []
    routes: set[str] = set()
    for pattern in found:
        # Ninja's root page only names where its docs would be (off here); and it gives one
        # pattern per operation, while one view answers every method of a path.
        route = str(pattern.pattern)
        if not isinstance(pattern, URLPattern) or pattern.name == "api-root" or route in routes:
            continue
        routes.add(route)
        patterns.append(pattern)
        public(pattern.callback)
    return patterns, app_name, namespace
