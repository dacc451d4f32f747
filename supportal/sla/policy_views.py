"""Admin settings: service level policies (ordered, with conditions, targets and escalation),
the leads of each group, and a test page saying which policy applies to a request and why.
Also the agents' fragment of a request's clocks, which the request page polls."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from supportal.accounts.access import admin_required, agent_required, agent_required_hidden
from supportal.sla import display, matching, policy_services
from supportal.sla.access import get_policy_for
from supportal.sla.models import GroupLead, SlaPolicy
from supportal.sla.policy_forms import LeadsForm, PolicyForm, duration_text, policy_initial
from supportal.tickets.access import get_ticket_for
from supportal.tickets.models import Channel, Group, Priority, Ticket


def crumbs(*trail: tuple[str, str | None]) -> list[tuple[str, str | None]]:
    return [
        (_("Inbox"), reverse("agent:inbox")),
        (_("Service levels"), reverse("sla:policies") if trail else None),
        *trail,
    ]


def _listed(names: list[str]) -> str:
    return pgettext("list separator", ", ").join(str(name) for name in names)


def conditions_summary(policy: SlaPolicy) -> list[str]:
    """One phrase per condition; empty for a policy that applies to every request."""
    parts = []
    if policy.priorities:
        names = [Priority(p).label for p in policy.priorities if p in Priority.values]
        parts.append(_("Priority: %(values)s") % {"values": _listed(names)})
    if policy.channels:
        names = [Channel(c).label for c in policy.channels if c in Channel.values]
        parts.append(_("Channel: %(values)s") % {"values": _listed(names)})
    for label, rows in (
        (_("Request type"), policy.request_types.all()),
        (_("Group"), policy.groups.all()),
        (_("Organization"), policy.organizations.all()),
    ):
        if rows:
            names = [getattr(row, "name", str(row)) for row in rows]
            parts.append(_("%(field)s: %(values)s") % {"field": label, "values": _listed(names)})
    if policy.tags:
        parts.append(_("Tags: %(values)s") % {"values": _listed(policy.tags)})
    for key, values in (policy.field_values or {}).items():
        parts.append(_("%(field)s: %(values)s") % {"field": key, "values": _listed(values)})
    return parts


def targets_summary(policy: SlaPolicy) -> list[str]:
    """ "Urgent: First reply 1h, Resolution 8h" for each priority with targets."""
    by_priority: dict[int, list[str]] = {}
    for target in sorted(policy.targets.all(), key=lambda t: (-t.priority, t.metric)):
        by_priority.setdefault(target.priority, []).append(
            f"{display.metric_label(target.metric)} {duration_text(target.minutes)}"
        )
    return [
        _("%(priority)s: %(targets)s") % {"priority": Priority(p).label, "targets": _listed(names)}
        for p, names in by_priority.items()
    ]


def _list_context(moved: int | None = None, direction: str = "") -> dict[str, Any]:
    rows = list(
        SlaPolicy.objects.prefetch_related("targets", "request_types", "groups", "organizations")
    )
    for row in rows:
        row.conditions_text = conditions_summary(row)  # type: ignore[attr-defined]
        row.targets_text = targets_summary(row)  # type: ignore[attr-defined]
    return {"rows": rows, "moved": moved, "moved_direction": direction}


@admin_required
@require_GET
def policies(request: HttpRequest) -> HttpResponse:
    moved = request.GET.get("moved", "")
    context = _list_context(int(moved) if moved.isdigit() else None, request.GET.get("dir", ""))
    return render(request, "sla/policy_list.html", {**context, "crumbs": crumbs()})


@admin_required
@require_http_methods(["GET", "POST"])
def policy_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    policy = get_policy_for(request, pk) if pk else None
    initial = policy_initial(policy) if policy else {}
    form = PolicyForm(request.POST if request.method == "POST" else None, initial=initial)
    if form.is_bound and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k in _SAVED}
        try:
            policy_services.sla_policy_save(policy=policy, **data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The policy has been saved."))
            return HttpResponseRedirect(reverse("sla:policies"))
    title = policy.name if policy else _("New policy")
    context = {"form": form, "policy": policy, "crumbs": crumbs((title, None))}
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "sla/policy_form.html", context, status=status)


_SAVED = frozenset(
    [
        "name",
        "description",
        "active",
        "priorities",
        "channels",
        "request_types",
        "groups",
        "organizations",
        "tags",
        "field_values",
        "targets",
        "pause_when_pending",
        "pause_when_on_hold",
        "warn_minutes",
        "notify_on_breach",
        "raise_priority_on_breach",
        "escalate_to_group",
    ]
)


@admin_required
@require_http_methods(["GET", "POST"])
def policy_delete(request: HttpRequest, pk: int) -> HttpResponse:
    policy = get_policy_for(request, pk)
    if request.method == "POST":
        policy_services.sla_policy_delete(policy=policy)
        messages.success(request, _("The policy “%(name)s” was deleted.") % {"name": policy.name})
        return HttpResponseRedirect(reverse("sla:policies"))
    context = {"policy": policy, "crumbs": crumbs((policy.name, None))}
    return render(request, "sla/policy_delete.html", context)


@admin_required
@require_POST
def policy_move(request: HttpRequest, pk: int, direction: str) -> HttpResponse:
    policy = get_policy_for(request, pk)
    try:
        policy_services.sla_policy_move(policy=policy, direction=direction)
    except ValidationError:
        return HttpResponse(status=404)
    position = list(SlaPolicy.objects.values_list("pk", flat=True)).index(policy.pk) + 1
    message = _("“%(name)s” is now number %(position)s in the order.") % {
        "name": policy.name,
        "position": position,
    }
    if request.headers.get("HX-Request"):
        context = {**_list_context(policy.pk, direction), "oob": True, "moved_message": message}
        return render(request, "sla/_policy_table.html", context)
    messages.success(request, message)
    url = reverse("sla:policies") + f"?moved={policy.pk}&dir={direction}#policy-{policy.pk}"
    return HttpResponseRedirect(url)


@admin_required
@require_POST
def policy_toggle(request: HttpRequest, pk: int) -> HttpResponse:
    policy = get_policy_for(request, pk)
    active = not policy.active
    policy_services.sla_policy_set_active(policy=policy, active=active)
    message = _("“%(name)s” is now active.") if active else _("“%(name)s” is now inactive.")
    messages.success(request, message % {"name": policy.name})
    return HttpResponseRedirect(reverse("sla:policies") + f"#policy-{policy.pk}")


@admin_required
@require_http_methods(["GET", "POST"])
def group_leads(request: HttpRequest) -> HttpResponse:
    groups = list(Group.objects.order_by("name"))
    initial: dict[str, list[int]] = {}
    for lead in GroupLead.objects.all():
        initial.setdefault(f"leads_{lead.group_id}", []).append(lead.user_id)
    form = LeadsForm(request.POST or None, groups=groups, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            policy_services.sla_group_leads_save(leads=form.leads())
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The group leads have been saved."))
            return HttpResponseRedirect(reverse("sla:group_leads"))
    context = {"form": form, "crumbs": crumbs((_("Group leads"), None))}
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "sla/policy_leads.html", context, status=status)


def _test_ticket(request: HttpRequest, text: str) -> tuple[Ticket | None, str]:
    number = text.strip().lstrip("#")
    if not text.strip():
        return None, ""
    if not number.isdigit() or len(number) > 18:
        return None, _("Enter a request number, like 1042.")
    ticket = Ticket.objects.visible_to(request.user).filter(pk=int(number)).first()
    if ticket is None:
        return None, _("There is no request #%(number)s.") % {"number": number}
    return ticket, ""


@admin_required
@require_GET
def policy_test(request: HttpRequest) -> HttpResponse:
    """Which policy, routing rule and triggers apply to request #N and why, and the request's
    clocks."""
    text = request.GET.get("number", "")[:30]
    ticket, error = _test_ticket(request, text)
    context: dict[str, Any] = {"number": text, "error": error, "ticket": ticket}
    if ticket is not None:
        checks = matching.explain(ticket)
        context["checks"] = checks
        context["applies"] = next((check.policy for check in checks if check.matches), None)
        context["clocks"] = display.ticket_clocks(ticket)
        # Routing rules and triggers, judged the same way (the business rules area).
        from supportal.rules.explain import test_context

        context.update(test_context(ticket))
    context["crumbs"] = crumbs((_("Test a request"), None))
    return render(request, "sla/policy_test.html", context, status=400 if error else 200)


@agent_required_hidden
@require_GET
def ticket_clocks(request: HttpRequest, number: int) -> HttpResponse:
    """The request page's clocks panel alone, which the page polls every minute."""
    ticket = get_ticket_for(request, number)
    clocks = display.ticket_clocks(ticket)
    was = request.GET.get("was", "")[:200]
    context = {"ticket": ticket, "clocks": clocks, "announce": clocks.signature != was}
    return render(request, "sla/_ticket_sla_panel.html", context)


INBOX_CLOCKS_MAX = 100


@agent_required
@require_GET
def inbox_clocks(request: HttpRequest) -> HttpResponse:
    """The "Next SLA" cells of the requests on an inbox page, which the page polls every
    minute; each is swapped in by its id, so the rest of the table (ticked boxes) stays."""
    asked = request.GET.get("ids", "").split(",")[:INBOX_CLOCKS_MAX]
    # Request numbers fit a 63-bit integer; a longer one would overflow the database driver.
    numbers = [int(n) for n in asked if n.isdigit() and len(n) < 19]
    rows = (
        Ticket.objects.visible_to(request.user)
        .filter(pk__in=numbers)
        .select_related("sla__policy")
        .order_by()
    )
    return render(request, "sla/_inbox_clocks.html", {"rows": rows})
