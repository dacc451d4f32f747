"""Helpers for the trigger and automation tests: rules made through their services."""

from __future__ import annotations

from typing import Any

from supportal.core.models import OutboundEmail
from supportal.rules.automations import automation_save
from supportal.rules.models import Automation, Trigger
from supportal.rules.triggers import trigger_save


def cond(field: str, op: str, value: Any = "") -> dict[str, str]:
    return {"field": field, "op": op, "value": str(value)}


def act(action: str, value: Any = "", **extra: str) -> dict[str, str]:
    return {"action": action, "value": str(value), **extra}


def make_trigger(
    name: str = "A trigger",
    *,
    all: list | None = None,
    any: list | None = None,
    actions: list | None = None,
    runs_on: str = Trigger.RunsOn.BOTH,
) -> Trigger:
    return trigger_save(
        trigger=None,
        name=name,
        runs_on=runs_on,
        conditions_all=all or [],
        conditions_any=any or [],
        actions=actions or [],
    )


def make_automation(
    name: str = "An automation",
    *,
    all: list | None = None,
    any: list | None = None,
    actions: list | None = None,
) -> Automation:
    return automation_save(
        automation=None,
        name=name,
        conditions_all=all or [],
        conditions_any=any or [],
        actions=actions or [],
    )


def mails_to(email: str) -> list[OutboundEmail]:
    return list(OutboundEmail.objects.filter(to__icontains=email).order_by("pk"))
