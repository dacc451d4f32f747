"""Agents structure the help center: categories and sections, named in each language."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from supportal.accounts.access import agent_required
from supportal.helpcenter import services
from supportal.helpcenter.agent_forms import NamesForm, SectionForm
from supportal.helpcenter.models import Category, Section


def _names(translations: list[Any]) -> dict[str, str]:
    return {t.locale: t.name for t in translations}


@agent_required
@require_http_methods(["GET", "POST"])
def category_list(request: HttpRequest) -> HttpResponse:
    form = NamesForm(request.POST or None, prefix="category")
    if request.method == "POST" and form.is_valid():
        services.category_create(
            names={k: v for k, v in form.names().items() if v.strip()},
            position=form.cleaned_data["position"],
        )
        messages.success(request, _("The category has been created."))
        return HttpResponseRedirect(reverse("helpcenter_agent:categories"))
    categories = Category.objects.prefetch_related(
        "translations",
        Prefetch("sections", queryset=Section.objects.prefetch_related("translations")),
    )
    language = get_language()
    rows = []
    for category in categories:
        names = _names(list(category.translations.all()))
        sections = [(s, _names(list(s.translations.all()))) for s in category.sections.all()]
        rows.append(
            {
                "category": category,
                "name": names.get(language) or names.get(settings.LANGUAGE_CODE) or str(category),
                "sections": [
                    (s, n.get(language) or n.get(settings.LANGUAGE_CODE) or str(s))
                    for s, n in sections
                ],
            }
        )
    crumbs = [(_("Articles"), reverse("helpcenter_agent:articles")), (_("Categories"), None)]
    return render(
        request,
        "helpcenter/agent/category_list.html",
        {"form": form, "rows": rows, "crumbs": crumbs},
    )


@agent_required
@require_http_methods(["GET", "POST"])
def category_edit(request: HttpRequest, pk: int) -> HttpResponse:
    category = get_object_or_404(Category, pk=pk)
    initial: dict[str, Any] = {
        f"name_{k}": v for k, v in _names(list(category.translations.all())).items()
    }
    initial["position"] = category.position
    form = NamesForm(request.POST or None, initial=initial, prefix="category")
    section_form = SectionForm(
        None, locale=get_language(), prefix="section", initial={"category": category}
    )
    if request.method == "POST" and form.is_valid():
        services.category_update(
            category=category, names=form.names(), position=form.cleaned_data["position"]
        )
        messages.success(request, _("The category has been saved."))
        return HttpResponseRedirect(reverse("helpcenter_agent:categories"))
    crumbs = [
        (_("Articles"), reverse("helpcenter_agent:articles")),
        (_("Categories"), reverse("helpcenter_agent:categories")),
        (_("Edit category"), None),
    ]
    return render(
        request,
        "helpcenter/agent/category_edit.html",
        {"form": form, "category": category, "section_form": section_form, "crumbs": crumbs},
    )


@agent_required
@require_http_methods(["GET", "POST"])
def section_create(request: HttpRequest) -> HttpResponse:
    form = SectionForm(request.POST or None, locale=get_language(), prefix="section")
    if request.method == "POST" and form.is_valid():
        services.section_create(
            category=form.cleaned_data["category"],
            names={k: v for k, v in form.names().items() if v.strip()},
            position=form.cleaned_data["position"],
        )
        messages.success(request, _("The section has been created."))
        return HttpResponseRedirect(reverse("helpcenter_agent:categories"))
    return _section_page(request, form, None)


@agent_required
@require_http_methods(["GET", "POST"])
def section_edit(request: HttpRequest, pk: int) -> HttpResponse:
    section = get_object_or_404(Section, pk=pk)
    initial: dict[str, Any] = {
        f"name_{k}": v for k, v in _names(list(section.translations.all())).items()
    }
    initial.update(position=section.position, category=section.category_id)
    form = SectionForm(
        request.POST or None, initial=initial, locale=get_language(), prefix="section"
    )
    if request.method == "POST" and form.is_valid():
        services.section_update(
            section=section,
            category=form.cleaned_data["category"],
            names=form.names(),
            position=form.cleaned_data["position"],
        )
        messages.success(request, _("The section has been saved."))
        return HttpResponseRedirect(reverse("helpcenter_agent:categories"))
    return _section_page(request, form, section)


def _section_page(request: HttpRequest, form: SectionForm, section: Section | None) -> HttpResponse:
    crumbs = [
        (_("Articles"), reverse("helpcenter_agent:articles")),
        (_("Categories"), reverse("helpcenter_agent:categories")),
        (_("Edit section") if section else _("New section"), None),
    ]
    return render(
        request,
        "helpcenter/agent/section_form.html",
        {"form": form, "section": section, "crumbs": crumbs},
    )
