"""One request as an agent works it: conversation, reply, fields, history, merge and links."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.cache import caches
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from supportal.accounts.access import agent_required_hidden
from supportal.accounts.models import User
from supportal.automation.services import usable_macros
from supportal.lib.phone import has_mailbox
from supportal.mail.models import BouncingAddress
from supportal.phone.forms import CallForm
from supportal.phone.selectors import calls_for
from supportal.tickets import selectors, services, suggestions, triage, via
from supportal.tickets.access import get_ticket_for
from supportal.tickets.agent_forms import (
    CcForm,
    LinkForm,
    MergeForm,
    PanelOptions,
    ReplyForm,
    TicketFieldsForm,
)
from supportal.tickets.models import (
    Message,
    Priority,
    Status,
    Ticket,
    TicketEvent,
    TicketLink,
)

HISTORY_SIZE = 50
PRESENCE_SECONDS = 30


# --- Where the agent came from -----------------------------------------------------------------


def _view_key(request: HttpRequest) -> str:
    """The inbox view the request was opened from (?view=), for next/previous."""
    key = request.GET.get("view", "")
    return key if selectors.is_view_key(key) else "open"


def _ticket_url(number: int, view: str) -> str:
    return f"{reverse('agent:ticket', args=[number])}?view={view}"


def _back(request: HttpRequest, ticket: Ticket) -> HttpResponseRedirect:
    return HttpResponseRedirect(_ticket_url(ticket.pk, _view_key(request)))


# --- Presence (who else is viewing) ------------------------------------------------------------


def _presence_key(ticket: Ticket) -> str:
    return f"tickets:presence:{ticket.pk}"


def presence_touch(ticket: Ticket, user: User) -> list[str]:
    """Records `user` as viewing `ticket` and returns the names of the others who polled in the
    last PRESENCE_SECONDS. Kept in the shared cache, so every process sees every viewer."""
    cache = caches[settings.SHARED_CACHE]
    now = time.time()
    viewers: dict[int, tuple[str, float]] = cache.get(_presence_key(ticket)) or {}
    viewers = {pk: (name, at) for pk, (name, at) in viewers.items() if now - at < PRESENCE_SECONDS}
    viewers[user.pk] = (str(user), now)
    cache.set(_presence_key(ticket), viewers, PRESENCE_SECONDS)
    return sorted(name for pk, (name, _at) in viewers.items() if pk != user.pk)


# --- Activity history --------------------------------------------------------------------------


@dataclass
class HistoryEntry:
    event: TicketEvent
    what: str = ""  # the changed field as people read it
    old: str = ""
    new: str = ""
    number: int | None = None  # the other request of a merge or link
    rule: str = ""  # the automatic rule that made the change, in words (TicketEvent.via)


class _Names:
    """Turns stored values (ids, codes, keys) into names, with lists the page already read."""

    def __init__(self, options: PanelOptions, events: list[TicketEvent]) -> None:
        self.groups = {str(g.pk): g.name for g in options.groups}
        self.types = {str(t.pk): t.name for t in options.types}
        self.users = {str(a.pk): str(a) for a in options.agents}
        self.fields = {f"field:{f.key}": f for f in options.fields}
        wanted = {
            value
            for event in events
            if event.field == "assignee"
            for value in (event.old_value, event.new_value)
            if value and value not in self.users
        }
        if wanted:  # someone who is no longer an agent: one more query, only then
            for user in User.objects.filter(pk__in=[int(v) for v in wanted if v.isdigit()]):
                self.users[str(user.pk)] = str(user)

    def label(self, field: str) -> str:
        labels = {
            "status": _("Status"),
            "priority": _("Priority"),
            "type": _("Type"),
            "group": _("Group"),
            "assignee": _("Assignee"),
            "tags": _("Tags"),
            "subject": _("Subject"),
        }
        if field in self.fields:
            return self.fields[field].label
        return labels.get(field, field)

    def value(self, field: str, value: str) -> str:
        if not value:
            return ""
        gone = _("(deleted)")
        if field == "status":
            return str(Status(value).label) if value in Status.values else value
        if field == "priority":
            number = int(value) if value.isdigit() else 0
            return str(Priority(number).label) if number in Priority.values else value
        if field in ("group", "type", "assignee"):
            names = {"group": self.groups, "type": self.types, "assignee": self.users}[field]
            return names.get(value, gone)
        if field in self.fields:
            return self.fields[field].display(value)
        return value


def history(ticket: Ticket, options: PanelOptions, everything: bool) -> tuple[list, bool]:
    """The ticket's events, newest first, readable; the latest HISTORY_SIZE unless everything."""
    events = TicketEvent.objects.filter(ticket=ticket).select_related("actor")
    events = events.order_by("-created_at", "-pk")
    rows = list(events if everything else events[: HISTORY_SIZE + 1])
    more = not everything and len(rows) > HISTORY_SIZE
    rows = rows[:HISTORY_SIZE] if more else rows
    names = _Names(options, rows)
    rules = via.labels({event.via for event in rows if event.via})
    entries = []
    for event in rows:
        entry = HistoryEntry(event, rule=rules.get(event.via, ""))
        if event.kind == TicketEvent.Kind.CHANGED:
            entry.what = names.label(event.field)
            entry.old = names.value(event.field, event.old_value)
            entry.new = names.value(event.field, event.new_value)
        elif event.field in ("merged_into", "merged_from", "link"):
            value = event.new_value or event.old_value
            entry.number = int(value) if value.isdigit() else None
        else:
            entry.old, entry.new = event.old_value, event.new_value
        entries.append(entry)
    return entries, more


# --- The page ----------------------------------------------------------------------------------


def _linked(request: HttpRequest, ticket: Ticket) -> list[Ticket]:
    """Linked requests the agent may see, by number.

    The link rows are read first: filtering links by `visible_to` made SQLite list every
    visible request (0.4 s at a million requests), and the numbers as subqueries inside an OR
    made PostgreSQL scan the ticket table (0.15 s)."""
    pairs = TicketLink.objects.filter(Q(first=ticket) | Q(second=ticket)).values_list(
        "first_id", "second_id"
    )
    others = [second if first == ticket.pk else first for first, second in pairs]
    if not others:
        return []
    return list(Ticket.objects.visible_to(request.user).filter(pk__in=others).order_by("pk"))


def conversation_context(ticket: Ticket) -> dict[str, Any]:
    """The conversation: messages, and calls (supportal/phone) in the order they happened, as
    ("message", message) and ("call", call) pairs; the page and the call form's fragment."""
    conversation = list(
        Message.objects.filter(ticket=ticket)
        .select_related("author", "email")
        .prefetch_related("attachments")
        .order_by("created_at", "pk")
    )
    calls = calls_for(ticket)
    timeline = sorted(
        [
            *((message.created_at, 0, message.pk, "message", message) for message in conversation),
            *((call.started_at, 1, call.pk, "call", call) for call in calls),
        ],
        key=lambda entry: entry[:3],
    )
    return {
        "conversation": conversation,
        "timeline": [(kind, item) for _at, _order, _pk, kind, item in timeline],
        "latest_message": max((message.pk for message in conversation), default=0),
    }


def page_context(request: HttpRequest, ticket: Ticket, **forms: Any) -> dict[str, Any]:
    """Everything the request page shows; `forms` replaces a blank form with a bound one."""
    thread = conversation_context(ticket)
    latest = thread["latest_message"]
    options = PanelOptions.load()
    values = {row.field_id: row.value for row in ticket.field_values.all()}
    tags = list(ticket.tags.order_by("name").values_list("name", flat=True))
    entries, more = history(ticket, options, request.GET.get("history") == "all")
    view = _view_key(request)
    fields_form = forms.get("fields_form") or TicketFieldsForm(
        ticket=ticket, options=options, values=values, tags=tags
    )
    return {
        "ticket": ticket,
        "view": view,
        **thread,
        "conflict_ids": {message.pk for message in forms.get("conflict", [])},
        "conflict": forms.get("conflict", []),
        "lost_files": forms.get("lost_files", False),
        "reply_form": forms.get("reply_form")
        or ReplyForm(ticket=ticket, initial={"seen": latest, "kind": "public"}),
        "fields_form": fields_form,
        "custom_values": [
            (field, field.display(values[field.pk]))
            for field in options.fields
            if field.pk in values
        ],
        "tags": tags,
        "macros": list(usable_macros(request.user)),
        "merge_form": forms.get("merge_form") or MergeForm(request=request, ticket=ticket),
        "link_form": forms.get("link_form") or LinkForm(request=request, ticket=ticket),
        "cc_form": forms.get("cc_form") or CcForm(),
        "call_form": forms.get("call_form") or CallForm(initial={"number": ticket.requester.phone}),
        "cc": list(ticket.cc_rows.select_related("user").order_by("created_at", "pk")),
        "linked": _linked(request, ticket),
        "other_requests": list(
            Ticket.objects.visible_to(request.user)
            .filter(requester_id=ticket.requester_id)
            .exclude(pk=ticket.pk)
            .order_by("-updated_at", "-id")[:5]
        ),
        # Agents should know before they reply that the customer may never read it.
        "requester_bounce": BouncingAddress.objects.filter(email=ticket.requester.email).first(),
        # A caller known only by their number has a placeholder address: no mailto: link.
        "requester_has_mailbox": has_mailbox(ticket.requester.email),
        "history": entries,
        "history_more": more,
        "suggestions_enabled": suggestions.enabled(),
        **triage.panel_context(ticket, types=options.types, groups=options.groups),
        "crumbs": [(_("Inbox"), selectors.view_url(view)), (f"#{ticket.pk}", None)],
    }


def _page(request: HttpRequest, ticket: Ticket, status: int = 200, **forms: Any) -> HttpResponse:
    context = page_context(request, ticket, **forms)
    return render(request, "tickets/agent/ticket.html", context, status=status)


@agent_required_hidden
@require_GET
def ticket_page(request: HttpRequest, number: int) -> HttpResponse:
    return _page(request, get_ticket_for(request, number))


@agent_required_hidden
@require_POST
def ticket_reply(request: HttpRequest, number: int) -> HttpResponse:
    ticket = get_ticket_for(request, number)
    form = ReplyForm(request.POST, request.FILES, ticket=ticket)
    if not form.is_valid():
        return _page(request, ticket, 400, reply_form=form, lost_files=bool(request.FILES))
    newer = form.newer_messages(request.user)
    if newer:
        # Someone wrote meanwhile: show it, keep the text, and let the agent send anyway.
        data = request.POST.copy()
        data["seen"], data["confirm"] = str(newer[-1].pk), "1"
        form = ReplyForm(data, ticket=ticket)
        return _page(
            request, ticket, 409, reply_form=form, conflict=newer, lost_files=bool(request.FILES)
        )
    try:
        services.ticket_reply(
            ticket=ticket,
            author=request.user,
            body=form.cleaned_data["body"],
            public=form.public,
            attachments=form.cleaned_data["attachments"],
            status=form.cleaned_data["status"] or None,
        )
    except ValidationError as error:
        form.add_error(None, error)
        return _page(request, ticket, 400, reply_form=form, lost_files=bool(request.FILES))
    messages.success(
        request, _("Your reply has been sent.") if form.public else _("Your note has been added.")
    )
    return _back(request, ticket)


@agent_required_hidden
@require_POST
def ticket_update(request: HttpRequest, number: int) -> HttpResponse:
    ticket = get_ticket_for(request, number)
    values = {row.field_id: row.value for row in ticket.field_values.all()}
    tags = list(ticket.tags.values_list("name", flat=True))
    form = TicketFieldsForm(
        request.POST, ticket=ticket, options=PanelOptions.load(), values=values, tags=tags
    )
    if not form.is_valid():
        return _page(request, ticket, 400, fields_form=form)
    events = services.ticket_update(ticket=ticket, actor=request.user, changes=form.changes())
    messages.success(request, _("The request has been updated.") if events else _("No changes."))
    return _after_change(request, ticket)


def _after_change(request: HttpRequest, ticket: Ticket) -> HttpResponseRedirect:
    """Back to the request, or to the inbox when the change moved it out of the agent's sight."""
    if not Ticket.objects.visible_to(request.user).filter(pk=ticket.pk).exists():
        messages.info(
            request, _("Request #%(number)d is no longer in your groups.") % {"number": ticket.pk}
        )
        return HttpResponseRedirect(selectors.view_url(_view_key(request)))
    return _back(request, ticket)


@agent_required_hidden
@require_POST
def ticket_assign_me(request: HttpRequest, number: int) -> HttpResponse:
    ticket = get_ticket_for(request, number)
    services.ticket_update(
        ticket=ticket, actor=request.user, changes=services.Changes(assignee=request.user)
    )
    messages.success(request, _("The request is assigned to you."))
    return _back(request, ticket)


@agent_required_hidden
@require_POST
def ticket_merge(request: HttpRequest, number: int) -> HttpResponse:
    ticket = get_ticket_for(request, number)
    form = MergeForm(request.POST, request=request, ticket=ticket)
    if not form.is_valid():
        return _page(request, ticket, 400, merge_form=form)
    target = form.cleaned_data["target"]
    if not form.cleaned_data["confirm"]:
        context = {"ticket": ticket, "target": target, "view": _view_key(request)}
        return render(request, "tickets/agent/ticket_merge.html", context)
    try:
        services.ticket_merge(source=ticket, target=target, actor=request.user)
    except ValidationError as error:
        form.add_error(None, error)
        return _page(request, ticket, 400, merge_form=form)
    messages.success(
        request,
        _("Request #%(source)d has been merged into this request.") % {"source": ticket.pk},
    )
    return HttpResponseRedirect(_ticket_url(target.pk, _view_key(request)))


@agent_required_hidden
@require_POST
def ticket_link(request: HttpRequest, number: int) -> HttpResponse:
    ticket = get_ticket_for(request, number)
    form = LinkForm(request.POST, request=request, ticket=ticket)
    if not form.is_valid():
        return _page(request, ticket, 400, link_form=form)
    other = form.cleaned_data["other"]
    services.ticket_link(ticket=ticket, other=other, actor=request.user)
    messages.success(request, _("Linked to request #%(number)d.") % {"number": other.pk})
    return _back(request, ticket)


@agent_required_hidden
@require_POST
def ticket_unlink(request: HttpRequest, number: int, other: int) -> HttpResponse:
    ticket = get_ticket_for(request, number)
    linked = get_ticket_for(request, other)
    services.ticket_unlink(ticket=ticket, other=linked, actor=request.user)
    messages.success(request, _("Unlinked from request #%(number)d.") % {"number": linked.pk})
    return _back(request, ticket)


@agent_required_hidden
@require_POST
def ticket_cc_add(request: HttpRequest, number: int) -> HttpResponse:
    ticket = get_ticket_for(request, number)
    form = CcForm(request.POST)
    if form.is_valid():
        try:
            user = services.ticket_add_cc(
                ticket=ticket, actor=request.user, email=form.cleaned_data["email"]
            )
        except ValidationError as error:
            form.add_error("email", error)
        else:
            messages.success(request, _("%(email)s is now in CC.") % {"email": user.email})
            return _back(request, ticket)
    return _page(request, ticket, 400, cc_form=form)


@agent_required_hidden
@require_GET
def ticket_presence(request: HttpRequest, number: int) -> HttpResponse:
    """A fragment polled by the page: who else is viewing, and whether someone wrote since."""
    ticket = get_ticket_for(request, number)
    viewers = presence_touch(ticket, request.user)
    seen = request.GET.get("seen", "")
    news = seen.isdigit() and (
        Message.objects.filter(ticket=ticket, pk__gt=int(seen))
        .exclude(author=request.user)
        .exists()
    )
    context = {"ticket": ticket, "viewers": viewers, "news": news, "view": _view_key(request)}
    return render(request, "tickets/agent/_ticket_presence.html", context)


@agent_required_hidden
@require_GET
def ticket_neighbour(request: HttpRequest, number: int, direction: str) -> HttpResponse:
    if direction not in ("next", "previous"):
        raise Http404
    ticket = get_ticket_for(request, number)
    view = _view_key(request)
    try:
        found = selectors.neighbour(request.user, view, ticket, direction)
    except NotImplementedError:
        found = None
    if found is None:
        messages.info(
            request,
            _("There is no next request in this view.")
            if direction == "next"
            else _("There is no previous request in this view."),
        )
        return HttpResponseRedirect(selectors.view_url(view))
    return HttpResponseRedirect(_ticket_url(found, view))
