"""Help center content: categories -> sections -> articles, each translated per locale.

The language-neutral row (Category, Section, Article) holds structure and settings; the
translation row holds the words. A locale without a translation falls back to the default
language (settings.LANGUAGE_CODE) with a visible note.
"""

from __future__ import annotations

import secrets
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Visibility(models.TextChoices):
    EVERYONE = "everyone", _("Everyone")
    SIGNED_IN = "signed_in", _("Signed-in customers")
    AGENTS = "agents", _("Agents only")


def visibilities_for(user: object) -> list[str]:
    """The visibility levels a viewer may read."""
    if getattr(user, "is_authenticated", False):
        if getattr(user, "is_agent", False):
            return [Visibility.EVERYONE, Visibility.SIGNED_IN, Visibility.AGENTS]
        return [Visibility.EVERYONE, Visibility.SIGNED_IN]
    return [Visibility.EVERYONE]


def locale_field() -> models.CharField:
    return models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)


class Category(models.Model):
    position = models.PositiveIntegerField(_("position"), default=0)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering: ClassVar = ["position", "id"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self) -> str:
        return f"category {self.pk}"


class CategoryTranslation(models.Model):
    category = models.ForeignKey(Category, related_name="translations", on_delete=models.CASCADE)
    locale = locale_field()
    name = models.CharField(pgettext_lazy("thing", "name"), max_length=200)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["category", "locale"], name="category_locale_unique")
        ]

    def __str__(self) -> str:
        return self.name


class Section(models.Model):
    category = models.ForeignKey(Category, related_name="sections", on_delete=models.CASCADE)
    position = models.PositiveIntegerField(_("position"), default=0)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering: ClassVar = ["position", "id"]
        verbose_name = _("section")
        verbose_name_plural = _("sections")

    def __str__(self) -> str:
        return f"section {self.pk}"


class SectionTranslation(models.Model):
    section = models.ForeignKey(Section, related_name="translations", on_delete=models.CASCADE)
    locale = locale_field()
    name = models.CharField(pgettext_lazy("thing", "name"), max_length=200)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["section", "locale"], name="section_locale_unique")
        ]

    def __str__(self) -> str:
        return self.name


class Label(models.Model):
    name = models.CharField(pgettext_lazy("thing", "name"), max_length=64, unique=True)

    class Meta:
        ordering: ClassVar = ["name"]
        verbose_name = _("label")
        verbose_name_plural = _("labels")

    def __str__(self) -> str:
        return self.name


FAQ_LABEL = "faq"


class Article(models.Model):
    class Kind(models.TextChoices):
        ARTICLE = "article", _("Article")
        ANNOUNCEMENT = "announcement", _("Announcement")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.ARTICLE)
    section = models.ForeignKey(
        Section, related_name="articles", on_delete=models.PROTECT, null=True, blank=True
    )
    external_id = models.CharField(
        _("external ID"), max_length=200, unique=True, null=True, blank=True
    )
    visibility = models.CharField(
        _("visible to"), max_length=16, choices=Visibility.choices, default=Visibility.EVERYONE
    )
    position = models.PositiveIntegerField(_("position"), default=0)
    promoted = models.BooleanField(_("promoted"), default=False)
    labels = models.ManyToManyField(Label, related_name="articles", blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering: ClassVar = ["position", "id"]
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        indexes: ClassVar = [
            models.Index(fields=["section", "visibility", "position"], name="article_section_idx"),
            models.Index(fields=["kind", "-created_at"], name="article_kind_idx"),
        ]

    def __str__(self) -> str:
        return self.external_id or f"article {self.pk}"


class TranslationQuerySet(models.QuerySet["ArticleTranslation"]):
    def live(self, now: object | None = None) -> TranslationQuerySet:
        """Published and inside its publish/unpublish window."""
        now = now or timezone.now()
        return self.filter(status=ArticleTranslation.Status.PUBLISHED).filter(
            Q(publish_at__isnull=True) | Q(publish_at__lte=now),
            Q(unpublish_at__isnull=True) | Q(unpublish_at__gt=now),
        )

    def visible_to(self, user: object) -> TranslationQuerySet:
        return self.filter(article__visibility__in=visibilities_for(user))


class ArticleTranslation(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    article = models.ForeignKey(Article, related_name="translations", on_delete=models.CASCADE)
    locale = locale_field()
    title = models.CharField(_("title"), max_length=300)
    body = models.TextField(_("body (Markdown)"), blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.DRAFT
    )
    publish_at = models.DateTimeField(_("publish at"), null=True, blank=True)
    unpublish_at = models.DateTimeField(_("unpublish at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    objects = TranslationQuerySet.as_manager()

    class Meta:
        verbose_name = _("article translation")
        verbose_name_plural = _("article translations")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["article", "locale"], name="article_locale_unique")
        ]
        indexes: ClassVar = [
            models.Index(fields=["locale", "status", "-updated_at"], name="translation_locale_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    def is_live(self, now: object | None = None) -> bool:
        now = now or timezone.now()
        return (
            self.status == self.Status.PUBLISHED
            and (self.publish_at is None or self.publish_at <= now)
            and (self.unpublish_at is None or self.unpublish_at > now)
        )


class ArticleRevision(models.Model):
    translation = models.ForeignKey(
        ArticleTranslation, related_name="revisions", on_delete=models.CASCADE
    )
    title = models.CharField(_("title"), max_length=300)
    body = models.TextField(_("body (Markdown)"), blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering: ClassVar = ["-created_at", "-id"]
        indexes: ClassVar = [
            models.Index(fields=["translation", "-created_at"], name="revision_translation_idx")
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.created_at:%Y-%m-%d %H:%M})"


class ArticleVote(models.Model):
    article = models.ForeignKey(Article, related_name="votes", on_delete=models.CASCADE)
    locale = locale_field()
    helpful = models.BooleanField(_("helpful"))
    comment = models.TextField(_("comment"), blank=True, max_length=2000)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        indexes: ClassVar = [models.Index(fields=["article", "helpful"], name="vote_article_idx")]

    def __str__(self) -> str:
        return f"{self.article_id} {self.helpful}"


class SearchLog(models.Model):
    """Every help-center search, for analytics: what was asked, found, and opened; and every
    article opened from the search box's suggestions (source "suggestion")."""

    class Source(models.TextChoices):
        PAGE = "page", _("Search page")
        SUGGESTION = "suggestion", _("Search box suggestion")

    query = models.CharField(_("query"), max_length=500)
    locale = locale_field()
    results = models.PositiveIntegerField(_("results"))
    clicked_article = models.ForeignKey(
        Article, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    # A stored search page's answer: the number its links carry (helpcenter/searchlog.py).
    view = models.BigIntegerField(null=True, blank=True, unique=True, editable=False)
    source = models.CharField(
        _("source"), max_length=10, choices=Source.choices, default=Source.PAGE
    )

    class Meta:
        indexes: ClassVar = [models.Index(fields=["-created_at"], name="searchlog_created_idx")]

    def __str__(self) -> str:
        return self.query


class SearchDocument(models.Model):
    """One indexed, published article translation (the search index's document table)."""

    translation = models.OneToOneField(
        ArticleTranslation, primary_key=True, on_delete=models.CASCADE, related_name="search_doc"
    )
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="+")
    locale = locale_field()
    visibility = models.CharField(max_length=16, choices=Visibility.choices)
    category_id = models.BigIntegerField(null=True)
    publish_at = models.DateTimeField(null=True)
    unpublish_at = models.DateTimeField(null=True)
    title_length = models.PositiveIntegerField()
    body_length = models.PositiveIntegerField()
    # The body as plain text, kept for snippets: rendering Markdown per result was most of a
    # results page's time. Empty for rows indexed before it existed (rendered then).
    text = models.TextField(default="", blank=True)

    class Meta:
        indexes: ClassVar = [
            models.Index(fields=["locale", "visibility"], name="searchdoc_locale_idx"),
            # Covering: ranking.py loads a language's documents from the index alone (the
            # table's rows carry the text, which made that read 5 to 10 times slower).
            models.Index(
                fields=[
                    "locale",
                    "translation",
                    "title_length",
                    "body_length",
                    "visibility",
                    "category_id",
                    "publish_at",
                    "unpublish_at",
                ],
                name="searchdoc_ranking_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"document {self.pk}"


class SearchPosting(models.Model):
    """Term frequency of one analysed term in one field of one document."""

    class Field(models.TextChoices):
        TITLE = "t", "title"
        BODY = "b", "body"

    document = models.ForeignKey(SearchDocument, on_delete=models.CASCADE, related_name="postings")
    locale = locale_field()
    term = models.CharField(max_length=64)
    field = models.CharField(max_length=1, choices=Field.choices)
    frequency = models.PositiveIntegerField()

    class Meta:
        indexes: ClassVar = [
            # Covering: a query reads one term's list in one field from the index alone.
            models.Index(
                fields=["locale", "term", "field", "document", "frequency"],
                name="posting_list_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.term} in {self.document_id}"


class SearchTerm(models.Model):
    """Per-term statistics of the index, kept with the postings by search.py."""

    locale = locale_field()
    term = models.CharField(max_length=64)
    documents = models.IntegerField(default=0)  # document frequency, both fields
    title_documents = models.IntegerField(default=0)  # documents with the term in the title

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["locale", "term"], name="searchterm_unique")
        ]
        indexes: ClassVar = [
            # Prefix lookups (suggestions) with LIKE on PostgreSQL; ignored elsewhere.
            models.Index(
                fields=["locale", "term"],
                name="searchterm_prefix_idx",
                opclasses=["varchar_pattern_ops", "varchar_pattern_ops"],
            )
        ]

    def __str__(self) -> str:
        return f"{self.term} ({self.locale})"


def new_generation() -> str:
    return secrets.token_hex(16)


class SearchStats(models.Model):
    """Per-language statistics of the index: document count and field lengths, and the
    generation of the language's index (a new random token at every write, so processes know
    when their in-memory copy is out of date; see ranking.py)."""

    locale = locale_field()
    documents = models.BigIntegerField(default=0)
    title_total = models.BigIntegerField(default=0)
    body_total = models.BigIntegerField(default=0)
    generation = models.CharField(max_length=32, default=new_generation)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["locale"], name="searchstats_unique")
        ]

    def __str__(self) -> str:
        return f"search statistics ({self.locale})"


class Notice(models.Model):
    """A site-wide banner shown between two times; visitors can dismiss it."""

    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering: ClassVar = ["-starts_at"]
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        indexes: ClassVar = [
            models.Index(fields=["starts_at", "ends_at"], name="notice_window_idx")
        ]

    def __str__(self) -> str:
        return f"notice {self.pk}"


class NoticeTranslation(models.Model):
    notice = models.ForeignKey(Notice, related_name="translations", on_delete=models.CASCADE)
    locale = locale_field()
    message = models.CharField(_("message"), max_length=500)
    link_url = models.CharField(_("link"), max_length=500, blank=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["notice", "locale"], name="notice_locale_unique")
        ]

    def __str__(self) -> str:
        return self.message


def media_upload_to(instance: ArticleMedia, filename: str) -> str:
    """Random names: an upload's own name is never trusted or shown in a URL."""
    import secrets

    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"helpcenter/{timezone.now():%Y/%m}/{secrets.token_urlsafe(16)}.{suffix[:8]}"


class ArticleMedia(models.Model):
    """An image or video uploaded in the editor, with its resized variants."""

    class Kind(models.TextChoices):
        IMAGE = "image", _("Image")
        VIDEO = "video", _("Video")

    article = models.ForeignKey(Article, related_name="media", on_delete=models.CASCADE)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    file = models.FileField(_("file"), upload_to=media_upload_to, max_length=300)
    content_type = models.CharField(_("content type"), max_length=100)
    alt_text = models.CharField(_("alternative text"), max_length=500, blank=True)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    # [{"width": 480, "height": 270, "name": "...webp", "format": "webp"}, ...]
    variants = models.JSONField(default=list, blank=True)
    captions = models.FileField(
        _("captions (.vtt)"), upload_to=media_upload_to, max_length=300, blank=True
    )
    captions_language = models.CharField(max_length=8, choices=settings.LANGUAGES, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering: ClassVar = ["-created_at", "-id"]
        verbose_name = _("media file")
        verbose_name_plural = _("media files")

    def __str__(self) -> str:
        return self.file.name
