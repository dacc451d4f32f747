"""Policy pages: the public privacy policy and terms, the accessibility statement and its report
form, the acceptance page, the settings pages for admins, and /.well-known/security.txt."""

from __future__ import annotations

from datetime import UTC, date, timedelta
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language, get_language_info
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from supportal.accounts.access import admin_required, public, signed_in
from supportal.core import ratelimit
from supportal.legal import services
from supportal.legal.access import get_published_for, get_version_for
from supportal.legal.current import current
from supportal.legal.forms import BarrierReportForm, VersionForm
from supportal.legal.middleware import SESSION_KEY
from supportal.legal.models import Kind, PolicyText, PolicyVersion
from supportal.lib.markdown import render_markdown

# --- Showing a version -------------------------------------------------------------------------


def _shown_text(version: PolicyVersion, language: str) -> tuple[PolicyText | None, bool]:
    """The text in `language`, else the English one: (text, is_fallback)."""
    texts = {t.language: t for t in version.texts.all()}
    if language in texts:
        return texts[language], False
    return texts.get(services.FALLBACK_LANGUAGE), True


def _document(version: PolicyVersion, language: str) -> dict[str, Any]:
    text, fallback = _shown_text(version, language)
    rendered = render_markdown(text.body if text else "")
    return {
        "version": version,
        "title": Kind(version.kind).label,
        "text": text,
        "is_fallback": fallback and text is not None,
        "body_html": rendered.html,
        "toc": rendered.toc,
    }


# --- Public pages ------------------------------------------------------------------------------


@public
@require_GET
def policy(request: HttpRequest, kind: str, number: int | None = None) -> HttpResponse:
    if number is not None:
        version: PolicyVersion | None = get_published_for(kind, number)
    else:
        version = PolicyVersion.objects.published().filter(kind=kind).order_by("-number").first()
    title = Kind(kind).label
    if version is None:
        context = {"title": title, "kind": kind}
        return render(request, "legal/unpublished.html", context, status=404)
    history = list(
        PolicyVersion.objects.published()
        .filter(kind=kind)
        .order_by("-number")
        .only("pk", "kind", "number", "published_at")
    )
    for row in history:
        row.url = reverse(f"legal:{kind}_version", args=[row.number])  # type: ignore[attr-defined]
    context = {
        **_document(version, get_language()),
        "kind": kind,
        "history": history,
        "latest": history[0],
        "current_url": reverse(f"legal:{kind}"),
    }
    return render(request, "legal/policy.html", context)


# --- Accessibility statement -------------------------------------------------------------------

# When the statement was last checked against the site: change it whenever its words change.
ACCESSIBILITY_REVIEWED = date(2026, 12, 6)
# The name base.html shows; there is no site-name setting yet.
SITE_NAME = "Supportal"


@public
@require_http_methods(["GET", "POST"])
@ratelimit.rate_limit("request", methods=("POST",), by="user")
def accessibility(request: HttpRequest) -> HttpResponse:
    signed_in = request.user.is_authenticated
    data = request.POST if request.method == "POST" else None
    form = BarrierReportForm(data, signed_in=signed_in)
    # A visitor's report mails a link to any address typed: counted with the request form's
    # visitor requests (limit "mail_action"), so neither form can send mail in bulk.
    if form.is_valid() and (
        signed_in
        or not ratelimit.refused_on_form(request, form, "mail_action", scope="visitor-request")
    ):
        try:
            ticket = services.accessibility_barrier_report(
                user=request.user if signed_in else None,  # type: ignore[arg-type]
                description=form.cleaned_data["description"],
                email=form.cleaned_data.get("email", ""),
                name=form.cleaned_data.get("name", ""),
                language=get_language(),
                submission_key=form.cleaned_data["key"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if signed_in:
                message = _("Thank you. Your request #%(number)d has been received.")
            else:
                message = _(
                    "Thank you. Your request #%(number)d has been received. We sent a link to "
                    "%(email)s: open it to see your request and read our replies."
                )
            values = {"number": ticket.pk, "email": form.cleaned_data.get("email", "")}
            messages.success(request, message % values)
            return HttpResponseRedirect(reverse("legal:accessibility"))
    context = {
        "form": form,
        "reviewed": ACCESSIBILITY_REVIEWED,
        "site_name": SITE_NAME,
    }
    return render(request, "legal/accessibility.html", context, status=400 if form.errors else 200)


# --- Acceptance --------------------------------------------------------------------------------


def _next_url(request: HttpRequest) -> str:
    given = request.POST.get("next") or request.GET.get("next") or ""
    if given and url_has_allowed_host_and_scheme(
        given, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return given
    return reverse("core:home")


@signed_in
@require_http_methods(["GET", "POST"])
def accept(request: HttpRequest) -> HttpResponse:
    next_url = _next_url(request)
    token = current().token
    pending = services.pending_for(request.user)  # type: ignore[arg-type]
    if not pending:
        request.session[SESSION_KEY] = token
        return HttpResponseRedirect(next_url)
    latest = current().latest
    versions = list(
        PolicyVersion.objects.filter(pk__in=[latest[kind].pk for kind in pending])
        .prefetch_related("texts")
        .order_by("kind")
    )
    error = ""
    if request.method == "POST":
        shown = sorted(request.POST.getlist("version"))
        if shown != sorted(str(v.pk) for v in versions):
            # A newer version was published while the page was open: show that one first.
            error = _("A newer version was published meanwhile. Please read it and accept again.")
        else:
            services.policies_accept(user=request.user, versions=versions, request=request)  # type: ignore[arg-type]
            request.session[SESSION_KEY] = token
            messages.success(request, _("Thank you. You can carry on where you were."))
            return HttpResponseRedirect(next_url)
    language = get_language()
    context = {
        "documents": [_document(v, language) for v in versions],
        "next": next_url,
        "error": error,
    }
    return render(request, "legal/accept.html", context, status=400 if error else 200)


# --- Settings pages (admins) -------------------------------------------------------------------


def _crumbs(*trail: tuple[str, str | None]) -> list[tuple[str, str | None]]:
    return [
        (_("Inbox"), reverse("agent:inbox")),
        (_("Policies"), reverse("legal:manage") if trail else None),
        *trail,
    ]


@admin_required
@require_GET
def manage(request: HttpRequest) -> HttpResponse:
    versions = list(
        PolicyVersion.objects.annotate(acceptance_count=Count("acceptances"))
        .prefetch_related("texts")
        .order_by("kind", "-number")
    )
    by_kind = {kind: [] for kind in Kind.values}  # type: dict[str, list[PolicyVersion]]
    for version in versions:
        version.languages = [t.language for t in version.texts.all()]  # type: ignore[attr-defined]
        by_kind[version.kind].append(version)
    documents = [
        {
            "kind": kind,
            "title": Kind(kind).label,
            "versions": rows,
            "has_draft": any(not v.is_published for v in rows),
        }
        for kind, rows in by_kind.items()
    ]
    context = {"documents": documents, "crumbs": _crumbs()}
    return render(request, "legal/manage.html", context)


@admin_required
@require_POST
def version_new(request: HttpRequest, kind: str) -> HttpResponse:
    if kind not in Kind.values:
        raise Http404
    draft = services.version_draft(kind=kind, actor=request.user)  # type: ignore[arg-type]
    return HttpResponseRedirect(reverse("legal:version_edit", args=[draft.pk]))


@admin_required
@require_http_methods(["GET", "POST"])
def version_edit(request: HttpRequest, pk: int) -> HttpResponse:
    version = get_version_for(request, pk)
    if version.is_published and request.method == "GET":
        context = {
            **_document(version, get_language()),
            "crumbs": _crumbs((str(version), None)),
        }
        return render(request, "legal/manage_version.html", context)
    form = VersionForm(request.POST or None, version=version)
    if request.method == "POST" and form.is_valid():
        try:
            services.version_update(
                version=version,
                requires_acceptance=form.cleaned_data["requires_acceptance"],
                texts=form.texts(),
                request=request,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The draft has been saved."))
            return HttpResponseRedirect(reverse("legal:version_edit", args=[version.pk]))
    context = {"version": version, "form": form, "crumbs": _crumbs((str(version), None))}
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "legal/manage_edit.html", context, status=status)


@admin_required
@require_http_methods(["GET", "POST"])
def version_publish(request: HttpRequest, pk: int) -> HttpResponse:
    version = get_version_for(request, pk)
    error = ""
    if version.is_published:
        error = _("This version is published and can no longer be changed. Make a new version.")
    elif request.method == "POST":
        try:
            services.version_publish(version=version, request=request)
        except ValidationError as problem:
            error = problem.messages[0]
        else:
            messages.success(request, _("%(version)s has been published.") % {"version": version})
            return HttpResponseRedirect(reverse("legal:manage"))
    languages = {t.language for t in version.texts.all()}
    missing = [
        get_language_info(code)["name_translated"]
        for code, _name in settings.LANGUAGES
        if code not in languages
    ]
    context = {
        "version": version,
        "missing": missing,
        "error": error,
        "crumbs": _crumbs(
            (str(version), reverse("legal:version_edit", args=[version.pk])), (_("Publish"), None)
        ),
    }
    status = 400 if error and request.method == "POST" else 200
    return render(request, "legal/manage_publish.html", context, status=status)


# --- security.txt ------------------------------------------------------------------------------


@public
@require_GET
def security_txt(request: HttpRequest) -> HttpResponse:
    """RFC 9116: how to report a vulnerability. 404 until SECURITY_CONTACT is set."""
    if not settings.SECURITY_CONTACT:
        raise Http404
    expires = settings.SECURITY_TXT_EXPIRES or (timezone.now() + timedelta(days=365))
    lines = [f"Contact: {contact}" for contact in settings.SECURITY_CONTACT]
    expires_utc = expires.astimezone(UTC).replace(microsecond=0)
    lines.append(f"Expires: {expires_utc.strftime('%Y-%m-%dT%H:%M:%SZ')}")
    if settings.SECURITY_POLICY_URL:
        lines.append(f"Policy: {settings.SECURITY_POLICY_URL}")
    lines.append("Preferred-Languages: ko, en, ja, zh")
    lines.append(f"Canonical: {settings.SITE_URL}/.well-known/security.txt")
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")
