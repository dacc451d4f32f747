"""Admin settings for routing rules and automatic assignment; agents' availability switch."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from supportal.accounts.access import admin_required, agent_required
from supportal.rules import assignment, routing_services
from supportal.rules.models import GroupRouting, RoutingRule
from supportal.rules.routing_forms import AssignmentForm, AvailabilityForm, RoutingRuleForm
from supportal.tickets.models import Channel, Group


def _crumbs(*trail: tuple[str, str | None]) -> list[tuple[str, str | None]]:
    return [(_("Inbox"), reverse("agent:inbox")), *trail]


def _summary(rule: RoutingRule) -> list[str]:
    parts = []
    channels = dict(Channel.choices)
    if rule.channels:
        parts.append(_("Channel: %s") % ", ".join(str(channels.get(c, c)) for c in rule.channels))
    if rule.mailboxes.all():
        parts.append(_("To: %s") % ", ".join(m.address for m in rule.mailboxes.all()))
    if rule.request_types.all():
        parts.append(_("Type: %s") % ", ".join(str(t) for t in rule.request_types.all()))
    if rule.organizations.all():
        parts.append(_("Organization: %s") % ", ".join(o.name for o in rule.organizations.all()))
    if rule.languages:
        parts.append(_("Language: %s") % ", ".join(rule.languages))
    if rule.words:
        parts.append(_("Words: %s") % ", ".join(rule.words))
    return parts


def _list_context(moved: int | None = None, direction: str = "") -> dict[str, Any]:
    rows = list(
        RoutingRule.objects.select_related("group").prefetch_related(
            "mailboxes", "request_types", "organizations"
        )
    )
    for row in rows:
        row.summary = _summary(row)  # type: ignore[attr-defined]
    return {"rows": rows, "moved": moved, "moved_direction": direction}


@admin_required
@require_GET
def rules(request: HttpRequest) -> HttpResponse:
    heading = _("Routing rules")
    context = {**_list_context(), "crumbs": _crumbs((heading, None))}
    return render(request, "rules/routing_list.html", context)


@admin_required
@require_http_methods(["GET", "POST"])
def rule_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    rule = get_object_or_404(RoutingRule, pk=pk) if pk else None
    initial: dict[str, Any] = {"active": True}
    if rule is not None:
        initial = {
            "name": rule.name,
            "group": rule.group,
            "active": rule.active,
            "channels": rule.channels,
            "mailboxes": list(rule.mailboxes.all()),
            "request_types": list(rule.request_types.all()),
            "organizations": list(rule.organizations.all()),
            "languages": rule.languages,
            "words": ", ".join(rule.words),
        }
    form = RoutingRuleForm(request.POST if request.method == "POST" else None, initial=initial)
    if form.is_bound and form.is_valid():
        try:
            routing_services.routing_rule_save(rule=rule, **form.cleaned_data)
        except ValidationError as error:
            form.add_error("name", error)
        else:
            messages.success(request, _("The routing rule has been saved."))
            return HttpResponseRedirect(reverse("rules:routing"))
    title = rule.name if rule else _("New routing rule")
    context = {
        "form": form,
        "rule": rule,
        "crumbs": _crumbs((_("Routing rules"), reverse("rules:routing")), (title, None)),
    }
    status = 400 if form.is_bound else 200
    return render(request, "rules/routing_form.html", context, status=status)


@admin_required
@require_http_methods(["GET", "POST"])
def rule_delete(request: HttpRequest, pk: int) -> HttpResponse:
    rule = get_object_or_404(RoutingRule, pk=pk)
    if request.method == "POST":
        routing_services.routing_rule_delete(rule=rule)
        messages.success(
            request, _("The routing rule “%(name)s” was deleted.") % {"name": rule.name}
        )
        return HttpResponseRedirect(reverse("rules:routing"))
    trail = ((_("Routing rules"), reverse("rules:routing")), (rule.name, None))
    return render(request, "rules/routing_delete.html", {"rule": rule, "crumbs": _crumbs(*trail)})


@admin_required
@require_POST
def rule_move(request: HttpRequest, pk: int, direction: str) -> HttpResponse:
    rule = get_object_or_404(RoutingRule, pk=pk)
    try:
        place = routing_services.routing_rule_move(rule=rule, direction=direction)
    except ValueError:
        return HttpResponse(status=404)
    message = _("“%(name)s” is now number %(position)s in the order.") % {
        "name": rule.name,
        "position": place or RoutingRule.objects.filter(position__lt=rule.position).count() + 1,
    }
    if request.headers.get("HX-Request"):
        context = {**_list_context(rule.pk, direction), "moved_message": message, "oob": True}
        return render(request, "rules/_routing_table.html", context)
    messages.success(request, message)
    return HttpResponseRedirect(reverse("rules:routing"))


@admin_required
@require_POST
def rule_toggle(request: HttpRequest, pk: int) -> HttpResponse:
    rule = get_object_or_404(RoutingRule, pk=pk)
    routing_services.routing_rule_set_active(rule=rule, active=not rule.active)
    return HttpResponseRedirect(reverse("rules:routing"))


@admin_required
@require_http_methods(["GET", "POST"])
def assignment_settings(request: HttpRequest) -> HttpResponse:
    groups = list(Group.objects.order_by("name"))
    current = {row.group_id: row for row in GroupRouting.objects.all()}
    data = request.POST if request.method == "POST" else None
    form = AssignmentForm(data, groups=groups, current=current)
    if form.is_bound and form.is_valid():
        routing_services.group_routing_save(settings=form.settings())
        messages.success(request, _("Automatic assignment has been saved."))
        return HttpResponseRedirect(reverse("rules:assignment"))
    heading = _("Automatic assignment")
    context = {"form": form, "crumbs": _crumbs((heading, None))}
    return render(request, "rules/assignment.html", context, status=400 if form.is_bound else 200)


@agent_required
@require_http_methods(["GET", "POST"])
def availability(request: HttpRequest) -> HttpResponse:
    """The agent's own availability for automatic assignment (the switch in the header)."""
    user: Any = request.user
    form = AvailabilityForm(
        request.POST if request.method == "POST" else None,
        initial={"availability": assignment.availability_of(user)},
    )
    if form.is_bound and form.is_valid():
        assignment.availability_set(user=user, availability=form.cleaned_data["availability"])
        assignment.remember_shown(request.session, form.cleaned_data["availability"])
        if not request.headers.get("HX-Request"):
            back = request.POST.get("next", "")
            if not url_has_allowed_host_and_scheme(back, {request.get_host()}):
                back = reverse("rules:availability")
            messages.success(request, _("Your availability has been saved."))
            return HttpResponseRedirect(back)
        form = AvailabilityForm(initial=form.cleaned_data)
        return render(request, "rules/_availability.html", {"form": form, "saved": True})
    if not form.is_bound:
        current = form.initial["availability"]
        assignment.remember_shown(request.session, current)
        if request.headers.get("HX-Request") and request.GET.get("shown") == current:
            return HttpResponse(status=204)  # the header shows it already: nothing to swap
    template = (
        "rules/_availability.html"
        if request.headers.get("HX-Request")
        else "rules/availability.html"
    )
    status = 400 if form.is_bound else 200
    return render(
        request,
        template,
        {"form": form, "crumbs": _crumbs((_("Availability"), None))},
        status=status,
    )
