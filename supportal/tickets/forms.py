"""Customers' request forms: the new-request form, replies and people in CC."""

from __future__ import annotations

import re
import secrets
from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.urls import reverse
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from supportal.tickets import attachments as attachment_checks
from supportal.tickets.models import CustomField, RequestType

FORM_KEY = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
FIELD_PREFIX = "field_"
MAX_DESCRIPTION = 50_000


def new_form_key() -> str:
    """The random key a request form carries: a double submit finds the request it made."""
    return secrets.token_urlsafe(24)


def valid_form_key(value: str) -> bool:
    return bool(FORM_KEY.match(value or ""))


def attachment_limits() -> str:
    count = settings.ATTACHMENT_MAX_FILES
    return ngettext(
        "Up to %(count)d file of at most %(size)d MB. Allowed types: %(types)s.",
        "Up to %(count)d files of at most %(size)d MB each. Allowed types: %(types)s.",
        count,
    ) % {
        "count": count,
        "size": settings.ATTACHMENT_MAX_MB,
        "types": ", ".join(settings.ATTACHMENT_TYPES),
    }


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class AttachmentsField(forms.FileField):
    """Several files from one <input type=file multiple>, checked by tickets/attachments.py.

    Create it in the form's __init__: its help text and messages are made in the request's
    language."""

    widget = MultipleFileInput

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", _("Attachments"))
        super().__init__(**kwargs)
        self.widget.attrs.update(
            {
                "accept": ",".join(f".{ext}" for ext in settings.ATTACHMENT_TYPES),
                "data-max-files": str(settings.ATTACHMENT_MAX_FILES),
                "data-max-bytes": str(attachment_checks.max_bytes()),
                "data-max-request": str(settings.MAX_REQUEST_SIZE),
                # Messages for static/js/request-form.js, which checks files before upload.
                "data-too-many": ngettext(
                    "You can attach at most %(count)d file.",
                    "You can attach at most %(count)d files.",
                    settings.ATTACHMENT_MAX_FILES,
                )
                % {"count": settings.ATTACHMENT_MAX_FILES},
                "data-too-large": gettext("“%(name)s” is larger than %(size)d MB.")
                % {"name": "{name}", "size": settings.ATTACHMENT_MAX_MB},
                "data-too-much": gettext("Together the files are larger than %(size)d MB.")
                % {"size": settings.MAX_REQUEST_SIZE // (1024 * 1024)},
            }
        )
        self.help_text = attachment_limits()

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        files = [
            upload for upload in (data if isinstance(data, list | tuple) else [data]) if upload
        ]
        attachment_checks.validate_uploads(files)
        return files


def _field_for(field: CustomField) -> forms.Field:
    common: dict[str, Any] = {"label": field.label, "required": field.required}
    kind = CustomField.Kind
    if field.kind == kind.TEXTAREA:
        return forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 3}), **common)
    if field.kind == kind.NUMBER:
        return forms.DecimalField(max_digits=20, **common)
    if field.kind == kind.DATE:
        return forms.DateField(
            input_formats=["%Y-%m-%d"],
            widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            help_text=_("As year-month-day, for example 2025-03-31."),
            **common,
        )
    if field.kind == kind.CHECKBOX:
        return forms.BooleanField(**common)
    if field.kind == kind.DROPDOWN:
        return forms.ChoiceField(choices=[("", _("Choose…")), *field.choice_list()], **common)
    return forms.CharField(max_length=2000, **common)


def _stored_value(field: CustomField, value: Any) -> Any:
    """A cleaned value as the service stores it (numbers in plain notation, dates in ISO)."""
    if isinstance(value, Decimal):
        return format(value.normalize() if value == value.to_integral() else value, "f")
    if field.kind == CustomField.Kind.DATE and value:
        return value.isoformat()
    return value


class RequestForm(forms.Form):
    """A signed-in customer's request; VisitorRequestForm adds the visitor's email and name."""

    key = forms.CharField(widget=forms.HiddenInput, required=False)
    subject = forms.CharField(label=_("Subject"), max_length=200)
    description = forms.CharField(
        label=_("Description"),
        max_length=MAX_DESCRIPTION,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("Tell us what happened and what you expected. Do not include passwords."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["key"] = new_form_key()
        self.fields["subject"].widget.attrs.update(
            {
                # Deflection: matching help-center articles appear as the subject is typed.
                "autocomplete": "off",
                "hx-get": reverse("tickets:suggest"),
                "hx-trigger": "input changed delay:300ms",
                "hx-target": "#request-suggestions",
                "hx-swap": "innerHTML",
                "hx-include": "#request-key",
                "hx-sync": "this:replace",
            }
        )
        self.types = {str(t.pk): t for t in RequestType.objects.filter(active=True)}
        if self.types:
            self.fields["type"] = forms.ChoiceField(
                label=_("Request type"),
                choices=[("", _("Choose…")), *((pk, t.name) for pk, t in self.types.items())],
            )
        self.custom_fields = list(CustomField.objects.filter(active=True, customer_visible=True))
        for field in self.custom_fields:
            self.fields[FIELD_PREFIX + field.key] = _field_for(field)
        self.fields["attachments"] = AttachmentsField()
        self.order_fields(["email", "name", "subject", "type", "description"])

    @property
    def form_key(self) -> str:
        """The key this form carries (a fresh one when the posted one is missing or odd)."""
        if not hasattr(self, "_form_key"):
            value = self.data.get("key", "") if self.is_bound else self.initial["key"]
            self._form_key = value if valid_form_key(value) else new_form_key()
        return self._form_key

    def clean_key(self) -> str:
        return self.form_key

    @property
    def custom_bound_fields(self) -> list[forms.BoundField]:
        return [self[FIELD_PREFIX + field.key] for field in self.custom_fields]

    @property
    def standard_bound_fields(self) -> list[forms.BoundField]:
        names = ["email", "name", "subject", "type", "description"]
        return [self[name] for name in names if name in self.fields]

    def request_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for services.ticket_create / ticket_create_anonymous."""
        data = self.cleaned_data
        return {
            "subject": data["subject"],
            "description": data["description"],
            "type": self.types.get(data.get("type") or ""),
            "fields": {
                field: _stored_value(field, data.get(FIELD_PREFIX + field.key))
                for field in self.custom_fields
            },
            "attachments": data.get("attachments") or [],
            "submission_key": self.form_key,
            "deflection_key": self.form_key,
        }


class VisitorFields(forms.Form):
    """Who a visitor's request comes from (no account): the request form's, and any other
    public form that makes a request (the accessibility statement's)."""

    email = forms.EmailField(
        label=_("Your email address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        help_text=_("We send a link to your request and our replies to this address."),
    )
    name = forms.CharField(
        label=_("Your name"),
        max_length=150,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )


class VisitorRequestForm(RequestForm, VisitorFields):
    def request_kwargs(self) -> dict[str, Any]:
        return {
            **super().request_kwargs(),
            "email": self.cleaned_data["email"],
            "name": self.cleaned_data["name"],
        }


class ReplyForm(forms.Form):
    body = forms.CharField(
        label=_("Your reply"), max_length=MAX_DESCRIPTION, widget=forms.Textarea(attrs={"rows": 6})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Built per form: its limits and messages follow the settings and the language.
        self.fields["attachments"] = AttachmentsField()


class CcForm(forms.Form):
    email = forms.EmailField(
        label=_("Email address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
