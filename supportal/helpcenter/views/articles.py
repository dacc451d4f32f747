"""The writers' side of the help center: articles, translations, revisions and media."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Exists, OuterRef, Prefetch, QuerySet, Subquery
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from supportal.accounts.access import agent_required
from supportal.helpcenter import services
from supportal.helpcenter.agent_forms import (
    ArticleCreateForm,
    ArticleSettingsForm,
    MediaUploadForm,
    TranslationForm,
    section_label,
)
from supportal.helpcenter.media import image_snippet, video_snippet
from supportal.helpcenter.models import (
    Article,
    ArticleMedia,
    ArticleRevision,
    ArticleTranslation,
)
from supportal.lib.markdown import render_markdown

PAGE_SIZE = 25
STATUS_FILTERS = ("published", "draft", "outdated", "missing")


# --- Lookups -----------------------------------------------------------------------------------


def _article(pk: int) -> Article:
    return get_object_or_404(Article, pk=pk)


def _locale(locale: str) -> str:
    if locale not in settings.LANGUAGE_CODES:
        raise Http404
    return locale


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _title(article: Article, translations: list[ArticleTranslation]) -> str:
    by_locale = {t.locale: t for t in translations}
    chosen = by_locale.get(get_language()) or by_locale.get(settings.LANGUAGE_CODE)
    if chosen is None and translations:
        chosen = translations[0]
    return chosen.title if chosen else _("Untitled article %(id)s") % {"id": article.pk}


# --- Article list ------------------------------------------------------------------------------


@dataclass
class LanguageState:
    code: str
    state: str  # "current", "outdated", "missing"
    label: str
    translation: ArticleTranslation | None


def translation_states(translations: list[ArticleTranslation]) -> list[LanguageState]:
    """Each language's state: missing, outdated (older than the default language) or current."""
    by_locale = {t.locale: t for t in translations}
    default = by_locale.get(settings.LANGUAGE_CODE)
    states = []
    for code in settings.LANGUAGE_CODES:
        translation = by_locale.get(code)
        if translation is None:
            states.append(LanguageState(code, "missing", _("missing"), None))
        elif (
            code != settings.LANGUAGE_CODE
            and default is not None
            and default.updated_at > translation.updated_at
        ):
            states.append(LanguageState(code, "outdated", _("outdated"), translation))
        else:
            states.append(LanguageState(code, "current", _("up to date"), translation))
    return states


def _filtered_articles(status: str, locale: str, query: str) -> QuerySet[Article]:
    articles = Article.objects.all()
    if query:
        articles = articles.filter(
            Exists(
                ArticleTranslation.objects.filter(article=OuterRef("pk"), title__icontains=query)
            )
        )
    in_locale = ArticleTranslation.objects.filter(article=OuterRef("pk"))
    if locale:
        in_locale = in_locale.filter(locale=locale)
    if status in ("published", "draft"):
        articles = articles.filter(Exists(in_locale.filter(status=status)))
    elif status == "outdated":
        default_updated = ArticleTranslation.objects.filter(
            article=OuterRef("article"), locale=settings.LANGUAGE_CODE
        ).values("updated_at")[:1]
        articles = articles.filter(
            Exists(
                in_locale.exclude(locale=settings.LANGUAGE_CODE).filter(
                    updated_at__lt=Subquery(default_updated)
                )
            )
        )
    elif status == "missing":
        if locale:
            articles = articles.exclude(Exists(in_locale))
        else:
            articles = articles.annotate(languages=Count("translations")).filter(
                languages__lt=len(settings.LANGUAGE_CODES)
            )
    return articles.order_by("-created_at", "-id")


@agent_required
@require_GET
def article_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    status = status if status in STATUS_FILTERS else ""
    locale = request.GET.get("locale", "")
    locale = locale if locale in settings.LANGUAGE_CODES else ""
    query = request.GET.get("q", "").strip()[:200]
    articles = (
        _filtered_articles(status, locale, query)
        .select_related("section__category")
        .prefetch_related(
            Prefetch("translations", queryset=ArticleTranslation.objects.defer("body")),
            "section__translations",
            "section__category__translations",
        )
    )
    page = Paginator(articles, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = []
    for article in page.object_list:
        translations = list(article.translations.all())
        rows.append(
            {
                "article": article,
                "title": _title(article, translations),
                "section": section_label(article.section, get_language())
                if article.section
                else "",
                "states": translation_states(translations),
                "updated": max((t.updated_at for t in translations), default=article.created_at),
            }
        )
    return render(
        request,
        "helpcenter/agent/article_list.html",
        {
            "page": page,
            "rows": rows,
            "status": status,
            "locale": locale,
            "query": query,
            "statuses": [
                ("published", _("Published")),
                ("draft", _("Draft")),
                ("outdated", _("Outdated")),
                ("missing", _("Missing")),
            ],
            "languages": settings.LANGUAGES,
        },
    )


# --- Articles ----------------------------------------------------------------------------------


@agent_required
@require_http_methods(["GET", "POST"])
def article_create(request: HttpRequest) -> HttpResponse:
    # ?title= comes from the content gaps page's "Write an article".
    initial = {"locale": get_language(), "title": request.GET.get("title", "")[:200]}
    form = ArticleCreateForm(request.POST or None, locale=get_language(), initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        article = services.article_create(
            section=data["section"],
            kind=data["kind"],
            visibility=data["visibility"],
            external_id=data["external_id"],
            labels=data["labels"],
            promoted=data["promoted"],
            position=data["position"],
            author=request.user,
        )
        services.translation_save(
            article=article,
            locale=data["locale"],
            title=data["title"],
            body="",
            status=ArticleTranslation.Status.DRAFT,
            author=request.user,
        )
        messages.success(request, _("The article has been created as a draft."))
        return HttpResponseRedirect(
            reverse("helpcenter_agent:translation", args=[article.pk, data["locale"]])
        )
    crumbs = [(_("Articles"), reverse("helpcenter_agent:articles")), (_("New article"), None)]
    return render(request, "helpcenter/agent/article_create.html", {"form": form, "crumbs": crumbs})


@agent_required
@require_http_methods(["GET", "POST"])
def article_settings(request: HttpRequest, pk: int) -> HttpResponse:
    article = _article(pk)
    initial = {
        "section": article.section_id,
        "visibility": article.visibility,
        "promoted": article.promoted,
        "position": article.position,
        "labels": ", ".join(label.name for label in article.labels.all()),
    }
    form = ArticleSettingsForm(request.POST or None, initial=initial, locale=get_language())
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        services.article_update_settings(
            article=article,
            section=data["section"],
            visibility=data["visibility"],
            promoted=data["promoted"],
            position=data["position"],
            labels=data["labels"],
        )
        messages.success(request, _("The article settings have been saved."))
        return HttpResponseRedirect(reverse("helpcenter_agent:settings", args=[article.pk]))
    return render(
        request,
        "helpcenter/agent/article_settings.html",
        {"form": form, **_article_context(article, None)},
    )


def _article_context(article: Article, locale: str | None) -> dict[str, Any]:
    translations = list(article.translations.all())
    title = _title(article, translations)
    crumbs: list[tuple[str, str | None]] = [
        (_("Articles"), reverse("helpcenter_agent:articles")),
        (title, None),
    ]
    return {
        "article": article,
        "article_title": title,
        "states": translation_states(translations),
        "current_locale": locale,
        "crumbs": crumbs,
    }


# --- Translations and preview ------------------------------------------------------------------


@agent_required
@require_http_methods(["GET", "POST"])
def translation_edit(request: HttpRequest, pk: int, locale: str) -> HttpResponse:
    article = _article(pk)
    locale = _locale(locale)
    translation = ArticleTranslation.objects.filter(article=article, locale=locale).first()
    initial: dict[str, Any] = {"status": ArticleTranslation.Status.DRAFT}
    if translation is not None:
        initial = {
            "title": translation.title,
            "body": translation.body,
            "status": translation.status,
            "publish_at": translation.publish_at,
            "unpublish_at": translation.unpublish_at,
        }
    form = TranslationForm(request.POST or None, initial=initial)
    preview = None
    if request.method == "POST":
        if request.POST.get("action") == "preview":
            preview = render_markdown(request.POST.get("body", "")[:200_000])
        elif form.is_valid():
            data = form.cleaned_data
            services.translation_save(
                article=article,
                locale=locale,
                title=data["title"],
                body=data["body"],
                status=data["status"],
                publish_at=data["publish_at"],
                unpublish_at=data["unpublish_at"],
                author=request.user,
            )
            messages.success(request, _("The translation has been saved."))
            return HttpResponseRedirect(
                reverse("helpcenter_agent:translation", args=[article.pk, locale])
            )
    context = _article_context(article, locale)
    context.update(
        form=form,
        translation=translation,
        preview=preview,
        locale_name=dict(settings.LANGUAGES)[locale],
        media_form=MediaUploadForm(),
        media_items=_media_items(article),
    )
    return render(request, "helpcenter/agent/translation_edit.html", context)


@agent_required
@require_POST
def preview(request: HttpRequest) -> HttpResponse:
    """The body rendered as readers will see it; a fragment for htmx, else a page."""
    rendered = render_markdown(request.POST.get("body", "")[:200_000])
    template = "_preview.html" if _is_htmx(request) else "preview.html"
    return render(request, f"helpcenter/agent/{template}", {"preview": rendered})


# --- Revisions ---------------------------------------------------------------------------------


def _translation(article: Article, locale: str) -> ArticleTranslation:
    return get_object_or_404(ArticleTranslation, article=article, locale=_locale(locale))


@agent_required
@require_GET
def revision_list(request: HttpRequest, pk: int, locale: str) -> HttpResponse:
    article = _article(pk)
    translation = _translation(article, locale)
    revisions = translation.revisions.select_related("author").defer("body")
    page = Paginator(revisions, 50).get_page(request.GET.get("page"))
    context = _article_context(article, locale)
    context.update(translation=translation, page=page)
    return render(request, "helpcenter/agent/revision_list.html", context)


@dataclass
class DiffRow:
    kind: str  # "same", "changed", "removed", "added"
    old: str
    new: str


def diff_rows(old: str, new: str) -> list[DiffRow]:
    old_lines, new_lines = old.splitlines(), new.splitlines()
    rows: list[DiffRow] = []
    matcher = difflib.SequenceMatcher(a=old_lines, b=new_lines, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        left, right = old_lines[i1:i2], new_lines[j1:j2]
        if tag == "equal":
            rows += [DiffRow("same", line, line) for line in left]
            continue
        for index in range(max(len(left), len(right))):
            a = left[index] if index < len(left) else None
            b = right[index] if index < len(right) else None
            kind = (
                "changed"
                if a is not None and b is not None
                else "removed"
                if b is None
                else "added"
            )
            rows.append(DiffRow(kind, a or "", b or ""))
    return rows


def _revision(translation: ArticleTranslation, revision_id: int) -> ArticleRevision:
    return get_object_or_404(
        ArticleRevision.objects.select_related("author"), pk=revision_id, translation=translation
    )


@agent_required
@require_GET
def revision_diff(request: HttpRequest, pk: int, locale: str, revision_id: int) -> HttpResponse:
    article = _article(pk)
    translation = _translation(article, locale)
    revision = _revision(translation, revision_id)
    rows = diff_rows(revision.body, translation.body)
    context = _article_context(article, locale)
    context.update(
        translation=translation,
        revision=revision,
        title_changed=revision.title != translation.title,
        rows=rows,
        changes=sum(1 for row in rows if row.kind != "same"),
    )
    return render(request, "helpcenter/agent/revision_diff.html", context)


@agent_required
@require_POST
def revision_restore(request: HttpRequest, pk: int, locale: str, revision_id: int) -> HttpResponse:
    article = _article(pk)
    translation = _translation(article, locale)
    revision = _revision(translation, revision_id)
    services.revision_restore(revision=revision, author=request.user)
    messages.success(request, _("The revision has been restored."))
    return HttpResponseRedirect(reverse("helpcenter_agent:translation", args=[pk, locale]))


# --- Media -------------------------------------------------------------------------------------


def media_url(name: str) -> str:
    return reverse("media", kwargs={"path": name})


def snippet_for(item: ArticleMedia) -> str:
    if item.kind == ArticleMedia.Kind.VIDEO:
        return video_snippet(
            src=media_url(item.file.name),
            content_type=item.content_type,
            width=item.width,
            height=item.height,
            captions=media_url(item.captions.name) if item.captions else "",
            captions_language=item.captions_language,
            captions_label=dict(settings.LANGUAGES).get(item.captions_language, ""),
        )
    webp = [(media_url(v["name"]), v["width"]) for v in item.variants if v["format"] == "webp"]
    fallback = [(media_url(v["name"]), v["width"]) for v in item.variants if v["format"] != "webp"]
    src = fallback[-1][0] if fallback else media_url(item.file.name)
    if not fallback and webp and item.content_type == "image/webp":
        fallback, webp = webp, []
        src = fallback[-1][0]
    return image_snippet(
        src=src,
        width=item.width or 0,
        height=item.height or 0,
        alt=item.alt_text,
        webp=webp,
        fallback=fallback,
    )


def _media_items(article: Article) -> list[dict[str, Any]]:
    return [
        {"item": item, "snippet": snippet_for(item), "url": media_url(item.file.name)}
        for item in article.media.all()
    ]


@agent_required
@require_http_methods(["GET", "POST"])
def media_upload(request: HttpRequest, pk: int) -> HttpResponse:
    article = _article(pk)
    form = MediaUploadForm(request.POST or None, request.FILES or None)
    uploaded = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            uploaded = services.media_upload(
                article=article,
                upload=data["file"],
                alt_text=data["alt_text"],
                captions=data["captions"],
                captions_language=data["captions_language"] or get_language(),
                author=request.user,
            )
        except ValidationError as error:
            form.add_error("file", error)
        else:
            if not _is_htmx(request):
                messages.success(request, _("The file has been uploaded."))
                return HttpResponseRedirect(reverse("helpcenter_agent:media", args=[pk]))
            form = MediaUploadForm()
    context = _article_context(article, None)
    context.update(
        media_form=form,
        media_items=_media_items(article),
        uploaded=uploaded,
    )
    template = "_media.html" if _is_htmx(request) else "media.html"
    # htmx swaps only successful responses: its fragment carries the errors with a 200.
    status = 400 if form.errors and not _is_htmx(request) else 200
    return render(request, f"helpcenter/agent/{template}", context, status=status)
