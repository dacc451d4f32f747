from __future__ import annotations

import logging

from django.conf import settings
from django.core.cache import caches
from django.core.paginator import Paginator
from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.template import loader
from django.urls import reverse, translate_url
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST, require_safe

from supportal.accounts.access import admin_required, public
from supportal.accounts.services import user_set_language
from supportal.core.i18n import set_language_cookie
from supportal.core.maintenance import open_during_maintenance
from supportal.core.models import OutboundEmail
from supportal.core.pagecache import cached_page, same_origin_post
from supportal.core.personalcache import personal_page

logger = logging.getLogger(__name__)


@public
@require_GET
@cached_page
@personal_page
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "core/home.html")


@open_during_maintenance
@public
@same_origin_post
@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Switches the page language; a signed-in user's choice is saved to their profile."""
    language = request.POST.get("language", "")
    next_url = request.POST.get("next", "/")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = "/"
    if language not in settings.LANGUAGE_CODES:
        return HttpResponseRedirect(next_url)
    response = HttpResponseRedirect(translate_url(next_url, language))
    set_language_cookie(response, language)
    if request.user.is_authenticated:
        user_set_language(user=request.user, language=language)
    return response


@open_during_maintenance
@public
@require_safe
def healthz(request: HttpRequest) -> HttpResponse:
    """Answered by core.middleware.HealthCheckMiddleware ahead of the rest of the stack."""
    response = JsonResponse({"status": "ok"})
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@open_during_maintenance
@public
@require_GET
def readyz(request: HttpRequest) -> HttpResponse:
    """Ready when the database, every cache and the task queue answer."""
    from huey.contrib.djhuey import HUEY

    failed: dict[str, str] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as error:
        failed["database"] = type(error).__name__
    for alias in settings.CACHES:
        try:
            cache = caches[alias]
            cache.set("readyz", "1", 10)
            if cache.get("readyz") != "1":
                failed[f"cache:{alias}"] = "value not kept"
        except Exception as error:
            failed[f"cache:{alias}"] = type(error).__name__
    try:
        HUEY.pending_count()
    except Exception as error:
        failed["queue"] = type(error).__name__
    if failed:
        logger.warning("not ready: %s", failed)
        return JsonResponse({"status": "unavailable", "failed": failed}, status=503)
    return JsonResponse({"status": "ok", "checked": ["database", "cache", "queue"]})


@admin_required
@require_GET
def outbox(request: HttpRequest) -> HttpResponse:
    emails = OutboundEmail.objects.defer("raw", "body_html", "body_text")
    page = Paginator(emails, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "core/outbox.html",
        {"page": page, "suppressed": OutboundEmail.Status.SUPPRESSED},
    )


@admin_required
@require_GET
def outbox_detail(request: HttpRequest, pk: int) -> HttpResponse:
    email = get_object_or_404(OutboundEmail.objects.defer("raw"), pk=pk)
    return render(
        request,
        "core/outbox_detail.html",
        {
            "email": email,
            "suppressed": OutboundEmail.Status.SUPPRESSED,
            "crumbs": [(_("Outbox"), reverse("core:outbox")), (email.subject, None)],
        },
    )


# --- Error pages -------------------------------------------------------------------------------


def _error(request: HttpRequest, template: str, status: int) -> HttpResponse:
    try:
        return render(request, template, status=status)
    except Exception:
        # The page itself failed (database down, say): answer plainly rather than not at all.
        logger.exception("error page %s failed to render", template)
        return HttpResponse(
            loader.get_template("errors/plain.html").render({"status": status}),
            status=status,
        )


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, "errors/400.html", 400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, "errors/403.html", 403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, "errors/404.html", 404)


def server_error(request: HttpRequest) -> HttpResponse:
    return _error(request, "errors/500.html", 500)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return _error(request, "errors/csrf.html", 403)


def request_too_large(request: HttpRequest) -> HttpResponse:
    # Answered before LocaleMiddleware runs, so take the language from the path ourselves.
    language = translation.get_language_from_path(request.path_info) or settings.LANGUAGE_CODE
    with translation.override(language):
        html = loader.get_template("errors/plain.html").render({"status": 413})
    return HttpResponse(html, status=413)
