"""People, for admins (/agent/manage/people/): find anyone, change their role, active flag
and organization. Signing them out everywhere and their personal data are included fragments
of the person page (accounts/security/_person_sessions.html, privacy/_person_actions.html)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from supportal.accounts import services
from supportal.accounts.access import admin_required
from supportal.accounts.models import User
from supportal.accounts.people_forms import PeopleFilterForm, PersonForm
from supportal.audit.keyset import keyset_page
from supportal.audit.models import AuditEntry
from supportal.audit.presentation import describe
from supportal.lib.phone import phone_or_none, stored_forms

LIST_COLUMNS = (
    "id",
    "name",
    "email",
    "phone",
    "role",
    "is_active",
    "is_superuser",
    "organization__name",
)
RECENT_ENTRIES = 10


def _crumbs(*trail: tuple[str, str | None]) -> list[tuple[str, str | None]]:
    return [(_("Inbox"), reverse("agent:inbox")), *trail]


def get_person_for(request: HttpRequest, pk: int) -> User:
    """Anyone's account, for an admin (the views' rule); 404 for an id that does not exist."""
    return get_object_or_404(User.objects.select_related("organization"), pk=pk)


@admin_required
@require_GET
def people(request: HttpRequest) -> HttpResponse:
    form = PeopleFilterForm(request.GET or None)
    wanted = form.cleaned_data if form.is_valid() else {}
    rows = User.objects.select_related("organization").only(*LIST_COLUMNS)
    if wanted.get("q"):
        found = Q(name__icontains=wanted["q"]) | Q(email__icontains=wanted["q"])
        number = phone_or_none(wanted["q"], region=settings.PHONE_REGION)
        if number:
            found |= Q(phone__in=stored_forms(number, region=settings.PHONE_REGION))
        rows = rows.filter(found)
    if wanted.get("role"):
        rows = rows.filter(role=wanted["role"])
    keep = {name: wanted.get(name) for name in ("q", "role")}
    page = keyset_page(rows, request, order=("name", "id"), keep=keep)
    context = {
        "form": form,
        "page": page,
        "filtered": any(keep.values()),
        "crumbs": _crumbs((_("People"), None)),
        **page.links,
    }
    return render(request, "people/list.html", context)


@admin_required
@require_http_methods(["GET", "POST"])
def person(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_person_for(request, pk)
    initial = {
        "role": person.role,
        "is_active": person.is_active,
        "organization": person.organization,
        "phone": person.phone,
    }
    form = PersonForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.user_update_by_admin(
                user=person,
                actor=request.user,  # type: ignore[arg-type]
                request=request,
                **form.cleaned_data,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The changes have been saved."))
            return HttpResponseRedirect(reverse("people:person", args=[person.pk]))
    entries = AuditEntry.objects.filter(
        Q(actor_id=person.pk) | Q(target_type="accounts.user", target_id=str(person.pk))
    ).order_by("-at", "-id")[:RECENT_ENTRIES]
    context = {
        "person": person,
        "form": form,
        "groups": list(person.ticket_groups.order_by("name")) if person.is_agent else [],
        "entries": [describe(entry) for entry in entries],
        "crumbs": _crumbs((_("People"), reverse("people:list")), (str(person), None)),
    }
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "people/person.html", context, status=status)
