"""The visitor's chat forms: pre-chat, message, leave-a-message, rating."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from supportal.chat.models import ChatSettings
from supportal.chat.services import MAX_MESSAGE
from supportal.satisfaction.models import COMMENT_MAX_LENGTH, Score
from supportal.tickets.forms import AttachmentsField, new_form_key
from supportal.tickets.models import RequestType

Field = ChatSettings.Field


class TopicChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: RequestType) -> str:
        return obj.name


class PreChatForm(forms.Form):
    name = forms.CharField(label=_("Your name"), max_length=150, required=False)
    email = forms.EmailField(label=_("Your email"), max_length=254, required=False)
    topic = TopicChoice(
        label=_("Topic"),
        queryset=RequestType.objects.none(),
        required=False,
        empty_label=_("Choose a topic"),
    )
    message = forms.CharField(
        label=_("How can we help?"),
        max_length=MAX_MESSAGE,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    # Where the visitor was, and a signed identity from the company's site (checked on save).
    page = forms.CharField(required=False, max_length=500, widget=forms.HiddenInput)
    identity_email = forms.CharField(required=False, max_length=254, widget=forms.HiddenInput)
    identity_signature = forms.CharField(required=False, max_length=128, widget=forms.HiddenInput)
    # The suggested articles opened from this form are recorded with it (tickets.Deflection).
    key = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)

    def __init__(self, *args: Any, config: ChatSettings, signed_in: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["key"] = new_form_key()
        asked = {"name": config.ask_name, "email": config.ask_email, "topic": config.ask_topic}
        for name, rule in asked.items():
            if signed_in and name in ("name", "email"):
                del self.fields[name]  # we know who they are
            elif rule == Field.HIDDEN:
                del self.fields[name]
            else:
                self.fields[name].required = rule == Field.REQUIRED
        if "topic" in self.fields:
            self.fields["topic"].queryset = RequestType.objects.filter(active=True).order_by(
                "position", "pk"
            )
        if "email" in self.fields:
            self.fields["email"].widget.attrs["autocomplete"] = "email"
        if "name" in self.fields:
            self.fields["name"].widget.attrs["autocomplete"] = "name"


class MessageForm(forms.Form):
    body = forms.CharField(
        label=_("Message"),
        max_length=MAX_MESSAGE,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    client = forms.CharField(required=False, max_length=40, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["files"] = AttachmentsField(label=_("Attach files"))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not (data.get("body") or "").strip() and not data.get("files"):
            raise forms.ValidationError(_("Write a message first."))
        return data


class LeaveMessageForm(forms.Form):
    name = forms.CharField(label=_("Your name"), max_length=150, required=False)
    email = forms.EmailField(label=_("Your email"), max_length=254)
    message = forms.CharField(
        label=_("Your message"), max_length=MAX_MESSAGE, widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, *args: Any, signed_in: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if signed_in:
            del self.fields["name"], self.fields["email"]
        else:
            self.fields["email"].widget.attrs["autocomplete"] = "email"
            self.fields["name"].widget.attrs["autocomplete"] = "name"


class RateForm(forms.Form):
    score = forms.ChoiceField(
        label=_("How was this chat?"), choices=Score.choices, widget=forms.RadioSelect
    )
    comment = forms.CharField(
        label=_("Comment (optional)"),
        max_length=COMMENT_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
