"""Actions of triggers and automations: checking them when saved, and carrying them out on a
request through the request services, with mail through the outbox.

An action is a small dict: {"action": "set_status", "value": "pending"}; a notification also
carries the admin's "subject" and "body", with placeholders ({{ticket.number}}, ...).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from supportal.accounts.models import User
from supportal.core.services import AUTO_GENERATED
from supportal.lib import placeholders
from supportal.mail import outbound
from supportal.rules.conditions import CURRENT, NONE, Choices
from supportal.tickets import services as ticket_services
from supportal.tickets.models import Channel, Group, Ticket

SET_ACTIONS = {
    "set_status": ("status", "status"),
    "set_priority": ("priority", "priority"),
    "set_type": ("type", "type"),
    "set_group": ("group", "group"),
    "set_assignee": ("assignee", "agent"),
}
NOTIFY_ACTIONS = ("notify_requester", "notify_assignee", "notify_agent", "notify_group")
# Triage suggestions (tickets/triage.py) applied when their confidence reaches the value, a
# percentage: {"action": "suggest_type", "value": "80"}.
SUGGEST_ACTIONS = {"suggest_type": "type", "suggest_group": "group", "suggest_priority": "priority"}
ACTION_LABELS = {
    "set_status": gettext_lazy("Set status"),
    "set_priority": gettext_lazy("Set priority"),
    "set_type": gettext_lazy("Set request type"),
    "set_group": gettext_lazy("Set group"),
    "set_assignee": gettext_lazy("Set assignee"),
    "add_tags": gettext_lazy("Add tags"),
    "remove_tags": gettext_lazy("Remove tags"),
    "set_field": gettext_lazy("Set a custom field (key=value)"),
    "suggest_type": gettext_lazy("Apply the suggested request type (minimum confidence in %)"),
    "suggest_group": gettext_lazy("Apply the suggested group (minimum confidence in %)"),
    "suggest_priority": gettext_lazy("Apply the suggested priority (minimum confidence in %)"),
    "notify_requester": gettext_lazy("Email the requester"),
    "notify_assignee": gettext_lazy("Email the assignee"),
    "notify_agent": gettext_lazy("Email an agent"),
    "notify_group": gettext_lazy("Email a group's members"),
}
PLACEHOLDERS = [
    ("ticket.number", gettext_lazy("The request number, such as 1042")),
    ("ticket.subject", gettext_lazy("The request's subject")),
    ("ticket.status", gettext_lazy("The request's status")),
    ("ticket.priority", gettext_lazy("The request's priority")),
    ("ticket.url", gettext_lazy("The address of the request (for the recipient)")),
    ("requester.name", gettext_lazy("The requester's name")),
    ("requester.first_name", gettext_lazy("The requester's first name")),
    ("requester.email", gettext_lazy("The requester's email address")),
    ("recipient.name", gettext_lazy("The name of the person receiving the email")),
    (
        "suggested_articles",
        gettext_lazy("Up to three help-center articles matching the subject, with links"),
    ),
]
KNOWN = [name for name, _label in PLACEHOLDERS]
MAX_SUBJECT, MAX_BODY = 200, 20_000


def _tags(value: str) -> list[str]:
    return sorted({t[:50] for t in value.lower().replace(",", " ").split() if t})


def clean_action(raw: Mapping[str, Any], choices: Choices, *, automation: bool = False) -> dict:
    """The action as stored, or ValidationError naming the problem."""
    name, value = str(raw.get("action", "")), str(raw.get("value", "") or "").strip()
    label = str(ACTION_LABELS.get(name, name))
    if automation and value == CURRENT:
        raise ValidationError(
            _(
                "An automation acts on its own: “the agent making the change” only works in a "
                "trigger."
            ),
            code="current",
        )
    if name in SET_ACTIONS:
        kind = SET_ACTIONS[name][1]
        allowed = choices.values(kind) or {}
        if name in ("set_status", "set_priority"):
            allowed.pop(NONE, None)
        if value not in allowed:
            raise ValidationError(
                _("Choose a value for “%(action)s” from its list.") % {"action": label},
                code="value",
            )
        return {"action": name, "value": value}
    if name in ("add_tags", "remove_tags"):
        tags = _tags(value)
        if not tags:
            raise ValidationError(
                _("Enter at least one tag for “%(action)s”.") % {"action": label}, code="value"
            )
        return {"action": name, "value": " ".join(tags)}
    if name == "set_field":
        key, _sep, field_value = value.partition("=")
        custom = choices.custom_fields.get(key.strip())
        if custom is None:
            raise ValidationError(
                _("Write the custom field as key=value, with the key of an active field."),
                code="value",
            )
        field_value = field_value.strip()
        if custom.kind == custom.Kind.DROPDOWN and field_value not in dict(custom.choice_list()):
            raise ValidationError(
                _("“%(value)s” is not a choice of “%(field)s”.")
                % {"value": field_value, "field": custom.label},
                code="value",
            )
        return {"action": name, "value": f"{custom.key}={field_value[:2000]}"}
    if name in SUGGEST_ACTIONS:
        percent = value.removesuffix("%").strip()
        if not percent.isdigit() or not 1 <= int(percent) <= 100:
            raise ValidationError(
                _("Write the minimum confidence for “%(action)s” as a number from 1 to 100.")
                % {"action": label},
                code="value",
            )
        return {"action": name, "value": str(int(percent))}
    if name in NOTIFY_ACTIONS:
        subject = str(raw.get("subject", "") or "").strip()[:MAX_SUBJECT]
        body = str(raw.get("body", "") or "").strip()[:MAX_BODY]
        if not subject or not body:
            raise ValidationError(
                _("An email needs a subject and a text: fill in both under “Email”."),
                code="email",
            )
        unknown = placeholders.unknown(subject + "\n" + body, KNOWN)
        if unknown:
            raise ValidationError(
                _("Unknown placeholder: %(placeholder)s")
                % {"placeholder": "{{" + unknown[0] + "}}"},
                code="placeholder",
            )
        action = {"action": name, "subject": subject, "body": body}
        if name in ("notify_agent", "notify_group"):
            kind = "agent" if name == "notify_agent" else "group"
            allowed = choices.values(kind) or {}
            allowed.pop(NONE, None)
            if value not in allowed:
                raise ValidationError(
                    _("Choose who gets the email for “%(action)s”.") % {"action": label},
                    code="value",
                )
            action["value"] = value
        return action
    raise ValidationError(_("Choose an action for each action row."), code="action")


def clean_actions(
    rows: Iterable[Mapping[str, Any]], choices: Choices, *, automation: bool = False
) -> tuple[list[dict], list[str]]:
    cleaned, errors = [], []
    for raw in rows:
        try:
            cleaned.append(clean_action(raw, choices, automation=automation))
        except ValidationError as error:
            errors.extend(error.messages)
    return cleaned, errors


def changed_fields(actions: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """Condition field -> the value the actions set ("tags+" / "tags-" for tag actions)."""
    fields: dict[str, str] = {}
    for action in actions:
        name = action.get("action", "")
        if name in SET_ACTIONS:
            fields[SET_ACTIONS[name][0]] = action.get("value", "")
        elif name == "add_tags":
            fields["tags+"] = action.get("value", "")
        elif name == "remove_tags":
            fields["tags-"] = action.get("value", "")
        elif name == "set_field":
            key, _sep, value = action.get("value", "").partition("=")
            fields[f"field:{key}"] = value
    return fields


# --- Carrying them out -------------------------------------------------------------------------


def _suggested(
    ticket: Ticket,
    actions: Sequence[Mapping[str, Any]],
    changes: ticket_services.Changes,
    via: str,
) -> None:
    """Sets the triage suggestions whose confidence reaches their action's threshold (the
    nearest solved requests are read once, only when such an action is there). A request
    without its vector yet (one just made: the worker embeds it after the commit) is not
    embedded here, in the customer's request: the worker embeds it and applies them then
    (apply_suggestions_later)."""
    from supportal.semantic import embedding
    from supportal.tickets import triage

    wanted = {
        SUGGEST_ACTIONS[a["action"]]: int(a.get("value") or 101)
        for a in actions
        if a.get("action") in SUGGEST_ACTIONS
    }
    if not wanted or embedding.backend() is None:
        return
    if not triage.has_vector(ticket):
        from supportal.rules.tasks import apply_suggestions_later

        pk = ticket.pk
        transaction.on_commit(lambda: apply_suggestions_later(pk, wanted, via), robust=True)
        return
    suggested_changes(ticket, wanted, changes)


def suggested_changes(
    ticket: Ticket, wanted: Mapping[str, int], changes: ticket_services.Changes
) -> None:
    """Into `changes`, the predicted values whose confidence reaches wanted[field] %."""
    from supportal.tickets import triage
    from supportal.tickets.models import RequestType

    for name, (value, confidence) in triage.predict(ticket).votes.items():
        if name not in wanted or value is None or confidence * 100 < wanted[name]:
            continue
        if name == "priority":
            changes.priority = value
            continue
        rows = RequestType.objects.filter(active=True) if name == "type" else Group.objects
        target = rows.filter(pk=value).first()
        if target is not None:
            setattr(changes, name, target)


def _changes(
    actions: Sequence[Mapping[str, Any]],
    actor: User | None,
    ticket: Ticket | None = None,
    via: str = "",
) -> ticket_services.Changes:
    from supportal.tickets.models import CustomField, RequestType

    changes = ticket_services.Changes()
    if ticket is not None:
        _suggested(ticket, actions, changes, via)
    add: list[str] = []
    remove: list[str] = []
    fields: dict[Any, str] = {}
    for action in actions:
        name, value = action.get("action", ""), action.get("value", "")
        if name == "set_status":
            changes.status = value
        elif name == "set_priority":
            changes.priority = int(value)
        elif name in ("set_type", "set_group", "set_assignee"):
            model = {"set_type": RequestType, "set_group": Group, "set_assignee": User}[name]
            if value == CURRENT:
                value = str(actor.pk) if actor is not None and actor.is_agent else ""
            target = None if value == NONE else model.objects.filter(pk=value or 0).first()
            if value != NONE and target is None:
                continue  # deleted since the rule was saved: nothing to set
            setattr(changes, SET_ACTIONS[name][0], target)
        elif name == "add_tags":
            add.extend(value.split())
        elif name == "remove_tags":
            remove.extend(value.split())
        elif name == "set_field":
            key, _sep, field_value = value.partition("=")
            custom = CustomField.objects.filter(key=key, active=True).first()
            if custom is not None:
                fields[custom] = field_value
    changes.add_tags = add or None
    changes.remove_tags = remove or None
    changes.fields = fields or None
    return changes


def actions_apply(
    *,
    ticket: Ticket,
    actions: Sequence[Mapping[str, Any]],
    via: str,
    answers_new_request: bool = False,
    actor: User | None = None,
) -> None:
    """Changes the request as the actions say (as `via`, the system's own change), then sends
    their emails. Runs in the caller's transaction. `actor` made the change a trigger reacts
    to ("the agent making the change")."""
    changes = _changes(actions, actor, ticket, via)
    if any(action.get("action") not in NOTIFY_ACTIONS for action in actions):
        ticket_services.ticket_update(
            ticket=ticket, actor=None, changes=changes, channel=Channel.SYSTEM, via=via
        )
        ticket.refresh_from_db()
    for action in actions:
        if action.get("action") in NOTIFY_ACTIONS:
            notify(
                ticket=ticket,
                action=action,
                actor=actor,
                auto_submitted=outbound.AUTO_REPLIED if answers_new_request else AUTO_GENERATED,
            )


def recipients(ticket: Ticket, action: Mapping[str, Any], actor: User | None = None) -> list[User]:
    name, value = action.get("action"), action.get("value", "")
    if value == CURRENT:
        return [actor] if actor is not None and actor.is_agent else []
    if name == "notify_requester":
        return [ticket.requester]
    if name == "notify_assignee":
        return [ticket.assignee] if ticket.assignee_id else []
    if name == "notify_agent":
        return list(User.objects.filter(pk=value if str(value).isdigit() else 0))
    if name == "notify_group" and str(value).isdigit():
        return list(User.objects.filter(ticket_groups=int(value)).order_by("pk"))
    return []


def suggested_articles(ticket: Ticket, reader: User, language: str) -> str:
    """Up to three published articles the reader may open that match the request's subject,
    one a line with its address; empty when none match."""
    from supportal.helpcenter import search

    results = search.search(ticket.subject, locale=language, user=reader, limit=3)
    lines = []
    with translation.override(language):
        for hit in results.hits[:3]:
            url = settings.SITE_URL + reverse(
                "helpcenter:article", args=[hit.translation.article_id]
            )
            lines.append(f"- {hit.translation.title}: {url}")
    return "\n".join(lines)


def placeholder_values(ticket: Ticket, recipient: User, text: str) -> dict[str, str]:
    requester = ticket.requester
    language = recipient.language
    with translation.override(language):
        name = "agent:ticket" if recipient.is_agent else "tickets:detail"
        values = {
            "ticket.number": str(ticket.pk),
            "ticket.subject": ticket.subject,
            "ticket.status": str(ticket.get_status_display()),
            "ticket.priority": str(ticket.get_priority_display()),
            "ticket.url": settings.SITE_URL + reverse(name, args=[ticket.pk]),
            "requester.name": str(requester),
            "requester.first_name": placeholders.first_name(requester.name) or str(requester),
            "requester.email": requester.email,
            "recipient.name": str(recipient),
        }
    if "suggested_articles" in placeholders.names(text):
        values["suggested_articles"] = suggested_articles(ticket, recipient, language)
    return values


def notify(
    *,
    ticket: Ticket,
    action: Mapping[str, Any],
    auto_submitted: str | None,
    actor: User | None = None,
) -> int:
    """Emails the action's recipients, each in their language, threaded with the request;
    returns how many."""
    sent = 0
    thread: outbound.Thread | None = None
    seen: set[int] = set()
    subject, body = action.get("subject", ""), action.get("body", "")
    for user in recipients(ticket, action, actor):
        if user.pk in seen or not user.is_active or not user.email:
            continue
        seen.add(user.pk)
        thread = thread or outbound.thread_for(ticket)
        values = placeholder_values(ticket, user, subject + "\n" + body)
        with translation.override(user.language):
            context = {
                "mail_subject": f"[#{ticket.pk}] " + placeholders.render(subject, values),
                "text": placeholders.render(body, values),
                "ticket": ticket,
                "recipient": user,
                "url": values["ticket.url"],
            }
            outbound.ticket_email_send(
                thread=thread,
                to=user.email,
                template="rules/email/trigger",
                context=context,
                language=user.language,
                # Only the requester's mail answers them; an agent's is a notice.
                auto_submitted=auto_submitted if user.pk == ticket.requester_id else AUTO_GENERATED,
            )
        sent += 1
    return sent
