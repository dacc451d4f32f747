"""Personal data: a person's export page, the download link, and the admins' export, erasure
and retention pages."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.files.storage import default_storage
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from supportal.accounts.access import admin_required, signed_in
from supportal.accounts.models import User
from supportal.accounts.reauth import recent_auth_required
from supportal.core.downloads import file_response
from supportal.privacy import services
from supportal.privacy.access import get_person_for
from supportal.privacy.forms import EraseConfirmForm, RetentionForm
from supportal.privacy.models import PersonErasure, RetentionPolicy

POLL_SECONDS = 2


def _crumbs(*trail: tuple[str, str | None]) -> list[tuple[str, str | None]]:
    return [(_("Inbox"), reverse("agent:inbox")), *trail]


# --- Export --------------------------------------------------------------------------------------


def _export_context(
    request: HttpRequest, person: User, page_url: str, status_url: str
) -> dict[str, Any]:
    user: Any = request.user
    return {
        "person": person,
        "for_self": person.pk == user.pk,
        "export": services.export_latest(person=person, requested_by=user),
        "page_url": page_url,
        "status_url": status_url,
        "poll_seconds": POLL_SECONDS,
        "days": settings.PRIVACY_EXPORT_DAYS,
    }


def _export_page(
    request: HttpRequest, person: User, page_url: str, status_url: str, template: str
) -> HttpResponse:
    if request.method == "POST":
        services.export_request(person=person, requested_by=request.user, request=request)  # type: ignore[arg-type]
        if person.pk == request.user.pk:
            note = _("Your data is being prepared. We will email you a link when it is ready.")
        else:
            note = _("The export is being prepared. We will email you a link when it is ready.")
        messages.success(request, note)
        return HttpResponseRedirect(page_url)
    context = _export_context(request, person, page_url, status_url)
    if template == "privacy/person_export.html":
        context["crumbs"] = _crumbs((person.name, None), (_("Export data"), None))
    return render(request, template, context)


@signed_in
@recent_auth_required
@require_http_methods(["GET", "POST"])
def export(request: HttpRequest) -> HttpResponse:
    """The person's own export: ask for it, watch it being prepared."""
    return _export_page(
        request,
        request.user,  # type: ignore[arg-type]
        reverse("privacy:export"),
        reverse("privacy:export_status"),
        "privacy/export.html",
    )


@signed_in
@require_GET
def export_status(request: HttpRequest) -> HttpResponse:
    """The progress note alone, polled by htmx (no re-authentication: it shows only counts)."""
    context = _export_context(
        request,
        request.user,  # type: ignore[arg-type]
        reverse("privacy:export"),
        reverse("privacy:export_status"),
    )
    return render(request, "privacy/_export_status.html", context)


@admin_required
@recent_auth_required
@require_http_methods(["GET", "POST"])
def person_export(request: HttpRequest, pk: int) -> HttpResponse:
    """An admin asks for a person's export; the link is mailed to the admin."""
    person = get_person_for(request, pk)
    return _export_page(
        request,
        person,
        reverse("privacy:person_export", args=[pk]),
        reverse("privacy:person_export_status", args=[pk]),
        "privacy/person_export.html",
    )


@admin_required
@require_GET
def person_export_status(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_person_for(request, pk)
    context = _export_context(
        request,
        person,
        reverse("privacy:person_export", args=[pk]),
        reverse("privacy:person_export_status", args=[pk]),
    )
    return render(request, "privacy/_export_status.html", context)


class _DeleteAfterReading:
    """The ZIP as FileResponse reads it; closing it (the response has been sent) deletes it."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.handle = default_storage.open(name, "rb")

    def read(self, size: int = -1) -> bytes:
        return self.handle.read(size)

    def close(self) -> None:
        self.handle.close()
        services.export.export_file_delete(self.name)


@signed_in
@require_GET
def download(request: HttpRequest, token: str) -> HttpResponse:
    """The emailed link: works once, for the person it was sent to, until it expires."""
    claimed = services.export_claim(token=token, user=request.user, request=request)  # type: ignore[arg-type]
    if claimed is None or not claimed.file_name:
        return render(request, "privacy/link_invalid.html", status=410)
    try:
        body = _DeleteAfterReading(claimed.file_name)
    except OSError:
        return render(request, "privacy/link_invalid.html", status=410)
    response = file_response(
        body,  # type: ignore[arg-type]
        filename=claimed.download_name,
        content_type="application/zip",
        cache="private, no-store",
    )
    response["Content-Length"] = str(claimed.size)
    return response


# --- Erasure -------------------------------------------------------------------------------------


@admin_required
@recent_auth_required
@require_http_methods(["GET", "POST"])
def person_erase(request: HttpRequest, pk: int) -> HttpResponse:
    """Names what an erasure removes and keeps; erases once the email is typed."""
    person = get_person_for(request, pk)
    erased = PersonErasure.objects.filter(user=person).first()
    form = EraseConfirmForm(request.POST if request.method == "POST" else None, person=person)
    if erased is None and person.is_customer and form.is_bound and form.is_valid():
        services.person_erase(person=person, request=request)
        messages.success(request, _("The person's data has been erased."))
        return HttpResponseRedirect(reverse("privacy:person_erase", args=[pk]))
    context = {
        "person": person,
        "erased": erased,
        "form": form,
        "counts": services.erasure_counts(person) if erased is None else None,
        "crumbs": _crumbs((person.name, None), (_("Erase"), None)),
    }
    return render(request, "privacy/erase.html", context, status=400 if form.is_bound else 200)


# --- Retention -----------------------------------------------------------------------------------


@admin_required
@recent_auth_required
@require_http_methods(["GET", "POST"])
def retention(request: HttpRequest) -> HttpResponse:
    """The retention policy; turning it on (or changing it) shows a dry run to confirm first."""
    policy = RetentionPolicy.current()
    initial = {"enabled": policy.enabled, "months": policy.months}
    form = RetentionForm(request.POST if request.method == "POST" else None, initial=initial)
    preview = None
    if form.is_bound and form.is_valid():
        enabled, months = form.cleaned_data["enabled"], form.cleaned_data["months"]
        if not enabled or form.cleaned_data["confirm"]:
            services.retention_save(enabled=enabled, months=months, request=request)
            messages.success(request, _("The retention policy has been saved."))
            return HttpResponseRedirect(reverse("privacy:retention"))
        cutoff = services.retention_cutoff(months)
        preview = {
            "months": months,
            "cutoff": cutoff,
            "count": services.retention_candidates(cutoff).count(),
        }
    context = {
        "form": form,
        "policy": policy,
        "preview": preview,
        "crumbs": _crumbs((_("Data retention"), None)),
    }
    status = 400 if form.is_bound and not form.is_valid() else 200
    return render(request, "privacy/retention.html", context, status=status)
