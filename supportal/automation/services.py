"""Macros: saving them (with their placeholders and changes checked), previewing one on a request
and applying it through the request services, which write the TicketEvent rows."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from supportal.accounts.models import User
from supportal.automation.models import Macro
from supportal.helpcenter import selectors as helpcenter
from supportal.helpcenter.models import ArticleTranslation
from supportal.lib import placeholders
from supportal.tickets import services as ticket_services
from supportal.tickets.models import (
    CustomField,
    Group,
    Message,
    Priority,
    Status,
    Ticket,
)

MAX_TEXT = 100_000
MAX_TAGS = 50

# The placeholders a macro may use, with what each becomes (the form lists them).
PLACEHOLDERS = [
    ("requester.name", gettext_lazy("The requester's name")),
    ("requester.first_name", gettext_lazy("The requester's first name")),
    ("requester.email", gettext_lazy("The requester's email address")),
    ("ticket.number", gettext_lazy("The request number, such as 1042")),
    ("ticket.subject", gettext_lazy("The request's subject")),
    ("ticket.url", gettext_lazy("The address where the requester sees the request")),
    ("agent.name", gettext_lazy("Your name (the agent applying the macro)")),
    ("agent.first_name", gettext_lazy("Your first name")),
]
ARTICLE_PLACEHOLDER = "article:42"
KNOWN = [name for name, _description in PLACEHOLDERS]

# The keys of Macro.changes. Each is optional; a missing key leaves the field as it is.
CHANGE_KEYS = ("status", "priority", "group", "assignee", "add_tags", "remove_tags", "fields")
ME = "me"  # assignee: whoever applies the macro


# --- Checking what is saved --------------------------------------------------------------------


def text_problems(text: str) -> list[str]:
    """What is wrong with a macro text's placeholders, as messages naming each one."""
    problems = [
        _("Unknown placeholder: %(placeholder)s") % {"placeholder": "{{" + name + "}}"}
        for name in placeholders.unknown(text, KNOWN)
    ]
    numbers = placeholders.article_numbers([text])
    if numbers:
        live = set(
            ArticleTranslation.objects.live()
            .filter(article_id__in=numbers)
            .values_list("article_id", flat=True)
        )
        problems += [
            _("There is no published help-center article %(number)d (in %(placeholder)s).")
            % {"number": number, "placeholder": f"{{{{article:{number}}}}}"}
            for number in numbers
            if number not in live
        ]
    if len(text) > MAX_TEXT:
        problems.append(_("The text is too long."))
    return problems


def _tag_list(value: Any) -> list[str]:
    if isinstance(value, str):
        value = value.replace(",", " ").split()
    names = sorted({str(name).strip().lower() for name in value or () if str(name).strip()})
    if any(len(name) > 50 for name in names):
        raise ValidationError(_("A tag can be at most 50 characters long."))
    if len(names) > MAX_TAGS:
        raise ValidationError(_("A macro can change at most 50 tags."))
    return names


def _field_value(custom: CustomField, value: Any) -> str:
    value = str(value).strip()
    kind = custom.kind
    if kind == CustomField.Kind.DROPDOWN and value not in {v for v, _label in custom.choice_list()}:
        raise ValidationError(
            _("“%(value)s” is not one of the choices of %(field)s.")
            % {"value": value, "field": custom.label}
        )
    if kind == CustomField.Kind.CHECKBOX and value not in ("1", "0"):
        raise ValidationError(_("Choose yes or no for %(field)s.") % {"field": custom.label})
    if kind == CustomField.Kind.NUMBER:
        try:
            Decimal(value)
        except InvalidOperation:
            raise ValidationError(
                _("%(field)s needs a number.") % {"field": custom.label}
            ) from None
    if kind == CustomField.Kind.DATE:
        try:
            datetime.date.fromisoformat(value)
        except ValueError:
            raise ValidationError(
                _("%(field)s needs a date such as 2026-03-01.") % {"field": custom.label}
            ) from None
    if not value or len(value) > 2000:
        raise ValidationError(_("Enter a value for %(field)s.") % {"field": custom.label})
    return value


def clean_changes(changes: Mapping[str, Any]) -> dict[str, Any]:
    """The changes in their stored form, each value checked against what exists now.

    Raises ValidationError keyed by the change ("status", "group", "field:<key>", ...)."""
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}

    def check(key: str, value: Any, rule: Any) -> None:
        try:
            cleaned[key] = rule(value)
        except ValidationError as error:
            errors.setdefault(key, []).extend(error.messages)

    for key, value in changes.items():
        if key == "status":
            check(key, value, _status)
        elif key == "priority":
            check(key, value, _priority)
        elif key == "group":
            check(key, value, _group_id)
        elif key == "assignee":
            check(key, value, _assignee_id)
        elif key in ("add_tags", "remove_tags"):
            check(key, value, _tag_list)
            if not cleaned.get(key):
                cleaned.pop(key, None)
        elif key == "fields":
            fields = {f.key: f for f in CustomField.objects.filter(key__in=list(value or {}))}
            stored = {}
            for name, raw in (value or {}).items():
                custom = fields.get(name)
                try:
                    if custom is None or not custom.active:
                        raise ValidationError(
                            _("There is no custom field “%(key)s”.") % {"key": name}
                        )
                    stored[name] = _field_value(custom, raw)
                except ValidationError as error:
                    errors.setdefault(f"field:{name}", []).extend(error.messages)
            if stored:
                cleaned["fields"] = stored
        else:
            errors.setdefault(key, []).append(_("Macros cannot change this."))
    both = set(cleaned.get("add_tags", ())) & set(cleaned.get("remove_tags", ()))
    if both:
        errors.setdefault("remove_tags", []).append(
            _("A tag cannot be both added and removed: %(tags)s")
            % {"tags": ", ".join(sorted(both))}
        )
    if errors:
        raise ValidationError(errors)
    return cleaned


def _status(value: Any) -> str:
    if value not in Status.values:
        raise ValidationError(_("Choose a valid status."))
    return str(value)


def _priority(value: Any) -> int:
    number = int(value) if str(value).isdigit() else 0
    if number not in Priority.values:
        raise ValidationError(_("Choose a valid priority."))
    return number


def _group_id(value: Any) -> int | None:
    if value is None:
        return None
    if not str(value).isdigit() or not Group.objects.filter(pk=int(value)).exists():
        raise ValidationError(_("This group does not exist."))
    return int(value)


def _assignee_id(value: Any) -> int | str | None:
    if value is None or value == ME:
        return value
    if not str(value).isdigit() or not User.objects.agents().filter(pk=int(value)).exists():
        raise ValidationError(_("The assignee must be an agent."))
    return int(value)


# --- Saving ------------------------------------------------------------------------------------


@transaction.atomic
def macro_save(
    *,
    macro: Macro | None,
    actor: User,
    title: str,
    texts: Mapping[str, str],
    public: bool = True,
    changes: Mapping[str, Any] | None = None,
    active: bool = True,
    shared: bool = False,
    group: Group | None = None,
) -> Macro:
    """Creates or updates a macro. Agents save personal macros; admins may share them."""
    if not actor.is_agent or (shared and not actor.is_admin):
        raise PermissionDenied
    if macro is not None and not Macro.objects.manageable_by(actor).filter(pk=macro.pk).exists():
        raise PermissionDenied
    errors: dict[str, list[str]] = {}
    title = " ".join(title.split())[:200]
    if not title:
        errors["title"] = [_("A macro needs a title.")]
    cleaned_texts = {
        code: texts[code].strip() for code in settings.LANGUAGE_CODES if texts.get(code, "").strip()
    }
    for code, text in cleaned_texts.items():
        problems = text_problems(text)
        if problems:
            errors[f"text_{code}"] = problems
    try:
        cleaned_changes = clean_changes(changes or {})
    except ValidationError as error:
        errors.update(error.message_dict)
        cleaned_changes = {}
    if not errors and not cleaned_texts and not cleaned_changes:
        errors["__all__"] = [_("A macro needs a text in at least one language, or a change.")]
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    macro = macro or Macro(created_by=actor, created_at=now)
    macro.title = title
    macro.owner = None if shared else (macro.owner if macro.owner_id else actor)
    macro.group = group if shared else None
    macro.texts = cleaned_texts
    macro.public = public
    macro.changes = cleaned_changes
    macro.active = active
    macro.updated_at = now
    macro.save()
    return macro


def _check_manage(macro: Macro, actor: User) -> None:
    if not Macro.objects.manageable_by(actor).filter(pk=macro.pk).exists():
        raise PermissionDenied


@transaction.atomic
def macro_set_active(*, macro: Macro, actor: User, active: bool) -> None:
    _check_manage(macro, actor)
    Macro.objects.filter(pk=macro.pk).update(active=active, updated_at=timezone.now())
    macro.active = active


@transaction.atomic
def macro_delete(*, macro: Macro, actor: User) -> None:
    _check_manage(macro, actor)
    macro.delete()


# --- Filling in the placeholders ---------------------------------------------------------------


def _articles(numbers: list[int], reader: User, language: str) -> dict[int, str]:
    """The title and address of each article the reader may open, in their language (or in the
    default language, as the help center itself falls back)."""
    if not numbers:
        return {}
    found = helpcenter.shown(
        helpcenter.visible_articles(reader, language).filter(pk__in=numbers), language
    )
    with translation.override(language):
        return {
            article.pk: f"{article.translation.title}: "  # type: ignore[attr-defined]
            + settings.SITE_URL
            + reverse("helpcenter:article", args=[article.pk])
            for article in found
        }


def placeholder_values(
    *, text: str, ticket: Ticket, actor: User, language: str, public: bool
) -> tuple[dict[str, str], list[str]]:
    """The value of every placeholder in `text`, and warnings about articles left out."""
    requester = ticket.requester
    path = "tickets:detail" if public else "agent:ticket"
    with translation.override(language):
        url = settings.SITE_URL + reverse(path, args=[ticket.pk])
    values = {
        "requester.name": str(requester),
        "requester.first_name": placeholders.first_name(requester.name) or str(requester),
        "requester.email": requester.email,
        "ticket.number": str(ticket.pk),
        "ticket.subject": ticket.subject,
        "ticket.url": url,
        "agent.name": str(actor),
        "agent.first_name": placeholders.first_name(actor.name) or str(actor),
    }
    numbers = placeholders.article_numbers([text])
    # A public reply links what the requester may read; a note what agents may read.
    articles = _articles(numbers, requester if public else actor, language)
    warnings = []
    for number in numbers:
        values[f"article:{number}"] = articles.get(number, "")
        if number not in articles:
            warnings.append(
                _("Article %(number)d is not published for this reader, so its link was left out.")
                % {"number": number}
            )
    return values, warnings


# --- Preview and apply -------------------------------------------------------------------------


@dataclass
class ChangeLine:
    label: str
    old: str = ""
    new: str = ""
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)


@dataclass
class Preview:
    body: str
    public: bool
    language: str  # the language the text is written in ("" without text)
    wanted_language: str  # the requester's
    changes: list[ChangeLine]
    warnings: list[str]

    @property
    def is_fallback(self) -> bool:
        return bool(self.language) and self.language != self.wanted_language


def resolve_changes(macro: Macro, ticket: Ticket, actor: User) -> ticket_services.Changes:
    """The macro's stored changes as the request services take them. A group, agent or field
    removed since the macro was saved is skipped."""
    stored = macro.changes
    changes = ticket_services.Changes()
    if stored.get("status") in Status.values:
        changes.status = stored["status"]
    if stored.get("priority") in Priority.values:
        changes.priority = stored["priority"]
    if "group" in stored:
        group_id = stored["group"]
        group = Group.objects.filter(pk=group_id).first() if group_id else None
        if group_id is None or group is not None:
            changes.group = group
    if "assignee" in stored:
        value = stored["assignee"]
        if value == ME:
            changes.assignee = actor
        elif value is None:
            changes.assignee = None
        else:
            found = User.objects.agents().filter(pk=value).first()
            if found is not None:
                changes.assignee = found
    changes.add_tags = stored.get("add_tags") or None
    changes.remove_tags = stored.get("remove_tags") or None
    wanted = stored.get("fields") or {}
    if wanted:
        fields = CustomField.objects.filter(key__in=list(wanted), active=True)
        changes.fields = {custom: _stored_value(custom, wanted[custom.key]) for custom in fields}
        changes.fields = changes.fields or None
    return changes


def _stored_value(custom: CustomField, value: str) -> str:
    """A macro's value as the request stores it: a cleared checkbox is no value."""
    if custom.kind == CustomField.Kind.CHECKBOX:
        return "1" if value == "1" else ""
    return value


def _name(obj: Any, empty: str) -> str:
    return str(obj) if obj is not None else empty


def describe_changes(
    changes: ticket_services.Changes, ticket: Ticket, *, reply: bool, public: bool
) -> list[ChangeLine]:
    """What applying the changes would do to the request as it is now, in words. Fields that
    would keep their value are left out; a public reply to a new request opens it."""
    lines = []
    status = changes.status
    if status is None and reply and public and ticket.status == Status.NEW:
        status = Status.OPEN
    if status and status != ticket.status:
        lines.append(
            ChangeLine(_("Status"), ticket.get_status_display(), str(Status(status).label))
        )
    if changes.priority and changes.priority != ticket.priority:
        lines.append(
            ChangeLine(
                _("Priority"), ticket.get_priority_display(), str(Priority(changes.priority).label)
            )
        )
    if changes.group is not False and getattr(changes.group, "pk", None) != ticket.group_id:
        lines.append(
            ChangeLine(
                _("Group"), _name(ticket.group, _("No group")), _name(changes.group, _("No group"))
            )
        )
    if (
        changes.assignee is not False
        and getattr(changes.assignee, "pk", None) != ticket.assignee_id
    ):
        lines.append(
            ChangeLine(
                _("Assignee"),
                _name(ticket.assignee, _("Unassigned")),
                _name(changes.assignee, _("Unassigned")),
            )
        )
    if changes.add_tags or changes.remove_tags:
        current = set(ticket.tags.values_list("name", flat=True))
        added = sorted(set(changes.add_tags or ()) - current)
        removed = sorted(set(changes.remove_tags or ()) & current)
        if added or removed:
            lines.append(ChangeLine(_("Tags"), added=added, removed=removed))
    if changes.fields:
        values = {row.field_id: row.value for row in ticket.field_values.all()}
        for custom, value in changes.fields.items():
            old = values.get(custom.pk, "")
            if old != value:
                lines.append(
                    ChangeLine(
                        custom.label,
                        custom.display(old) if old else "",
                        custom.display(value) if value else "",
                    )
                )
    return lines


def macro_preview(*, macro: Macro, ticket: Ticket, actor: User) -> Preview:
    """The text filled in for this request and its requester's language, and the changes."""
    wanted = ticket.requester.language
    text, language = macro.text_for(wanted)
    values, warnings = placeholder_values(
        text=text, ticket=ticket, actor=actor, language=language or wanted, public=macro.public
    )
    changes = resolve_changes(macro, ticket, actor)
    lines = describe_changes(changes, ticket, reply=bool(text), public=macro.public)
    return Preview(
        placeholders.render(text, values), macro.public, language, wanted, lines, warnings
    )


@transaction.atomic
def macro_apply(
    *, macro: Macro, ticket: Ticket, actor: User, body: str, public: bool | None = None
) -> Message | None:
    """Sends `body` (the previewed text, as the agent left it) as a reply or note, applies the
    macro's changes through the request services and counts the use. Nothing to send and
    nothing to change is refused."""
    if not Macro.objects.usable_by(actor).filter(pk=macro.pk).exists():
        raise PermissionDenied
    public = macro.public if public is None else public
    changes = resolve_changes(macro, ticket, actor)
    message = None
    if body.strip():
        message = ticket_services.ticket_reply(
            ticket=ticket,
            author=actor,
            body=body,
            public=public,
            status=changes.status,
            via=f"macro:{macro.pk}",
        )
        changes.status = None
    events = ticket_services.ticket_update(
        ticket=ticket, actor=actor, changes=changes, via=f"macro:{macro.pk}"
    )
    if message is None and not events:
        raise ValidationError(
            _("Nothing to apply: the text is empty and the request already has these values.")
        )
    Macro.objects.filter(pk=macro.pk).update(
        usage_count=F("usage_count") + 1, last_used_at=timezone.now()
    )
    return message


def latest_event(ticket: Ticket) -> int:
    """The newest event's id: a later one means someone changed the request since."""
    return ticket.events.order_by("-pk").values_list("pk", flat=True).first() or 0


def usable_macros(user: User) -> Iterable[Macro]:
    return (
        Macro.objects.usable_by(user)
        .only("pk", "title", "owner_id")
        .order_by("-usage_count", "title", "pk")
    )
