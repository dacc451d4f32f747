"""Admin settings for requests: groups (queues), custom fields and request types."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.forms import Form
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from supportal.accounts.access import admin_required
from supportal.tickets import settings_services
from supportal.tickets.agent_forms import (
    CustomFieldForm,
    GroupForm,
    RequestTypeForm,
    choices_to_text,
    names_from,
    names_initial,
)
from supportal.tickets.models import CustomField, Group, RequestType


def _crumbs(list_label: str, list_url: str, title: str | None = None) -> list[Any]:
    crumbs: list[tuple[str, str | None]] = [(_("Inbox"), reverse("agent:inbox"))]
    crumbs.append((list_label, list_url if title else None))
    if title:
        crumbs.append((title, None))
    return crumbs


def _data(request: HttpRequest) -> Any:
    return request.POST if request.method == "POST" else None


def _form_page(
    request: HttpRequest, template: str, form: Form, context: dict[str, Any]
) -> HttpResponse:
    status = 400 if form.is_bound and form.errors else 200
    return render(request, template, {"form": form, **context}, status=status)


def _saved(request: HttpRequest, message: str, url_name: str) -> HttpResponse:
    messages.success(request, message)
    return HttpResponseRedirect(reverse(url_name))


def _list(request: HttpRequest, template: str, heading: str, rows: Any) -> HttpResponse:
    context = {"heading": heading, "rows": rows, "crumbs": _crumbs(heading, "")}
    return render(request, f"tickets/agent/manage/{template}.html", context)


# --- Groups ------------------------------------------------------------------------------------


@admin_required
@require_GET
def groups(request: HttpRequest) -> HttpResponse:
    rows = Group.objects.annotate(member_count=Count("members")).order_by("name")
    return _list(request, "groups", _("Groups"), rows)


@admin_required
@require_http_methods(["GET", "POST"])
def group_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    group = get_object_or_404(Group, pk=pk) if pk else None
    initial = {}
    if group is not None:
        members = list(group.members.all())
        initial = {"name": group.name, "description": group.description, "members": members}
    form = GroupForm(_data(request), group=group, initial=initial)
    if form.is_bound and form.is_valid():
        try:
            settings_services.group_save(group=group, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return _saved(request, _("The group has been saved."), "agent:groups")
    title = group.name if group else _("New group")
    context = {"group": group, "crumbs": _crumbs(_("Groups"), reverse("agent:groups"), title)}
    return _form_page(request, "tickets/agent/manage/group_form.html", form, context)


# --- Custom fields -----------------------------------------------------------------------------


@admin_required
@require_GET
def fields(request: HttpRequest) -> HttpResponse:
    return _list(request, "fields", _("Custom fields"), CustomField.objects.all())


@admin_required
@require_http_methods(["GET", "POST"])
def field_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    field = get_object_or_404(CustomField, pk=pk) if pk else None
    initial: dict[str, Any] = {}
    if field is not None:
        initial = {
            "key": field.key,
            "kind": field.kind,
            "choices": choices_to_text(field.choices),
            "required": field.required,
            "customer_visible": field.customer_visible,
            "position": field.position,
            "active": field.active,
            **names_initial("label", field.labels),
        }
    form = CustomFieldForm(_data(request), field=field, initial=initial)
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        try:
            settings_services.custom_field_save(
                field=field,
                key=data["key"],
                labels=names_from(form, "label"),
                kind=data["kind"],
                choices=data["choices"],
                required=data["required"],
                customer_visible=data["customer_visible"],
                position=data["position"],
                active=data["active"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return _saved(request, _("The custom field has been saved."), "agent:fields")
    title = field.label if field else _("New custom field")
    crumbs = _crumbs(_("Custom fields"), reverse("agent:fields"), title)
    context = {"field": field, "crumbs": crumbs}
    return _form_page(request, "tickets/agent/manage/field_form.html", form, context)


# --- Request types -----------------------------------------------------------------------------


@admin_required
@require_GET
def request_types(request: HttpRequest) -> HttpResponse:
    return _list(request, "types", _("Request types"), RequestType.objects.all())


@admin_required
@require_http_methods(["GET", "POST"])
def request_type_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    request_type = get_object_or_404(RequestType, pk=pk) if pk else None
    initial: dict[str, Any] = {}
    if request_type is not None:
        initial = {
            "position": request_type.position,
            "active": request_type.active,
            **names_initial("name", request_type.names),
        }
    form = RequestTypeForm(_data(request), initial=initial)
    if form.is_bound and form.is_valid():
        try:
            settings_services.request_type_save(
                request_type=request_type,
                names=names_from(form, "name"),
                position=form.cleaned_data["position"],
                active=form.cleaned_data["active"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return _saved(request, _("The request type has been saved."), "agent:types")
    title = request_type.name if request_type else _("New request type")
    crumbs = _crumbs(_("Request types"), reverse("agent:types"), title)
    context = {"request_type": request_type, "crumbs": crumbs}
    return _form_page(request, "tickets/agent/manage/type_form.html", form, context)
