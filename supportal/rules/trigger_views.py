"""Admin settings: triggers and automations (ordered lists, forms, delete, activate, order).

Both kinds share these views through `_Kind`, which names the model, the services, the
templates and the messages of each.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Model
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from supportal.accounts.access import admin_required
from supportal.rules import actions as rule_actions
from supportal.rules import automations, conditions, triggers
from supportal.rules.models import Automation, Trigger
from supportal.rules.trigger_forms import RuleForm


@dataclass(frozen=True)
class _Kind:
    key: str  # "trigger" / "automation": URL names and templates
    model: type[Model]
    title: Any
    new_title: Any
    save: Callable[..., Any]
    delete: Callable[..., Any]
    set_active: Callable[..., Any]
    move: Callable[..., Any]

    def get(self, request: HttpRequest, pk: int) -> Any:
        """The row, or 404 (the decorator has checked the role)."""
        row = self.model.objects.filter(pk=pk).first()  # type: ignore[attr-defined]
        if row is None or not request.user.is_admin:  # type: ignore[union-attr]
            raise Http404
        return row

    def url(self, name: str = "", *args: object) -> str:
        plural = f"{self.key}s"
        return reverse(f"rules:{self.key}_{name}" if name else f"rules:{plural}", args=args)

    def crumbs(self, *trail: tuple[str, str | None]) -> list[tuple[str, str | None]]:
        return [
            (_("Inbox"), reverse("agent:inbox")),
            (str(self.title), self.url() if trail else None),
            *trail,
        ]


TRIGGER = _Kind(
    "trigger",
    Trigger,
    gettext_lazy("Triggers"),
    gettext_lazy("New trigger"),
    lambda row, **kw: triggers.trigger_save(trigger=row, **kw),
    lambda row: triggers.trigger_delete(trigger=row),
    lambda row, active: triggers.trigger_set_active(trigger=row, active=active),
    lambda row, direction: triggers.trigger_move(trigger=row, direction=direction),
)
AUTOMATION = _Kind(
    "automation",
    Automation,
    gettext_lazy("Automations"),
    gettext_lazy("New automation"),
    lambda row, **kw: automations.automation_save(automation=row, **kw),
    lambda row: automations.automation_delete(automation=row),
    lambda row, active: automations.automation_set_active(automation=row, active=active),
    lambda row, direction: automations.automation_move(automation=row, direction=direction),
)


def _summary(rule: Trigger | Automation, choices: conditions.Choices) -> dict[str, list[str]]:
    def action(row: dict[str, Any]) -> str:
        name = row.get("action", "")
        label = str(rule_actions.ACTION_LABELS.get(name, name))
        kind = {"set_assignee": "agent", "notify_agent": "agent", "notify_group": "group"}.get(
            name, rule_actions.SET_ACTIONS.get(name, ("", name.removeprefix("set_")))[1]
        )
        values = choices.values(kind) or {}
        value = values.get(row.get("value", ""), row.get("value", ""))
        return f"{label}: {value}" if value else label

    return {
        "all": [conditions.describe(c, choices) for c in rule.conditions_all],
        "any": [conditions.describe(c, choices) for c in rule.conditions_any],
        "actions": [action(a) for a in rule.actions],
    }


def _list_context(kind: _Kind, moved: int | None = None, direction: str = "") -> dict[str, Any]:
    rows = list(kind.model.objects.order_by("position", "pk"))  # type: ignore[attr-defined]
    choices = conditions.Choices.load() if rows else conditions.Choices()
    for row in rows:
        row.summary = _summary(row, choices)
    return {"rows": rows, "kind": kind.key, "moved": moved, "moved_direction": direction}


def _list(request: HttpRequest, kind: _Kind) -> HttpResponse:
    moved = request.GET.get("moved", "")
    context = _list_context(
        kind, int(moved) if moved.isdigit() else None, request.GET.get("dir", "")
    )
    context["crumbs"] = kind.crumbs()
    return render(request, f"rules/{kind.key}_list.html", context)


def _edit(request: HttpRequest, kind: _Kind, pk: int | None) -> HttpResponse:
    rule = kind.get(request, pk) if pk else None
    choices = conditions.Choices.load()
    initial = RuleForm.initial_for(rule) if rule else {}
    data = request.POST if request.method == "POST" else None
    form = RuleForm(data, automation=kind is AUTOMATION, choices=choices, initial=initial)
    if form.is_bound and form.is_valid() and not form.wants_more_rows:
        try:
            kind.save(rule, **form.save_kwargs())
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(
                request, _("“%(name)s” has been saved.") % {"name": form.cleaned_data["name"]}
            )
            return HttpResponseRedirect(kind.url())
    form.describe_errors()
    title = rule.name if rule else str(kind.new_title)
    context = {
        "form": form,
        "rule": rule,
        "kind": kind.key,
        "title": title,
        "crumbs": kind.crumbs((title, None)),
        "placeholders": rule_actions.PLACEHOLDERS,
        "rows_all": form.rows("all"),
        "rows_any": form.rows("any"),
        "rows_act": form.rows("act"),
    }
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "rules/trigger_form.html", context, status=status)


def _delete(request: HttpRequest, kind: _Kind, pk: int) -> HttpResponse:
    rule = kind.get(request, pk)
    if request.method == "POST":
        kind.delete(rule)
        messages.success(request, _("“%(name)s” has been deleted.") % {"name": rule.name})
        return HttpResponseRedirect(kind.url())
    context = {"rule": rule, "kind": kind.key, "crumbs": kind.crumbs((rule.name, None))}
    return render(request, "rules/trigger_delete.html", context)


def _toggle(request: HttpRequest, kind: _Kind, pk: int) -> HttpResponse:
    rule = kind.get(request, pk)
    active = not rule.active
    kind.set_active(rule, active)
    message = _("“%(name)s” is now active.") if active else _("“%(name)s” is now inactive.")
    messages.success(request, message % {"name": rule.name})
    return HttpResponseRedirect(kind.url() + f"#{kind.key}-{rule.pk}")


def _move(request: HttpRequest, kind: _Kind, pk: int, direction: str) -> HttpResponse:
    rule = kind.get(request, pk)
    if direction not in ("up", "down"):
        raise Http404
    kind.move(rule, direction)
    order = list(kind.model.objects.order_by("position", "pk").values_list("pk", flat=True))  # type: ignore[attr-defined]
    message = _("“%(name)s” is now number %(position)s in the order.") % {
        "name": rule.name,
        "position": order.index(rule.pk) + 1,
    }
    if request.headers.get("HX-Request"):
        context = {**_list_context(kind, rule.pk, direction), "oob": True, "moved_message": message}
        return render(request, "rules/trigger_table.html", context)
    messages.success(request, message)
    return HttpResponseRedirect(
        kind.url() + f"?moved={rule.pk}&dir={direction}#{kind.key}-{rule.pk}"
    )


# --- The views ---------------------------------------------------------------------------------


@admin_required
@require_GET
def trigger_list(request: HttpRequest) -> HttpResponse:
    return _list(request, TRIGGER)


@admin_required
@require_http_methods(["GET", "POST"])
def trigger_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    return _edit(request, TRIGGER, pk)


@admin_required
@require_http_methods(["GET", "POST"])
def trigger_delete(request: HttpRequest, pk: int) -> HttpResponse:
    return _delete(request, TRIGGER, pk)


@admin_required
@require_POST
def trigger_toggle(request: HttpRequest, pk: int) -> HttpResponse:
    return _toggle(request, TRIGGER, pk)


@admin_required
@require_POST
def trigger_move(request: HttpRequest, pk: int, direction: str) -> HttpResponse:
    return _move(request, TRIGGER, pk, direction)


@admin_required
@require_GET
def automation_list(request: HttpRequest) -> HttpResponse:
    return _list(request, AUTOMATION)


@admin_required
@require_http_methods(["GET", "POST"])
def automation_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    return _edit(request, AUTOMATION, pk)


@admin_required
@require_http_methods(["GET", "POST"])
def automation_delete(request: HttpRequest, pk: int) -> HttpResponse:
    return _delete(request, AUTOMATION, pk)


@admin_required
@require_POST
def automation_toggle(request: HttpRequest, pk: int) -> HttpResponse:
    return _toggle(request, AUTOMATION, pk)


@admin_required
@require_POST
def automation_move(request: HttpRequest, pk: int, direction: str) -> HttpResponse:
    return _move(request, AUTOMATION, pk, direction)
