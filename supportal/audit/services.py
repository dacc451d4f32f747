"""Writing the audit log. Every area calls `audit_record`; nothing else writes entries."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.http import HttpRequest

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
) -> AuditEntry:
    """Records one action. `action` is a dotted code such as "auth.login" or "mailbox.change";
    the actor defaults to the request's signed-in user."""
    if actor is None and request is not None:
        user = getattr(request, "user", None)
        actor = user if user is not None and user.is_authenticated else None
    ip, user_agent = _client(request)
    return AuditEntry.objects.create(
        action=action,
        actor=actor,
        actor_label=(getattr(actor, "email", "") or "") if actor is not None else "",
        ip=ip,
        user_agent=user_agent,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target_label=(target_label or str(target))[:300] if target is not None else target_label,
        before=before,
        after=after,
        note=note,
    )
