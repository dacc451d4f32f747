from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import get_language_info, gettext_lazy
from django.utils.translation import gettext as _

from supportal.legal.current import current
from supportal.legal.models import Kind, PolicyVersion


def _slot(code: str) -> str:
    """A form field suffix for a language code (zh-hans -> zh_hans)."""
    return code.replace("-", "_")


class VersionForm(forms.Form):
    """A draft's words, one text and one "what changed" note per language."""

    requires_acceptance = forms.BooleanField(
        label=PolicyVersion._meta.get_field("requires_acceptance").verbose_name,
        help_text=PolicyVersion._meta.get_field("requires_acceptance").help_text,
        required=False,
    )

    def __init__(self, *args: Any, version: PolicyVersion, **kwargs: Any) -> None:
        if "initial" not in kwargs:
            texts = {t.language: t for t in version.texts.all()}
            initial: dict[str, Any] = {"requires_acceptance": version.requires_acceptance}
            for code, _name in settings.LANGUAGES:
                text = texts.get(code)
                initial[f"body_{_slot(code)}"] = text.body if text else ""
                initial[f"summary_{_slot(code)}"] = text.summary if text else ""
            kwargs["initial"] = initial
        super().__init__(*args, **kwargs)
        self.languages = []
        for code, _name in settings.LANGUAGES:
            language = get_language_info(code)["name_translated"]
            body = forms.CharField(
                label=_("Text in %(language)s") % {"language": language},
                required=False,
                strip=False,
                widget=forms.Textarea(attrs={"rows": 16, "lang": code}),
                help_text=_("Markdown. Leave it empty to show the English text instead.")
                if code != "en"
                else _("Markdown. Required before publishing."),
            )
            summary = forms.CharField(
                label=_("What changed, in %(language)s") % {"language": language},
                required=False,
                max_length=2000,
                widget=forms.Textarea(attrs={"rows": 3, "lang": code}),
                help_text=_("Optional. Shown when people are asked to accept this version."),
            )
            self.fields[f"body_{_slot(code)}"] = body
            self.fields[f"summary_{_slot(code)}"] = summary
            self.languages.append((code, language))

    def language_fields(self) -> list[tuple[str, str, forms.BoundField, forms.BoundField]]:
        return [
            (code, name, self[f"body_{_slot(code)}"], self[f"summary_{_slot(code)}"])
            for code, name in self.languages
        ]

    def texts(self) -> dict[str, tuple[str, str]]:
        data = self.cleaned_data
        return {
            code: (data[f"body_{_slot(code)}"], data[f"summary_{_slot(code)}"])
            for code, _name in self.languages
        }


def signup_acceptance_field() -> forms.BooleanField | None:
    """The "I accept" checkbox for the sign-up form, or None while nothing is published.
    The sign-up view then calls services.policies_accept_current()."""
    latest = current().latest
    if not latest:
        return None

    def link(kind: str) -> str:
        return format_html('<a href="{}">{}</a>', reverse(f"legal:{kind}"), Kind(kind).label)

    if "terms" in latest and "privacy" in latest:
        label = format_html(
            _("I accept the {terms} and the {privacy}."),
            terms=link("terms"),
            privacy=link("privacy"),
        )
    else:
        label = format_html(_("I accept the {document}."), document=link(next(iter(latest))))
    return forms.BooleanField(
        label=label,
        required=True,
        error_messages={"required": gettext_lazy("Please accept to create an account.")},
    )
