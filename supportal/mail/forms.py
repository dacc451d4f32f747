"""Forms of the email settings: a support address, and the mail log's filters."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from supportal.mail.models import InboundEmail, Mailbox
from supportal.mail.settings_services import address_taken
from supportal.tickets.models import Group

# The fields the connection test needs; the other fields do not matter to it.
IMAP_FIELDS = ("imap_host", "imap_port", "imap_security", "imap_user", "imap_folder")


def _label(name: str) -> Any:
    return capfirst(Mailbox._meta.get_field(name).verbose_name)


class MailboxForm(forms.Form):
    address = forms.EmailField(
        label=_("Email address"),
        max_length=254,
        help_text=_("The address customers write to, such as help@example.com."),
    )
    name = forms.CharField(
        label=_label("name"),
        max_length=100,
        required=False,
        help_text=Mailbox._meta.get_field("name").help_text,
    )
    group = forms.ModelChoiceField(
        label=_label("group"),
        queryset=Group.objects.none(),
        required=False,
        empty_label=_("No group"),
    )
    delivery = forms.ChoiceField(
        label=_label("delivery"),
        choices=Mailbox.Delivery.choices,
        widget=forms.RadioSelect,
        initial=Mailbox.Delivery.IMAP,
    )
    active = forms.BooleanField(
        label=_label("active"),
        required=False,
        initial=True,
        help_text=_("Mail to an inactive address is not fetched or accepted."),
    )
    imap_host = forms.CharField(
        label=_label("imap_host"),
        max_length=255,
        required=False,
        help_text=_("For example imap.example.com."),
    )
    imap_port = forms.IntegerField(
        label=_label("imap_port"),
        initial=993,
        error_messages={
            "required": _("Enter a port between 1 and 65535."),
            "invalid": _("Enter a port between 1 and 65535."),
        },
        widget=forms.NumberInput(attrs={"min": 1, "max": 65535}),
    )
    imap_security = forms.ChoiceField(
        label=_label("imap_security"),
        choices=Mailbox.Security.choices,
        widget=forms.RadioSelect,
        initial=Mailbox.Security.TLS,
    )
    imap_user = forms.CharField(
        label=_label("imap_user"),
        max_length=255,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    imap_password = forms.CharField(
        label=_("Password"),
        max_length=1000,
        required=False,
        strip=False,
        # Never rendered back: the stored password stays on the server.
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )
    imap_folder = forms.CharField(
        label=_label("imap_folder"), max_length=255, required=False, initial="INBOX"
    )
    poll_minutes = forms.IntegerField(
        label=_label("poll_minutes"),
        initial=1,
        min_value=1,
        max_value=1440,
        error_messages={
            "required": _("Enter a number of minutes between 1 and 1440."),
            "invalid": _("Enter a number of minutes between 1 and 1440."),
            "min_value": _("Enter a number of minutes between 1 and 1440."),
            "max_value": _("Enter a number of minutes between 1 and 1440."),
        },
    )

    def __init__(self, *args: Any, mailbox: Mailbox | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.mailbox = mailbox
        self._imap_checked = False
        self.fields["group"].queryset = Group.objects.order_by("name")  # type: ignore[attr-defined]
        self.has_password = bool(mailbox and mailbox.imap_password_encrypted)
        self.fields["imap_password"].help_text = (
            _("A password is stored. Leave this empty to keep it, or type a new one.")
            if self.has_password
            else _("Needed for IMAP. It is stored encrypted and never shown again.")
        )

    @classmethod
    def initial_for(cls, mailbox: Mailbox | None) -> dict[str, Any]:
        if mailbox is None:
            return {}
        names = [name for name in cls.base_fields if name != "imap_password"]
        return {name: getattr(mailbox, name) for name in names}

    def clean_address(self) -> str:
        address = self.cleaned_data["address"].strip().lower()
        if address_taken(address, self.mailbox):
            raise ValidationError(_("There is already a support address with this email address."))
        return address

    def clean_imap_host(self) -> str:
        host = self.cleaned_data["imap_host"].strip()
        if any(character.isspace() for character in host) or "/" in host:
            raise ValidationError(
                _("Enter a server name such as imap.example.com, without spaces.")
            )
        return host

    def clean_imap_port(self) -> int:
        port = self.cleaned_data["imap_port"]
        if not 1 <= port <= 65535:
            raise ValidationError(_("Enter a port between 1 and 65535."))
        return port

    def clean_imap_folder(self) -> str:
        return self.cleaned_data["imap_folder"].strip() or "INBOX"

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("delivery") == Mailbox.Delivery.IMAP:
            self.check_imap()
        return data

    def check_imap(self) -> None:
        """IMAP needs a server, a user name and (unless one is stored) a password."""
        if self._imap_checked:
            return
        self._imap_checked = True
        data = self.cleaned_data
        if "imap_host" in data and not data["imap_host"]:
            self.add_error("imap_host", _("Enter the IMAP server."))
        if "imap_user" in data and not data["imap_user"]:
            self.add_error("imap_user", _("Enter the user name."))
        if not data.get("imap_password") and not self.has_password:
            self.add_error("imap_password", _("Enter the password."))

    def imap_valid(self) -> bool:
        """Whether the IMAP fields alone are good enough to try a connection."""
        self.is_valid()
        self.check_imap()
        return not any(name in self.errors for name in (*IMAP_FIELDS, "imap_password"))

    def service_fields(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("imap_password", None)
        return data

    def unsaved_mailbox(self) -> Mailbox:
        """A Mailbox with the form's IMAP values, for the connection test: never saved.

        A blank password means the stored one."""
        probe = Mailbox(address=self.cleaned_data.get("address", ""))
        for name in IMAP_FIELDS:
            setattr(probe, name, self.cleaned_data[name])
        password = self.cleaned_data.get("imap_password")
        if password:
            probe.imap_password = password
        elif self.mailbox is not None:
            probe.imap_password_encrypted = self.mailbox.imap_password_encrypted
        return probe


class MailLogFilterForm(forms.Form):
    """The mail log's filters: each one is served by an index (fate, mailbox, sender)."""

    fate = forms.ChoiceField(label=_("Outcome"), required=False)
    mailbox = forms.TypedChoiceField(
        label=_("Support address"), required=False, coerce=int, empty_value=None
    )
    sender = forms.EmailField(
        label=_("From (exact email address)"),
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )

    def __init__(self, *args: Any, mailboxes: list[Mailbox], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["fate"].choices = [("", _("Any outcome")), *InboundEmail.Fate.choices]  # type: ignore[attr-defined]
        self.fields["mailbox"].choices = [  # type: ignore[attr-defined]
            ("", _("Any address")),
            *((str(mailbox.pk), mailbox.address) for mailbox in mailboxes),
        ]

    def clean_sender(self) -> str:
        return self.cleaned_data["sender"].strip().lower()
