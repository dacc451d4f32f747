from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from supportal.helpcenter.media import images_without_alt
from supportal.helpcenter.models import (
    Article,
    ArticleTranslation,
    Category,
    Section,
    Visibility,
)

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"
MAX_POSITION = 2**31 - 1  # the largest value every supported database stores


def _name_in(translations: list[Any], locale: str) -> str:
    for translation in translations:
        if translation.locale == locale:
            return str(translation.name)
    return ""


def section_label(section: Section, locale: str) -> str:
    translations = list(section.translations.all())
    category = list(section.category.translations.all())
    name = _name_in(translations, locale) or _name_in(translations, settings.LANGUAGE_CODE)
    parent = _name_in(category, locale) or _name_in(category, settings.LANGUAGE_CODE)
    return f"{parent} › {name}" if parent else name or str(section)


def section_choices(locale: str) -> list[tuple[str, str]]:
    sections = Section.objects.select_related("category").prefetch_related(
        "translations", "category__translations"
    )
    return [("", _("No section"))] + [(str(s.pk), section_label(s, locale)) for s in sections]


def labels_from_text(text: str) -> list[str]:
    return [name.strip() for name in text.split(",") if name.strip()]


class ArticleSettingsForm(forms.Form):
    section = forms.TypedChoiceField(
        label=_("Section"), required=False, coerce=int, empty_value=None
    )
    visibility = forms.ChoiceField(label=_("Visible to"), choices=Visibility.choices)
    promoted = forms.BooleanField(label=_("Promoted"), required=False)
    position = forms.IntegerField(
        label=_("Position"), min_value=0, max_value=MAX_POSITION, initial=0
    )
    labels = forms.CharField(
        label=_("Labels"),
        required=False,
        max_length=1000,
        help_text=_("Separate labels with commas, for example: billing, faq"),
    )

    def __init__(self, *args: Any, locale: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["section"].choices = section_choices(locale)  # type: ignore[attr-defined]

    def clean_section(self) -> Section | None:
        pk = self.cleaned_data.get("section")
        return Section.objects.filter(pk=pk).first() if pk else None

    def clean_labels(self) -> list[str]:
        names = labels_from_text(self.cleaned_data.get("labels", ""))
        if any(len(name) > 64 for name in names):
            raise ValidationError(_("A label can be at most 64 characters long."))
        return names


class ArticleCreateForm(ArticleSettingsForm):
    kind = forms.ChoiceField(label=_("Kind"), choices=Article.Kind.choices)
    external_id = forms.CharField(
        label=_("External ID (optional)"),
        required=False,
        max_length=200,
        help_text=_("An identifier from another system, used by imports."),
    )
    locale = forms.ChoiceField(label=_("Language of the first version"), choices=settings.LANGUAGES)
    title = forms.CharField(label=_("Title"), max_length=300)

    field_order = ("kind", "section", "visibility", "promoted", "position", "labels")

    def clean_external_id(self) -> str | None:
        value = self.cleaned_data.get("external_id", "").strip() or None
        if value and Article.objects.filter(external_id=value).exists():
            raise ValidationError(_("Another article already has this external ID."))
        return value


class TranslationForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=300)
    body = forms.CharField(
        label=_("Body (Markdown)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 18}),
        max_length=200_000,
    )
    status = forms.ChoiceField(label=_("Status"), choices=ArticleTranslation.Status.choices)
    publish_at = forms.DateTimeField(
        label=_("Publish at (optional)"),
        required=False,
        input_formats=[DATETIME_LOCAL, "%Y-%m-%dT%H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
        help_text=_(
            "In your time zone. Leave empty to publish as soon as the status is Published."
        ),
    )
    unpublish_at = forms.DateTimeField(
        label=_("Unpublish at (optional)"),
        required=False,
        input_formats=[DATETIME_LOCAL, "%Y-%m-%dT%H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
        help_text=_("In your time zone."),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        publish_at, unpublish_at = data.get("publish_at"), data.get("unpublish_at")
        if publish_at and unpublish_at and unpublish_at <= publish_at:
            self.add_error("unpublish_at", _("Unpublish at must be later than publish at."))
        if data.get("status") == ArticleTranslation.Status.PUBLISHED:
            for src in images_without_alt(data.get("body") or ""):
                self.add_error(
                    "body",
                    _(
                        "The image “%(image)s” has no alternative text. Describe it in its alt "
                        "attribute (or between the brackets of ![...](...)) before publishing."
                    )
                    % {"image": src or _("without an address")},
                )
        return data


class NamesForm(forms.Form):
    """One name field per language; the default language's name is required."""

    position = forms.IntegerField(
        label=_("Position"), min_value=0, max_value=MAX_POSITION, initial=0
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for code, name in settings.LANGUAGES:
            self.fields[f"name_{code}"] = forms.CharField(
                label=_("Name in %(language)s") % {"language": name},
                max_length=200,
                required=code == settings.LANGUAGE_CODE,
            )
        self.order_fields([f"name_{code}" for code, _name in settings.LANGUAGES])

    def names(self) -> dict[str, str]:
        return {code: self.cleaned_data.get(f"name_{code}", "") for code in settings.LANGUAGE_CODES}

    def name_fields(self) -> list[forms.BoundField]:
        return [self[f"name_{code}"] for code in settings.LANGUAGE_CODES]


class SectionForm(NamesForm):
    category = forms.ModelChoiceField(label=_("Category"), queryset=Category.objects.none())

    def __init__(self, *args: Any, locale: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["category"]
        field.queryset = Category.objects.prefetch_related("translations")  # type: ignore[attr-defined]
        field.label_from_instance = lambda category: (  # type: ignore[attr-defined]
            _name_in(list(category.translations.all()), locale)
            or _name_in(list(category.translations.all()), settings.LANGUAGE_CODE)
            or str(category)
        )


class MediaUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Image or video"),
        help_text=_("JPEG, PNG, WebP or GIF images; MP4 or WebM videos."),
        widget=forms.ClearableFileInput(
            attrs={"accept": "image/jpeg,image/png,image/webp,image/gif,video/mp4,video/webm"}
        ),
    )
    alt_text = forms.CharField(
        label=_("Alternative text"),
        required=False,
        max_length=500,
        help_text=_("What the image shows, for people who cannot see it. Needed to publish."),
    )
    captions = forms.FileField(
        label=_("Captions for a video (.vtt, optional)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".vtt,text/vtt"}),
    )
    captions_language = forms.ChoiceField(
        label=_("Language of the captions"), choices=settings.LANGUAGES, required=False
    )


class NoticeForm(forms.Form):
    """A site-wide notice: its time window and its message in each language."""

    starts_at = forms.DateTimeField(
        label=_("Shown from"),
        input_formats=[DATETIME_LOCAL, "%Y-%m-%dT%H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
        help_text=_("In your time zone."),
    )
    ends_at = forms.DateTimeField(
        label=_("Shown until"),
        input_formats=[DATETIME_LOCAL, "%Y-%m-%dT%H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
        help_text=_("In your time zone."),
    )
    link_url = forms.CharField(
        label=_("Link (optional)"),
        max_length=500,
        required=False,
        help_text=_("An address on this site (/en/help/…) or starting with https://."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for code, name in settings.LANGUAGES:
            self.fields[f"message_{code}"] = forms.CharField(
                label=_("Message in %(language)s") % {"language": name},
                max_length=500,
                required=code == settings.LANGUAGE_CODE,
            )
        self.order_fields(
            [f"message_{code}" for code in settings.LANGUAGE_CODES] + ["starts_at", "ends_at"]
        )

    def clean_link_url(self) -> str:
        link = self.cleaned_data["link_url"].strip()
        on_site = link.startswith("/") and not link.startswith(("//", "/\\"))
        if link and not (on_site or link.startswith("https://")):
            raise ValidationError(
                _("Use an address on this site (starting with /) or one starting with https://.")
            )
        return link

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        starts_at, ends_at = data.get("starts_at"), data.get("ends_at")
        if starts_at and ends_at and ends_at <= starts_at:
            self.add_error("ends_at", _("The end must be later than the start."))
        return data

    def messages(self) -> dict[str, str]:
        return {
            code: self.cleaned_data.get(f"message_{code}", "").strip()
            for code in settings.LANGUAGE_CODES
        }
