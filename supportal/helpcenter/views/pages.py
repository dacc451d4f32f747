"""Customer-facing help-center pages: browse, read, FAQ, announcements, votes, SEO files."""

from __future__ import annotations

from typing import Any
from xml.sax.saxutils import escape, quoteattr

from django import forms
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core import signing
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from supportal.accounts.access import public
from supportal.core.pagecache import cached_page, same_origin_post
from supportal.helpcenter import selectors
from supportal.helpcenter.context_processors import DISMISS_COOKIE
from supportal.helpcenter.models import Article, ArticleVote
from supportal.lib.markdown import plain_text, render_markdown

ANNOUNCEMENTS_PER_PAGE = 10
TOC_MIN_HEADINGS = 3
VOTE_SALT = "helpcenter.vote"
VOTE_MAX_AGE = 60 * 60 * 24


# --- Helpers -------------------------------------------------------------------------------------


def _crumbs(*extra: tuple[str, str | None]) -> list[tuple[str, str | None]]:
    return [(_("Help Center"), reverse("helpcenter:home")), *extra]


def _category_crumb(category: Any) -> tuple[str, str]:
    return (category.name, reverse("helpcenter:category", args=[category.pk]))


def _section_crumb(section: Any) -> tuple[str, str]:
    return (section.name, reverse("helpcenter:section", args=[section.pk]))


def _summary(text: str, length: int = 160) -> str:
    text = " ".join(plain_text(text).split())
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


def _page(request: HttpRequest, template: str, context: dict[str, Any], status: int = 200):  # type: ignore[no-untyped-def]
    """Renders a help-center page with its canonical URL (no query string) for SEO tags."""
    context["canonical"] = request.build_absolute_uri(request.path)
    return render(request, template, context, status=status)


# --- Pages ---------------------------------------------------------------------------------------


@public
@require_GET
@cached_page
def home(request: HttpRequest) -> HttpResponse:
    locale = translation.get_language()
    content = selectors.tree(request.user, locale)
    latest = selectors.shown(selectors.announcements(request.user, locale)[:3], locale)
    context = {
        "categories": content.categories,
        "promoted": selectors.promoted_articles(content.articles),
        "announcements": latest,
        "title": _("Help Center"),
        "crumbs": [(_("Help Center"), None)],
        "description": _("Answers to common questions, guides and news from our support team."),
    }
    return _page(request, "helpcenter/home.html", context)


@public
@require_GET
@cached_page
def category(request: HttpRequest, category_id: int) -> HttpResponse:
    locale = translation.get_language()
    found = selectors.category_for(request.user, locale, category_id)
    context = {
        "category": found,
        "title": found.name,
        "crumbs": _crumbs((found.name, None)),
        "description": _summary(found.description) or found.name,
    }
    return _page(request, "helpcenter/category.html", context)


@public
@require_GET
@cached_page
def section(request: HttpRequest, section_id: int) -> HttpResponse:
    locale = translation.get_language()
    found = selectors.section_for(request.user, locale, section_id)
    context = {
        "section": found,
        "title": found.name,
        "crumbs": _crumbs(_category_crumb(found.category), (found.name, None)),
        "description": _summary(found.description) or found.name,
    }
    return _page(request, "helpcenter/section.html", context)


class CommentForm(forms.Form):
    token = forms.CharField(widget=forms.HiddenInput)
    comment = forms.CharField(
        label=gettext_lazy("What was missing or unclear? (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


def _article_context(
    request: HttpRequest, found: Article, feedback: dict[str, Any] | None = None
) -> dict[str, Any]:
    locale = translation.get_language()
    shown = found.translation  # type: ignore[attr-defined]
    rendered = render_markdown(shown.body)
    crumbs = []
    if found.section is not None:
        crumbs = [_category_crumb(found.section.category), _section_crumb(found.section)]
    elif found.kind == Article.Kind.ANNOUNCEMENT:
        crumbs = [(_("Announcements"), reverse("helpcenter:announcements"))]
    return {
        "article": found,
        "shown": shown,
        "title": shown.title,
        "body_html": rendered.html,
        "toc": rendered.toc if len(rendered.toc) >= TOC_MIN_HEADINGS else [],
        "labels": list(found.labels.all()),
        "related": selectors.related_articles(request.user, locale, found),
        "feedback": feedback or {"state": "ask"},
        "crumbs": _crumbs(*crumbs, (shown.title, None)),
        "description": _summary(shown.body) or shown.title,
        "og_type": "article",
    }


def _feedback_from_query(request: HttpRequest, found: Article) -> dict[str, Any] | None:
    """After a no-JS vote the redirect says what to show: thanks, or the comment form."""
    state = request.GET.get("feedback", "")
    if state == "thanks":
        return {"state": "thanks"}
    if state == "comment":
        token = request.GET.get("token", "")
        if _vote_from_token(token, found) is not None:
            return {"state": "comment", "form": CommentForm(initial={"token": token})}
    return None


@public
@require_GET
@cached_page
def article(request: HttpRequest, article_id: int) -> HttpResponse:
    found = selectors.article_for(request.user, translation.get_language(), article_id)
    context = _article_context(request, found, _feedback_from_query(request, found))
    return _page(request, "helpcenter/article.html", context)


def _vote_from_token(token: str, found: Article) -> ArticleVote | None:
    try:
        data = signing.loads(token, salt=VOTE_SALT, max_age=VOTE_MAX_AGE)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or data.get("article") != found.pk:
        return None
    return ArticleVote.objects.filter(pk=data.get("vote"), article=found).first()


def _feedback_response(
    request: HttpRequest, found: Article, feedback: dict[str, Any], status: int = 200
) -> HttpResponse:
    if request.headers.get("HX-Request"):
        # htmx swaps only successful answers: the box carries its error with a 200.
        context = {"article": found, "feedback": feedback}
        return render(request, "helpcenter/_feedback.html", context)
    context = _article_context(request, found, feedback)
    return _page(request, "helpcenter/article.html", context, status=status)


def _article_url(found: Article, query: str = "") -> str:
    url = reverse("helpcenter:article", args=[found.pk])
    return f"{url}?{query}#article-feedback" if query else url


@public
@same_origin_post
@require_POST
def vote(request: HttpRequest, article_id: int) -> HttpResponse:
    found = selectors.article_for(request.user, translation.get_language(), article_id)
    answer = request.POST.get("helpful", "")
    if answer not in ("yes", "no"):
        feedback = {"state": "ask", "error": _("Please choose Yes or No.")}
        return _feedback_response(request, found, feedback, status=400)
    user = request.user if request.user.is_authenticated else None
    cast = ArticleVote.objects.create(
        article=found, locale=translation.get_language(), helpful=answer == "yes", user=user
    )
    if answer == "yes":
        feedback: dict[str, Any] = {"state": "thanks"}
        query = "feedback=thanks"
    else:
        token = signing.dumps({"article": found.pk, "vote": cast.pk}, salt=VOTE_SALT)
        feedback = {"state": "comment", "form": CommentForm(initial={"token": token})}
        query = f"feedback=comment&token={token}"
    if request.headers.get("HX-Request"):
        return _feedback_response(request, found, feedback)
    return HttpResponseRedirect(_article_url(found, query))


@public
@same_origin_post
@require_POST
def vote_comment(request: HttpRequest, article_id: int) -> HttpResponse:
    found = selectors.article_for(request.user, translation.get_language(), article_id)
    form = CommentForm(request.POST)
    cast = _vote_from_token(request.POST.get("token", ""), found) if form.is_valid() else None
    if form.is_valid() and cast is None:
        form.add_error(None, _("This feedback link has expired. Please vote again."))
    if cast is None:
        return _feedback_response(request, found, {"state": "comment", "form": form}, status=400)
    comment = form.cleaned_data["comment"].strip()
    if comment:
        cast.comment = comment
        cast.save(update_fields=["comment"])
    if request.headers.get("HX-Request"):
        return _feedback_response(request, found, {"state": "thanks"})
    return HttpResponseRedirect(_article_url(found, "feedback=thanks"))


@public
@require_GET
@cached_page
def faq(request: HttpRequest) -> HttpResponse:
    locale = translation.get_language()
    items = selectors.faq_articles(request.user, locale)
    for item in items:
        item.answer_html = render_markdown(item.translation.body).html  # type: ignore[attr-defined]
    structured = {
        "@context": "https://schema.org",
        "@type": "FAQPage",
        "mainEntity": [
            {
                "@type": "Question",
                "name": item.translation.title,  # type: ignore[attr-defined]
                "acceptedAnswer": {"@type": "Answer", "text": item.answer_html},  # type: ignore[attr-defined]
            }
            for item in items
        ],
    }
    context = {
        "items": items,
        "title": _("Frequently asked questions"),
        "structured": structured,
        "crumbs": _crumbs((_("Frequently asked questions"), None)),
        "description": _("Quick answers to the questions we are asked most often."),
    }
    return _page(request, "helpcenter/faq.html", context)


@public
@require_GET
@cached_page
def announcements(request: HttpRequest) -> HttpResponse:
    locale = translation.get_language()
    paginator = Paginator(selectors.announcements(request.user, locale), ANNOUNCEMENTS_PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    context = {
        "page": page,
        "items": selectors.shown(page.object_list, locale),
        "title": _("Announcements"),
        "crumbs": _crumbs((_("Announcements"), None)),
        "description": _("News and changes from our support team."),
    }
    return _page(request, "helpcenter/announcements.html", context)


@public
@same_origin_post
@require_POST
def notice_dismiss(request: HttpRequest, notice_id: int) -> HttpResponse:
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("helpcenter:home")
    if request.headers.get("HX-Request"):
        response = HttpResponse("")
    else:
        response = HttpResponseRedirect(target)
    response.set_cookie(
        DISMISS_COOKIE,
        str(notice_id),
        max_age=60 * 60 * 24 * 365,
        samesite="Lax",
        secure=request.is_secure(),
        httponly=False,
    )
    return response


# --- Robots and sitemap --------------------------------------------------------------------------


@public
@require_GET
def robots_txt(request: HttpRequest) -> HttpResponse:
    lines = ["User-agent: *", "Allow: /", "Disallow: /agent/", "Disallow: /accounts/"]
    for code in settings.LANGUAGE_CODES:
        lines += [f"Disallow: /{code}/agent/", f"Disallow: /{code}/accounts/"]
    lines += ["", f"Sitemap: {request.build_absolute_uri(reverse('sitemap'))}", ""]
    return HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")


def _sitemap_entries(request: HttpRequest) -> list[tuple[dict[str, str], str]]:
    """(url per language, lastmod) for every public page."""
    anonymous = AnonymousUser()
    codes = list(settings.LANGUAGE_CODES)
    entries: list[tuple[dict[str, str], str]] = []

    def urls(name: str, args: list[int] | None = None, only: set[str] | None = None):  # type: ignore[no-untyped-def]
        found = {}
        for code in codes:
            if only is not None and code not in only:
                continue
            with translation.override(code):
                found[code] = request.build_absolute_uri(reverse(name, args=args))
        return found

    for name in ("helpcenter:home", "helpcenter:faq", "helpcenter:announcements"):
        entries.append((urls(name), ""))
    articles: dict[int, dict[str, Any]] = {}
    for code in codes:
        content = selectors.tree(anonymous, code)
        public = content.articles + selectors.shown(selectors.announcements(anonymous, code), code)
        for item in public:
            if item.visibility != "everyone":
                continue
            entry = articles.setdefault(item.pk, {"codes": set(), "lastmod": ""})
            entry["codes"].add(code)
            stamp = item.translation.updated_at.date().isoformat()  # type: ignore[attr-defined]
            entry["lastmod"] = max(entry["lastmod"], stamp)
        if code == settings.LANGUAGE_CODE:
            for cat in content.categories:
                entries.append((urls("helpcenter:category", [cat.pk]), ""))
                for sec in cat.visible_sections:  # type: ignore[attr-defined]
                    entries.append((urls("helpcenter:section", [sec.pk]), ""))
    for pk, entry in sorted(articles.items()):
        entries.append((urls("helpcenter:article", [pk], entry["codes"]), entry["lastmod"]))
    return entries


@public
@require_GET
@cached_page
def sitemap(request: HttpRequest) -> HttpResponse:
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>\n',
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
        ' xmlns:xhtml="http://www.w3.org/1999/xhtml">\n',
    ]
    for by_code, lastmod in _sitemap_entries(request):
        alternates = "".join(
            f'    <xhtml:link rel="alternate" hreflang={quoteattr(code)} href={quoteattr(url)}/>\n'
            for code, url in by_code.items()
        )
        for url in by_code.values():
            parts.append(f"  <url>\n    <loc>{escape(url)}</loc>\n")
            if lastmod:
                parts.append(f"    <lastmod>{lastmod}</lastmod>\n")
            parts.append(alternates + "  </url>\n")
    parts.append("</urlset>\n")
    return HttpResponse("".join(parts), content_type="application/xml")
