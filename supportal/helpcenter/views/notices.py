"""Agents manage the site-wide notice banner: list, create, edit, delete."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from supportal.accounts.access import agent_required
from supportal.helpcenter import services
from supportal.helpcenter.agent_forms import NoticeForm
from supportal.helpcenter.models import Notice


def _crumbs(here: str) -> list[tuple[str, str | None]]:
    return [
        (_("Articles"), reverse("helpcenter_agent:articles")),
        (_("Notices"), reverse("helpcenter_agent:notices")),
        (here, None),
    ]


@agent_required
@require_GET
def notice_list(request: HttpRequest) -> HttpResponse:
    notices = Notice.objects.prefetch_related("translations")
    page = Paginator(notices, 25).get_page(request.GET.get("page"))
    language, now = get_language(), timezone.now()
    rows = []
    for notice in page.object_list:
        texts = {t.locale: t.message for t in notice.translations.all()}
        rows.append(
            {
                "notice": notice,
                "message": texts.get(language) or texts.get(settings.LANGUAGE_CODE) or "",
                "live": notice.starts_at <= now < notice.ends_at,
                "languages": [code for code in settings.LANGUAGE_CODES if code in texts],
            }
        )
    crumbs = [(_("Articles"), reverse("helpcenter_agent:articles")), (_("Notices"), None)]
    return render(
        request, "helpcenter/agent/notice_list.html", {"rows": rows, "page": page, "crumbs": crumbs}
    )


def _form_page(request: HttpRequest, notice: Notice | None) -> HttpResponse:
    initial: dict[str, Any] = {}
    if notice is not None:
        local = timezone.get_current_timezone()
        initial = {
            "starts_at": timezone.localtime(notice.starts_at, local),
            "ends_at": timezone.localtime(notice.ends_at, local),
        }
        for translation in notice.translations.all():
            initial[f"message_{translation.locale}"] = translation.message
            initial["link_url"] = translation.link_url
    form = NoticeForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.notice_save(
            notice=notice,
            starts_at=form.cleaned_data["starts_at"],
            ends_at=form.cleaned_data["ends_at"],
            messages=form.messages(),
            link_url=form.cleaned_data["link_url"],
        )
        messages.success(request, _("The notice has been saved."))
        return HttpResponseRedirect(reverse("helpcenter_agent:notices"))
    here = _("Edit notice") if notice else _("New notice")
    return render(
        request,
        "helpcenter/agent/notice_form.html",
        {"form": form, "notice": notice, "heading": here, "crumbs": _crumbs(here)},
    )


@agent_required
@require_http_methods(["GET", "POST"])
def notice_create(request: HttpRequest) -> HttpResponse:
    return _form_page(request, None)


@agent_required
@require_http_methods(["GET", "POST"])
def notice_edit(request: HttpRequest, pk: int) -> HttpResponse:
    notice = get_object_or_404(Notice.objects.prefetch_related("translations"), pk=pk)
    return _form_page(request, notice)


@agent_required
@require_POST
def notice_delete(request: HttpRequest, pk: int) -> HttpResponse:
    services.notice_delete(notice=get_object_or_404(Notice, pk=pk))
    messages.success(request, _("The notice has been deleted."))
    return HttpResponseRedirect(reverse("helpcenter_agent:notices"))
