"""Writing the audit log. Every area calls `audit_record`; nothing else writes entries."""

from __future__ import annotations

import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.http import HttpRequest

from supportal.audit.context import current_request
from supportal.audit.models import AuditEntry


def _client(request: HttpRequest | None) -> tuple[str | None, str]:
    if request is None:
        return None, ""
    return request.META.get("REMOTE_ADDR") or None, request.META.get("HTTP_USER_AGENT", "")[:400]


def audit_record(
    *,
    action: str,
    request: HttpRequest | None = None,
    actor: Any = None,
    target: models.Model | None = None,
    target_label: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    note: str = "",
    actor_label: str = "",
) -> AuditEntry:
    """Records one action. `action` is a dotted code such as "auth.login" or "mailbox.change";
    the actor defaults to the request's signed-in user. Without `request`, the request being
    served (AuditContextMiddleware) gives the address, browser and actor; outside a request
    (the worker, a command) they stay empty. `actor_label` names someone who is not signed in
    (the email typed into a failed sign-in)."""
    if request is None:
        request = current_request.get()
    if actor is None and request is not None:
        user = getattr(request, "user", None)
        actor = user if user is not None and user.is_authenticated else None
    ip, user_agent = _client(request)
    if actor is not None:
        actor_label = getattr(actor, "email", "") or actor_label
    return AuditEntry.objects.create(
        action=action[:64],
        actor=actor,
        actor_label=actor_label[:320],
        ip=ip,
        user_agent=user_agent,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target_label=(target_label or (str(target) if target is not None else ""))[:300],
        before=_plain(before),
        after=_plain(after),
        note=note,
    )


def _plain(values: dict[str, Any] | None) -> dict[str, Any] | None:
    """Dates, decimals, UUIDs and lazy strings as JSON can store them."""
    if values is None:
        return None
    return json.loads(json.dumps(values, cls=DjangoJSONEncoder))
