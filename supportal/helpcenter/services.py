"""Writes to help-center content. Views, commands, imports and tests all go through here."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from supportal.accounts.models import User
from supportal.helpcenter import media, search
from supportal.helpcenter.cache import bump_content_version
from supportal.helpcenter.models import (
    Article,
    ArticleMedia,
    ArticleRevision,
    ArticleTranslation,
    Category,
    CategoryTranslation,
    Label,
    Notice,
    NoticeTranslation,
    Section,
    SectionTranslation,
    Visibility,
)


def _after_commit_refresh(translation_ids: list[int]) -> None:
    def refresh() -> None:
        for translation in ArticleTranslation.objects.filter(pk__in=translation_ids).select_related(
            "article__section"
        ):
            search.index_translation(translation)
        bump_content_version()

    transaction.on_commit(refresh)


@transaction.atomic
def category_create(*, names: dict[str, str], position: int = 0) -> Category:
    category = Category.objects.create(position=position)
    for locale, name in names.items():
        CategoryTranslation.objects.create(category=category, locale=locale, name=name)
    transaction.on_commit(bump_content_version)
    return category


@transaction.atomic
def section_create(*, category: Category, names: dict[str, str], position: int = 0) -> Section:
    section = Section.objects.create(category=category, position=position)
    for locale, name in names.items():
        SectionTranslation.objects.create(section=section, locale=locale, name=name)
    transaction.on_commit(bump_content_version)
    return section


@transaction.atomic
def article_create(
    *,
    section: Section | None,
    kind: str = Article.Kind.ARTICLE,
    visibility: str = Visibility.EVERYONE,
    external_id: str | None = None,
    labels: Iterable[str] = (),
    promoted: bool = False,
    position: int = 0,
    author: User | None = None,
) -> Article:
    article = Article.objects.create(
        section=section,
        kind=kind,
        visibility=visibility,
        external_id=external_id,
        promoted=promoted,
        position=position,
        author=author,
    )
    article_set_labels(article=article, labels=labels)
    return article


def article_set_labels(*, article: Article, labels: Iterable[str]) -> None:
    names = sorted({name.strip().lower() for name in labels if name.strip()})
    existing = {label.name: label for label in Label.objects.filter(name__in=names)}
    missing = [Label(name=name) for name in names if name not in existing]
    Label.objects.bulk_create(missing, ignore_conflicts=True)
    article.labels.set(Label.objects.filter(name__in=names))


@transaction.atomic
def article_update_settings(
    *,
    article: Article,
    section: Section | None,
    visibility: str,
    promoted: bool,
    position: int,
    labels: Iterable[str],
) -> None:
    article.section = section
    article.visibility = visibility
    article.promoted = promoted
    article.position = position
    article.save(update_fields=["section", "visibility", "promoted", "position"])
    article_set_labels(article=article, labels=labels)
    _after_commit_refresh(list(article.translations.values_list("pk", flat=True)))


@transaction.atomic
def translation_save(
    *,
    article: Article,
    locale: str,
    title: str,
    body: str,
    status: str,
    publish_at: datetime | None = None,
    unpublish_at: datetime | None = None,
    author: User | None = None,
) -> ArticleTranslation:
    """Creates or updates one translation; a changed title or body writes a revision."""
    translation = ArticleTranslation.objects.filter(article=article, locale=locale).first()
    now = timezone.now()
    if translation is None:
        translation = ArticleTranslation(article=article, locale=locale, created_at=now)
        changed = True
    else:
        changed = (translation.title, translation.body) != (title, body)
    translation.title = title
    translation.body = body
    translation.status = status
    translation.publish_at = publish_at
    translation.unpublish_at = unpublish_at
    if changed:
        translation.updated_at = now
    translation.save()
    if changed:
        ArticleRevision.objects.create(
            translation=translation, title=title, body=body, author=author, created_at=now
        )
    _after_commit_refresh([translation.pk])
    return translation


@transaction.atomic
def revision_restore(*, revision: ArticleRevision, author: User | None) -> ArticleTranslation:
    translation = revision.translation
    return translation_save(
        article=translation.article,
        locale=translation.locale,
        title=revision.title,
        body=revision.body,
        status=translation.status,
        publish_at=translation.publish_at,
        unpublish_at=translation.unpublish_at,
        author=author,
    )


# --- Editor: structure and media -----------------------------------------------------------------


def _save_names(model: type, owner_field: str, owner: object, names: dict[str, str]) -> None:
    for locale, name in names.items():
        name = name.strip()
        if name:
            model.objects.update_or_create(
                **{owner_field: owner, "locale": locale}, defaults={"name": name}
            )
        else:
            model.objects.filter(**{owner_field: owner, "locale": locale}).delete()


@transaction.atomic
def category_update(*, category: Category, names: dict[str, str], position: int) -> None:
    """Renames a category in each language; an empty name removes that language's name."""
    category.position = position
    category.save(update_fields=["position"])
    _save_names(CategoryTranslation, "category", category, names)
    transaction.on_commit(bump_content_version)


@transaction.atomic
def section_update(
    *, section: Section, category: Category, names: dict[str, str], position: int
) -> None:
    moved = section.category_id != category.pk
    section.category = category
    section.position = position
    section.save(update_fields=["category", "position"])
    _save_names(SectionTranslation, "section", section, names)
    if moved:
        search.section_moved(section.pk, category.pk)
    transaction.on_commit(bump_content_version)


@transaction.atomic
def media_upload(
    *,
    article: Article,
    upload: UploadedFile,
    alt_text: str = "",
    captions: UploadedFile | None = None,
    captions_language: str = "",
    author: User | None = None,
) -> ArticleMedia:
    """Checks, cleans and stores an image or video; raises ValidationError for bad files.

    Images are re-encoded without metadata and stored with resized WebP and original-format
    variants named `<stem>-<width>.<suffix>`, next to the original, so that the file server can
    find a variant's row from its name.
    """
    name = upload.name or "upload"
    suffix = media.extension(name)
    if suffix in media.IMAGE_TYPES:
        data = _read_limited(upload, media.image_max_bytes())
        processed = media.process_image(data, name)
        item = ArticleMedia(
            article=article,
            kind=ArticleMedia.Kind.IMAGE,
            content_type=processed.content_type,
            alt_text=alt_text.strip(),
            width=processed.width,
            height=processed.height,
            uploaded_by=author,
        )
        original = ContentFile(processed.original.data)
        item.file.save(f"image.{processed.original.suffix}", original, save=False)
        stem = item.file.name.rsplit(".", 1)[0]
        storage = item.file.storage
        for variant in processed.variants:
            stored = storage.save(f"{stem}-{variant.suffix}", ContentFile(variant.data))
            item.variants.append(
                {
                    "width": variant.width,
                    "height": variant.height,
                    "name": stored,
                    "format": variant.format.lower(),
                }
            )
        item.save()
        return item
    if suffix in media.VIDEO_TYPES:
        size = upload.size or 0
        head = upload.read(64)
        upload.seek(0)
        content_type = media.check_video(head, size, name)
        captions_data = b""
        if captions is not None:
            captions_data = media.check_captions(
                _read_limited(captions, media.captions_max_bytes()), captions.name or "captions"
            )
        item = ArticleMedia(
            article=article,
            kind=ArticleMedia.Kind.VIDEO,
            content_type=content_type,
            alt_text=alt_text.strip(),
            captions_language=captions_language if captions_data else "",
            uploaded_by=author,
        )
        item.file.save(f"video.{suffix}", upload, save=False)
        if captions_data:
            item.captions.save("captions.vtt", ContentFile(captions_data), save=False)
        item.save()
        return item
    raise ValidationError(
        _(
            "“%(name)s” is not a supported file. Upload a JPEG, PNG, WebP or GIF image, or an "
            "MP4 or WebM video."
        )
        % {"name": name},
        code="unsupported",
    )


def _read_limited(upload: UploadedFile, limit: int) -> bytes:
    """Reads at most limit + 1 bytes, so an oversized file is refused without reading it all."""
    upload.seek(0)
    return upload.read(limit + 1)


# --- Notices -------------------------------------------------------------------------------------


@transaction.atomic
def notice_save(
    *,
    notice: Notice | None,
    starts_at: datetime,
    ends_at: datetime,
    messages: dict[str, str],
    link_url: str = "",
) -> Notice:
    """Creates or updates a site-wide notice; an empty message removes that language."""
    if notice is None:
        notice = Notice(starts_at=starts_at, ends_at=ends_at)
    notice.starts_at, notice.ends_at = starts_at, ends_at
    notice.save()
    for locale, message in messages.items():
        if message:
            NoticeTranslation.objects.update_or_create(
                notice=notice, locale=locale, defaults={"message": message, "link_url": link_url}
            )
        else:
            NoticeTranslation.objects.filter(notice=notice, locale=locale).delete()
    transaction.on_commit(_notices_changed)
    return notice


def _notices_changed() -> None:
    from supportal.helpcenter.context_processors import forget_cached_notices

    forget_cached_notices()
    bump_content_version()


@transaction.atomic
def notice_delete(*, notice: Notice) -> None:
    notice.delete()
    transaction.on_commit(_notices_changed)
