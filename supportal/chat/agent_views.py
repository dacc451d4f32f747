"""The agents' chat panel (/<lang>/agent/chat/) and the admins' chat settings
(/<lang>/agent/manage/chat/).

The panel is a server-rendered page that works without JavaScript: every action is a POST that
redirects back to it with ?chat=. static/chat/agent.js makes it live over the agents' WebSocket
(consumers.AgentSocket), or by polling `events` when no socket can be opened.
"""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import get_language_info
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from supportal.accounts.access import admin_required, agent_required, agent_required_hidden
from supportal.accounts.models import User
from supportal.automation.access import get_macro_to_use
from supportal.automation.services import macro_preview, usable_macros
from supportal.chat import events, services
from supportal.chat.access import get_chat_for, visible_chats
from supportal.chat.agent_forms import ChatReplyForm, ChatSettingsForm, TransferForm
from supportal.chat.models import Chat, ChatEvent, ChatSettings, ChatState, Identity
from supportal.rules.assignment import availability_of
from supportal.rules.routing_forms import AvailabilityForm
from supportal.tickets.models import Message, Ticket

# --- The lists ---------------------------------------------------------------------------------


def _panel_url(chat_id: int | None = None) -> str:
    url = reverse("agent_chat:panel")
    return f"{url}?chat={chat_id}" if chat_id else url


def chat_lists(user: User) -> dict[str, Any]:
    """The queue (oldest first), the agent's own chats and, for admins, everyone else's: one
    query, each row with its unread visitor messages and its last event id (for "watch")."""
    unread = (
        Message.objects.filter(
            ticket_id=OuterRef("ticket_id"),
            pk__gt=OuterRef("agent_read"),
            author_id=OuterRef("ticket__requester_id"),
        )
        .order_by()
        .values("ticket_id")
        .annotate(count=Count("pk"))
        .values("count")
    )
    last = ChatEvent.objects.filter(chat_id=OuterRef("pk")).order_by("-id").values("id")[:1]
    live = visible_chats(user).exclude(state=ChatState.ENDED)
    if not user.is_admin:
        live = live.filter(Q(state=ChatState.QUEUED) | Q(agent=user))
    rows = list(
        live.select_related("ticket", "ticket__requester", "agent")
        .annotate(unread=Coalesce(Subquery(unread), 0), last_event=Coalesce(Subquery(last), 0))
        .order_by("created_at", "pk")
    )
    queue = [row for row in rows if row.state == ChatState.QUEUED]
    mine = [row for row in rows if row.state == ChatState.ACTIVE and row.agent_id == user.pk]
    others = [row for row in rows if row.state == ChatState.ACTIVE and row.agent_id != user.pk]
    unread_total = sum(row.unread for row in mine)  # type: ignore[attr-defined]
    return {
        "queue": queue,
        "mine": mine,
        "others": others,
        "waiting_count": len(queue),
        "unread_count": unread_total,
        "attention_count": len(queue) + unread_total,
    }


# --- The selected chat -------------------------------------------------------------------------


def _page_link(url: str) -> str:
    """The visitor's page as a link only when it is a web address (it is what they sent)."""
    return url if urlsplit(url).scheme in ("http", "https") else ""


def _language_name(code: str) -> str:
    try:
        return str(get_language_info(code)["name_translated"])
    except KeyError:
        return code


def _ws_url() -> str:
    """Where agent.js opens its socket; empty: the page's own origin (a load balancer routes
    /ws/ to the chat processes)."""
    return f"{settings.CHAT_URL}/ws/chat/agent/" if settings.CHAT_URL else ""


def _may_work(chat: Chat, user: User) -> bool:
    """Transfer and end: the chat's agent, an admin, or anyone while it waits in the queue."""
    return user.is_admin or chat.agent_id == user.pk or chat.state == ChatState.QUEUED


def panel_context(request: HttpRequest, chat: Chat | None, **forms: Any) -> dict[str, Any]:
    user: Any = request.user
    context: dict[str, Any] = {
        **chat_lists(user),
        "chat": chat,
        "ws_url": _ws_url(),
        "availability_form": AvailabilityForm(initial={"availability": availability_of(user)}),
    }
    if chat is None:
        return context
    conversation = list(
        Message.objects.filter(ticket_id=chat.ticket_id)
        .select_related("author")
        .prefetch_related("attachments")
        .order_by("created_at", "pk")
    )
    requester = chat.ticket.requester
    last_event = chat.events.order_by("-id").values_list("id", flat=True).first() or 0
    initial = {"body": forms["insert"]} if forms.get("insert") else None
    context.update(
        {
            "conversation": conversation,
            "last_message": max((m.pk for m in conversation), default=0),
            "last_event": last_event,
            "is_mine": chat.state == ChatState.ACTIVE and chat.agent_id == user.pk,
            "may_work": chat.is_live and _may_work(chat, user),
            "requester": requester,
            # The placeholder account of a visitor who gave no address (services.requester_for).
            "email_given": not requester.email.endswith(".invalid"),
            "verified": chat.identity in (Identity.SIGNED_IN, Identity.SIGNED),
            "page_link": _page_link(chat.page_url),
            "language_name": _language_name(chat.language),
            "previous": list(
                Ticket.objects.visible_to(user)
                .filter(requester_id=requester.pk)
                .exclude(pk=chat.ticket_id)
                .order_by("-created_at", "-pk")[:5]
            ),
            "macros": list(usable_macros(user).filter(public=True)),  # type: ignore[attr-defined]
            "reply_form": forms.get("reply_form") or ChatReplyForm(initial=initial),
            "lost_files": forms.get("lost_files", False),
            "transfer_form": forms.get("transfer_form") or TransferForm(exclude=user),
        }
    )
    return context


def _page(request: HttpRequest, chat: Chat | None, status: int = 200, **forms: Any) -> HttpResponse:
    context = panel_context(request, chat, **forms)
    return render(request, "chat/agent/panel.html", context, status=status)


def _macro_text(request: HttpRequest, chat: Chat, value: str) -> str:
    """A macro's public reply filled in for this chat (its changes are not applied in chat)."""
    macro = get_macro_to_use(request, value)
    if not macro.public:
        raise Http404
    user: Any = request.user
    return macro_preview(macro=macro, ticket=chat.ticket, actor=user).body


# --- Pages -------------------------------------------------------------------------------------


@agent_required
@require_GET
def panel(request: HttpRequest) -> HttpResponse:
    """The queue and the agent's chats; with ?chat= one chat, with ?macro= a macro's text in
    its reply box."""
    wanted = request.GET.get("chat", "")
    if not wanted:
        return _page(request, None)
    try:
        chat = get_chat_for(request, wanted)
    except Http404:
        messages.error(request, _("This chat is not available to you."))
        return _page(request, None, 404)
    insert = ""
    if request.GET.get("macro"):
        insert = _macro_text(request, chat, request.GET["macro"])
        if not insert:
            messages.info(request, _("This macro has no reply text."))
    return _page(request, chat, insert=insert)


@agent_required
@require_GET
def lists(request: HttpRequest) -> HttpResponse:
    """The lists alone, which agent.js fetches again when a chat is queued, taken or ended."""
    user: Any = request.user
    selected = request.GET.get("chat", "")
    context = {**chat_lists(user), "selected": int(selected) if selected.isdigit() else 0}
    return render(request, "chat/agent/_lists.html", context)


@agent_required_hidden
@require_GET
def chat_events(request: HttpRequest, pk: int) -> JsonResponse:
    """The polling fallback: one chat's events after ?after= (internal ones included)."""
    chat = get_chat_for(request, pk)
    after = request.GET.get("after", "")
    start = int(after) if after.isdigit() and len(after) < 19 else 0
    return JsonResponse(
        {"events": events.events_after(chat.pk, start, agent=True), "state": chat.state}
    )


@agent_required_hidden
@require_GET
def macro_text(request: HttpRequest, pk: int) -> JsonResponse:
    """A macro's reply text for the chat's reply box (agent.js; without it, the panel's ?macro=)."""
    chat = get_chat_for(request, pk)
    return JsonResponse({"text": _macro_text(request, chat, request.GET.get("macro", ""))})


# --- Actions -----------------------------------------------------------------------------------


@agent_required_hidden
@require_POST
def accept(request: HttpRequest, pk: int) -> HttpResponse:
    chat = get_chat_for(request, pk)
    user: Any = request.user
    try:
        services.chat_accept(chat=chat, agent=user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        name = str(chat.ticket.requester)
        messages.success(request, _("You are now chatting with %(name)s.") % {"name": name})
    return HttpResponseRedirect(_panel_url(chat.pk))


@agent_required_hidden
@require_POST
def reply(request: HttpRequest, pk: int) -> HttpResponse:
    chat = get_chat_for(request, pk)
    user: Any = request.user
    form = ChatReplyForm(request.POST, request.FILES)
    lost = bool(request.FILES)
    if not form.is_valid():
        return _page(request, chat, 400, reply_form=form, lost_files=lost)
    if chat.state == ChatState.ENDED:
        form.add_error(None, _("This chat has ended."))
    elif chat.state != ChatState.ACTIVE or chat.agent_id != user.pk:
        form.add_error(None, _("Accept the chat before you answer."))
    else:
        try:
            services.chat_post(
                chat=chat,
                author=user,
                body=form.cleaned_data["body"],
                attachments=form.cleaned_data["files"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return HttpResponseRedirect(_panel_url(chat.pk))
    return _page(request, chat, 400, reply_form=form, lost_files=lost)


@agent_required_hidden
@require_POST
def transfer(request: HttpRequest, pk: int) -> HttpResponse:
    chat = get_chat_for(request, pk)
    user: Any = request.user
    form = TransferForm(request.POST, exclude=user)
    if form.is_valid() and not _may_work(chat, user):
        form.add_error(None, _("Only the agent in this chat can transfer it."))
    if not form.is_valid():
        return _page(request, chat, 400, transfer_form=form)
    data = form.cleaned_data
    try:
        services.chat_transfer(
            chat=chat, actor=user, to_agent=data["agent"], to_group=data["group"], note=data["note"]
        )
    except ValidationError as error:
        form.add_error(None, error)
        return _page(request, chat, 400, transfer_form=form)
    target = data["agent"] or data["group"]
    messages.success(
        request, _("The chat has been transferred to %(target)s.") % {"target": target}
    )
    return HttpResponseRedirect(_panel_url())


@agent_required_hidden
@require_POST
def end(request: HttpRequest, pk: int) -> HttpResponse:
    chat = get_chat_for(request, pk)
    user: Any = request.user
    if not _may_work(chat, user):
        messages.error(request, _("Only the agent in this chat can end it."))
    elif chat.state == ChatState.ENDED:
        messages.info(request, _("This chat has ended."))
    else:
        services.chat_end(chat=chat, actor=user)
        messages.success(
            request,
            _("The chat has ended and request #%(number)d is solved. You can follow up by email.")
            % {"number": chat.ticket_id},
        )
    return HttpResponseRedirect(_panel_url(chat.pk))


# --- Settings (admins) -------------------------------------------------------------------------


def _settings_row() -> ChatSettings:
    """The row itself, never services.chat_settings()'s shared copy (the form changes it)."""
    return ChatSettings.objects.filter(pk=1).first() or ChatSettings(pk=1)


def _settings_page(
    request: HttpRequest, form: ChatSettingsForm, status: int = 200, new_secret: str = ""
) -> HttpResponse:
    row = _settings_row()
    example = "customer@example.com"
    context = {
        "form": form,
        "secret_set": bool(row.identity_secret),
        "new_secret": new_secret,
        "example_email": example,
        "example_signature": services.sign_identity(example, new_secret) if new_secret else "",
        "embed_url": settings.SITE_URL + reverse("chat_embed"),
        "crumbs": [(_("Inbox"), reverse("agent:inbox")), (_("Live chat"), None)],
    }
    response = render(request, "chat/agent/settings.html", context, status=status)
    response["Cache-Control"] = "no-store"
    return response


@admin_required
@require_http_methods(["GET", "POST"])
def chat_settings(request: HttpRequest) -> HttpResponse:
    data = request.POST if request.method == "POST" else None
    form = ChatSettingsForm(data, instance=_settings_row())
    if form.is_bound and form.is_valid():
        services.chat_settings_save(values=form.values())
        # A higher limit, automatic assignment turned on: waiting visitors may be served now.
        services.assign_waiting()
        messages.success(request, _("The chat settings have been saved."))
        return HttpResponseRedirect(reverse("agent_chat:settings"))
    return _settings_page(request, form, 400 if form.is_bound else 200)


@admin_required
@require_POST
def identity_secret(request: HttpRequest) -> HttpResponse:
    """A new shared secret for signed identities, shown in this response only; or none."""
    if request.POST.get("action") == "remove":
        services.chat_settings_save(values={}, secret="")
        messages.success(request, _("Signed identities are off: the secret has been removed."))
        return HttpResponseRedirect(reverse("agent_chat:settings"))
    secret = secrets.token_hex(32)
    services.chat_settings_save(values={}, secret=secret)
    return _settings_page(request, ChatSettingsForm(instance=_settings_row()), new_secret=secret)
