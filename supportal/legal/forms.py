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
from supportal.tickets.forms import (
    MAX_DESCRIPTION,
    VisitorFields,
    new_form_key,
    valid_form_key,
)


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


class BarrierReportForm(VisitorFields):
    """A barrier met on the site (the accessibility statement's form). Visitors give an address
    to answer (VisitorFields); a signed-in person's report comes from their account."""

    # Like the request form's key: the same form posted twice makes one request.
    key = forms.CharField(widget=forms.HiddenInput, required=False)
    description = forms.CharField(
        label=gettext_lazy("What got in the way?"),
        max_length=MAX_DESCRIPTION,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=gettext_lazy(
            "Which page, what you were trying to do, and what happened. If you use assistive "
            "technology, tell us which (for example a screen reader and its version)."
        ),
    )

    def __init__(self, *args: Any, signed_in: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if signed_in:
            del self.fields["email"], self.fields["name"]
        if not self.is_bound:
            self.initial["key"] = new_form_key()

    def clean_key(self) -> str:
        value = self.cleaned_data.get("key", "")
        return value if valid_form_key(value) else new_form_key()

    def visible(self) -> list[forms.BoundField]:
        return [self[name] for name in ("email", "name", "description") if name in self.fields]
