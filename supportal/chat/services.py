"""Chat flows: start, queue and assign, talk, transfer, end; and the offline message.

Each write goes through the tickets services (so a chat is a request like any other: events,
SLA first reply, rules, CSAT) and publishes a ChatEvent for the people watching (events.py).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from supportal.accounts.models import User
from supportal.chat import events
from supportal.chat.models import Chat, ChatEvent, ChatSettings, ChatState, Identity
from supportal.core.copies import SharedCopy
from supportal.core.crypto import decrypt, encrypt, hash_token
from supportal.lib import businesstime
from supportal.mail import outbound
from supportal.rules.models import Availability
from supportal.tickets import search
from supportal.tickets.models import Channel, Group, Message, RequestType, Status, Ticket
from supportal.tickets.services import Changes, ticket_create, ticket_reply, ticket_update
from supportal.tickets.services.tickets import ticket_mark_solved
from supportal.tickets.services.visitors import ticket_create_anonymous, user_for_email

MAX_MESSAGE = 4000
OFFLINE_TAG = "chat-offline"
DEFAULT_WAIT = timedelta(minutes=2)
# TicketEvent.via of a request solved as its chat ended on its own ("chat-idle:30"); the
# number is the minutes, which the request history shows (apps.py registers the label).
IDLE_VIA = "chat-idle"
IDLE_BATCH = 500  # chats ended per run of the worker at most


# --- Settings ----------------------------------------------------------------------------------


def _load_settings() -> ChatSettings:
    found = ChatSettings.objects.select_related("schedule", "group").filter(pk=1).first()
    return found or ChatSettings(pk=1)


settings_copy: SharedCopy[ChatSettings] = SharedCopy(
    "chat:settings", _load_settings, empty=ChatSettings(pk=1)
)


def chat_settings() -> ChatSettings:
    return settings_copy.get()


@transaction.atomic
def chat_settings_save(*, values: dict[str, object], secret: str | None = None) -> ChatSettings:
    """`secret`: a new shared secret for signed identities ("" removes it, None keeps it)."""
    row, _created = ChatSettings.objects.select_for_update().get_or_create(pk=1)
    for name, value in values.items():
        setattr(row, name, value)
    if secret is not None:
        row.identity_secret = encrypt(secret) if secret else ""
    row.save()
    settings_copy.changed()
    return row


def identity_secret() -> str:
    token = chat_settings().identity_secret
    return decrypt(token) if token else ""


def sign_identity(email: str, secret: str) -> str:
    """What the company's server computes: hex HMAC-SHA256 of the lower-cased email."""
    return hmac.new(secret.encode(), email.strip().lower().encode(), hashlib.sha256).hexdigest()


def verified_email(email: str, signature: str) -> str | None:
    """The email when `signature` is its HMAC under the configured secret, else None (never
    trust an unsigned claim)."""
    secret = identity_secret()
    if not secret or not email or not signature or len(email) > 254:
        return None
    if hmac.compare_digest(sign_identity(email, secret), signature.strip().lower()):
        return email.strip().lower()
    return None


# --- Availability ------------------------------------------------------------------------------


def _team(config: ChatSettings, group_id: int | None = None) -> Q:
    """The agents who take chats: the chat team's group (or the group a chat was transferred
    to), else every agent."""
    team = Q(role__in=("agent", "admin"), is_active=True)
    group_id = group_id or config.group_id
    if group_id:
        team &= Q(ticket_groups=group_id)
    return team


def status() -> str:
    """ "open", "off" (chat switched off), "closed" (outside hours) or "away" (nobody
    available)."""
    config = chat_settings()
    if not config.enabled:
        return "off"
    if config.schedule is not None and not businesstime.is_open(
        timezone.now(), config.schedule.as_business()
    ):
        return "closed"
    available = User.objects.filter(
        _team(config), status__availability=Availability.AVAILABLE
    ).exists()
    return "open" if available else "away"


# --- Starting and the queue --------------------------------------------------------------------


def visitor_key(token: str) -> str:
    return hash_token(token)


def chat_for_token(token: str) -> Chat | None:
    if not token or len(token) > 100:
        return None
    return (
        Chat.objects.select_related("ticket", "ticket__requester", "agent")
        .filter(visitor_key=visitor_key(token))
        .first()
    )


def _subject(body: str, name: str) -> str:
    line = " ".join(body.split())
    if len(line) > 80:
        line = line[:77].rstrip() + "..."
    return line or _("Chat with %(name)s") % {"name": name}


@transaction.atomic
def chat_start(
    *,
    token: str,
    requester: User,
    identity: str,
    body: str,
    language: str,
    page_url: str = "",
    topic: RequestType | None = None,
    deflection_key: str | None = None,
) -> Chat:
    """A new chat: its request (channel chat) with the first message, queued, then given to an
    available agent when the team assigns automatically. `deflection_key`: the pre-chat form's
    key, with which the articles opened from its suggestions were recorded (they did not
    answer the visitor: the chat started anyway)."""
    body = body.strip()
    if not body:
        raise ValidationError(_("Write a message first."))
    if len(body) > MAX_MESSAGE:
        raise ValidationError(
            _("A message can be at most %(max)d characters.") % {"max": MAX_MESSAGE}
        )
    config = chat_settings()
    ticket = ticket_create(
        requester=requester,
        subject=_subject(body, requester.name or requester.email),
        description=body,
        channel=Channel.CHAT,
        type=topic,
        group=config.group,
        notify=False,
        deflection_key=deflection_key,
    )
    chat = Chat.objects.create(
        ticket=ticket,
        visitor_key=visitor_key(token),
        identity=identity,
        group=config.group,
        page_url=page_url[:500],
        language=language,
        created_at=ticket.created_at,
    )
    first = ticket.messages.select_related("author").get()
    _publish_message(chat, first)
    events.publish(chat.pk, "queued", summary(chat))
    if config.auto_assign:
        agent = _free_agent(config, chat.group_id)
        if agent is not None:
            _assign(chat, agent, actor=None)
    return chat


def summary(chat: Chat) -> dict[str, object]:
    """What an agent's panel lists about a chat."""
    requester = chat.ticket.requester
    return {
        "number": chat.ticket_id,
        "subject": chat.ticket.subject,
        "name": requester.name or requester.email,
        "state": chat.state,
        "agent": chat.agent_id,
        "agent_name": chat.agent.name if chat.agent_id and chat.agent else "",
        "group": chat.group_id,
        "language": chat.language,
        "page": chat.page_url,
    }


def _free_agent(config: ChatSettings, group_id: int | None = None) -> User | None:
    """The available agent of the team with the fewest live chats, under the limit."""
    agents = (
        User.objects.filter(_team(config, group_id), status__availability=Availability.AVAILABLE)
        .annotate(live=Count("chats", filter=Q(chats__state=ChatState.ACTIVE), distinct=True))
        .filter(live__lt=config.max_chats)
        .order_by("live", "status__last_assigned_at", "pk")
    )
    return agents.first()


def _assign(chat: Chat, agent: User, *, actor: User | None) -> None:
    now = timezone.now()
    chat.state, chat.agent, chat.accepted_at = ChatState.ACTIVE, agent, chat.accepted_at or now
    chat.save(update_fields=["state", "agent", "accepted_at"])
    if chat.ticket.assignee_id != agent.pk:
        ticket_update(
            ticket=chat.ticket,
            actor=actor,
            changes=Changes(assignee=agent),
            channel=Channel.CHAT,
            via="" if actor else "chat:assignment",
        )
    from supportal.rules.models import AgentStatus

    AgentStatus.objects.filter(pk=agent.pk).update(last_assigned_at=now)
    events.publish(chat.pk, "accepted", {**summary(chat), "agent_name": agent.name})


def _locked(chat: Chat) -> Chat:
    return (
        Chat.objects.select_for_update(of=("self",))
        .select_related("ticket", "ticket__requester", "agent")
        .get(pk=chat.pk)
    )


@transaction.atomic
def chat_accept(*, chat: Chat, agent: User) -> Chat:
    chat = _locked(chat)
    if chat.state == ChatState.ENDED:
        raise ValidationError(_("This chat has ended."))
    if chat.state == ChatState.ACTIVE and chat.agent_id != agent.pk:
        raise ValidationError(_("Another agent has taken this chat."))
    if chat.state == ChatState.QUEUED:
        _assign(chat, agent, actor=agent)
    return chat


def assign_waiting() -> int:
    """Gives queued chats, oldest first, to available agents under their limit (after a chat
    ends, an agent becomes available or the settings change). Returns how many."""
    config = chat_settings()
    if not config.auto_assign:
        return 0
    given = 0
    with transaction.atomic():
        waiting = (
            Chat.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("ticket", "ticket__requester", "agent")
            .filter(state=ChatState.QUEUED)
            .order_by("created_at", "pk")[:20]
        )
        for chat in waiting:
            agent = _free_agent(config, chat.group_id)
            if agent is None:
                continue  # this chat's group is full; another group's may not be
            _assign(chat, agent, actor=None)
            given += 1
    return given


@dataclass(frozen=True)
class QueueInfo:
    position: int  # 1 = next
    wait: timedelta

    @property
    def minutes(self) -> int:
        return max(1, round(self.wait.total_seconds() / 60))


def queue_info(chat: Chat) -> QueueInfo | None:
    if chat.state != ChatState.QUEUED:
        return None
    ahead = Chat.objects.filter(state=ChatState.QUEUED).filter(
        Q(created_at__lt=chat.created_at) | Q(created_at=chat.created_at, pk__lt=chat.pk)
    )
    position = ahead.count() + 1
    recent = list(
        Chat.objects.filter(accepted_at__isnull=False)
        .order_by("-accepted_at")
        .values_list("created_at", "accepted_at")[:20]
    )
    if recent:
        waits = sorted(accepted - created for created, accepted in recent)
        typical = waits[len(waits) // 2]
    else:
        typical = DEFAULT_WAIT
    return QueueInfo(position=position, wait=max(typical * position, timedelta(minutes=1)))


# --- Talking -----------------------------------------------------------------------------------


def _publish_message(
    chat: Chat, message: Message, client_id: str = "", *, has_files: bool = True
) -> None:
    author = message.author
    is_agent = bool(author and author.is_agent)
    events.publish(
        chat.pk,
        "message",
        {
            "message": message.pk,
            "author": "agent" if is_agent else "visitor",
            "name": (author.name if author else "") if is_agent else "",
            "body": message.body,
            "attachments": [
                {
                    "id": item.pk,
                    "name": item.filename,
                    "size": item.size,
                    "url": reverse("chat:attachment", args=[item.pk]),
                    "agent_url": reverse(
                        "tickets:attachment", args=[chat.ticket_id, item.pk, item.filename]
                    ),
                }
                for item in (message.attachments.all() if has_files else ())
            ],
            "client": client_id[:40],
        },
        client=client_id[:40],
    )


def chat_post(
    *,
    chat: Chat,
    author: User,
    body: str,
    attachments: Sequence[UploadedFile] = (),
    client_id: str = "",
) -> Message:
    """A message from the visitor (as the requester) or the chat's agent. A message sent again
    with the same `client_id` (after a dropped connection, the sender cannot know whether the
    first try arrived) is stored once: the first one is returned and nothing is published."""
    try:
        return _chat_post(
            chat=chat, author=author, body=body, attachments=attachments, client_id=client_id
        )
    except IntegrityError:
        first = (
            ChatEvent.objects.filter(chat_id=chat.pk, client=client_id[:40])
            .values_list("data", flat=True)
            .first()
            if client_id
            else None
        )
        if first is None:
            raise
        return Message.objects.get(pk=first["message"])


@transaction.atomic
def _chat_post(
    *,
    chat: Chat,
    author: User,
    body: str,
    attachments: Sequence[UploadedFile],
    client_id: str,
) -> Message:
    body = body.strip()
    if len(body) > MAX_MESSAGE:
        raise ValidationError(
            _("A message can be at most %(max)d characters.") % {"max": MAX_MESSAGE}
        )
    if not body and attachments:
        body = _("(file)")
    # Locked bare (no joins): this runs for every line, and ticket_reply locks the ticket.
    state = Chat.objects.select_for_update().values_list("state", flat=True).get(pk=chat.pk)
    if state == ChatState.ENDED:
        raise ValidationError(_("This chat has ended."))
    message = ticket_reply(
        ticket=Ticket(pk=chat.ticket_id),
        author=author,
        body=body,
        attachments=attachments,
        channel=Channel.CHAT,
        notify=False,
        index=False,  # indexed when the chat ends (chat_end)
    )
    # A line without files has none to read back (one query fewer on every chat line).
    _publish_message(chat, message, client_id, has_files=bool(attachments))
    return message


@transaction.atomic
def chat_read(*, chat: Chat, agent: bool, up_to: int) -> None:
    field = "agent_read" if agent else "visitor_read"
    updated = Chat.objects.filter(pk=chat.pk, **{f"{field}__lt": up_to}).update(**{field: up_to})
    if updated:
        events.publish(chat.pk, "read", {"side": "agent" if agent else "visitor", "up_to": up_to})


def chat_typing(*, chat: Chat, agent: bool, typing: bool) -> None:
    """From the polling fallback: typing marks go through the database (the WebSocket path
    sends them straight to the layer and keeps no row)."""
    with transaction.atomic():
        events.publish(chat.pk, "typing", {"side": "agent" if agent else "visitor", "on": typing})


@transaction.atomic
def chat_transfer(
    *,
    chat: Chat,
    actor: User,
    to_agent: User | None = None,
    to_group: Group | None = None,
    note: str = "",
) -> Chat:
    """To another agent (who has it at once) or a group (back in the queue for its agents),
    with an internal note on the request."""
    chat = _locked(chat)
    if chat.state == ChatState.ENDED:
        raise ValidationError(_("This chat has ended."))
    if to_agent is None and to_group is None:
        raise ValidationError(_("Choose an agent or a group."))
    if to_agent is not None and not to_agent.is_agent:
        raise ValidationError(_("Choose an agent or a group."))
    target = to_agent.name if to_agent else to_group.name  # type: ignore[union-attr]
    text = _("Chat transferred to %(target)s.") % {"target": target}
    if note.strip():
        text += "\n\n" + note.strip()
    ticket_reply(ticket=chat.ticket, author=actor, body=text, public=False, channel=Channel.CHAT)
    changes = Changes()
    if to_group is not None:
        changes.group = to_group
        chat.group = to_group
    if to_agent is not None:
        chat.state, chat.agent = ChatState.ACTIVE, to_agent
        changes.assignee = to_agent
    else:
        chat.state, chat.agent = ChatState.QUEUED, None
        changes.assignee = None
    chat.save(update_fields=["state", "agent", "group"])
    ticket_update(ticket=chat.ticket, actor=actor, changes=changes, channel=Channel.CHAT)
    events.publish(chat.pk, "transferred", {**summary(chat), "note": note.strip()[:500]})
    if to_agent is None:
        transaction.on_commit(assign_waiting)  # an available agent of the new group takes it
    return chat


@transaction.atomic
def chat_end(*, chat: Chat, actor: User | None, idle: int = 0) -> Chat:
    """Ends the chat: by either side (`actor`), or on its own after `idle` minutes without a
    message (no actor). Its request is solved, and the visitor may rate it."""
    chat = _locked(chat)
    if chat.state == ChatState.ENDED:
        return chat
    chat.state, chat.ended_at, chat.ended_idle = ChatState.ENDED, timezone.now(), idle
    chat.save(update_fields=["state", "ended_at", "ended_idle"])
    ticket = Ticket.objects.get(pk=chat.ticket_id)
    search.index_ticket(ticket)  # its lines were not indexed one by one (chat_post)
    if actor is not None:
        by = "agent" if actor.is_agent else "visitor"
        ticket_mark_solved(ticket=ticket, actor=chat.agent or actor)
    else:
        by = "idle"
        if ticket.status not in (Status.SOLVED, Status.CLOSED):
            ticket_update(
                ticket=ticket,
                actor=None,
                changes=Changes(status=Status.SOLVED),
                channel=Channel.CHAT,
                via=f"{IDLE_VIA}:{idle}",
            )
    events.publish(chat.pk, "ended", {**summary(chat), "by": by})
    transaction.on_commit(assign_waiting)
    return chat


def chats_end_idle() -> int:
    """Ends the active chats in which nobody has written for the configured minutes (the
    worker, every minute); how many ended."""
    minutes = chat_settings().idle_minutes
    if not minutes:
        return 0
    cutoff = timezone.now() - timedelta(minutes=minutes)
    idle = (
        Chat.objects.filter(state=ChatState.ACTIVE, accepted_at__lt=cutoff)
        .filter(Q(kept_at__isnull=True) | Q(kept_at__lt=cutoff))
        .annotate(last=Max("events__created_at", filter=Q(events__kind="message")))
        .filter(Q(last__lt=cutoff) | Q(last__isnull=True))
        .values_list("pk", flat=True)
    )
    ended = 0
    for pk in list(idle[:IDLE_BATCH]):
        with transaction.atomic():
            chat = _locked(Chat(pk=pk))
            # A line may have come in since the query above.
            if (
                chat.state != ChatState.ACTIVE
                or (chat.kept_at is not None and chat.kept_at >= cutoff)
                or chat.events.filter(kind="message", created_at__gte=cutoff).exists()
            ):
                continue
            chat_end(chat=chat, actor=None, idle=minutes)
            ended += 1
    return ended


def chat_keep(*, chat: Chat) -> None:
    """The visitor, warned that the chat is about to end for lack of messages, keeps it open:
    the idle clock starts again (as many times as they like)."""
    Chat.objects.filter(pk=chat.pk, state=ChatState.ACTIVE).update(kept_at=timezone.now())


def chat_idle_seconds_left(chat: Chat, minutes: int) -> int | None:
    """Seconds before an active chat ends on its own after `minutes` without a message
    (ChatSettings.idle_minutes), or None when it will not."""
    if not minutes or chat.state != ChatState.ACTIVE or chat.accepted_at is None:
        return None
    last = (
        chat.events.filter(kind="message").order_by("-id").values_list("created_at", flat=True)
    ).first()
    since = max(moment for moment in (chat.accepted_at, chat.kept_at, last) if moment)
    left = since + timedelta(minutes=minutes) - timezone.now()
    return max(0, int(left.total_seconds()))


def told_in_chat(ticket: Ticket, actor: User | None) -> bool:
    """Whether this solve is a chat ending now (the chat window told the visitor)."""
    if ticket.channel != Channel.CHAT:
        return False
    recent = timezone.now() - timedelta(minutes=1)
    return Chat.objects.filter(ticket_id=ticket.pk, ended_at__gte=recent).exists()


# --- Without a live agent ----------------------------------------------------------------------


def chat_leave_message(
    *,
    user: User | None,
    email: str,
    name: str,
    body: str,
    language: str,
) -> Ticket:
    """Outside hours or with nobody available: a request answered by email (tagged
    chat-offline), like the request form's."""
    body = body.strip()
    if not body:
        raise ValidationError(_("Write a message first."))
    subject = _subject(body, name or email)
    with transaction.atomic():
        if user is not None and user.is_authenticated:
            ticket = ticket_create(
                requester=user, subject=subject, description=body, channel=Channel.CHAT
            )
        else:
            ticket = ticket_create_anonymous(
                email=email, name=name, subject=subject, description=body, language=language
            )
            Ticket.objects.filter(pk=ticket.pk).update(channel=Channel.CHAT)
        ticket_update(
            ticket=ticket, actor=None, changes=Changes(add_tags=[OFFLINE_TAG]), channel=Channel.CHAT
        )
    return ticket


def requester_for(
    *, user: User | None, signed_email: str | None, email: str, name: str, language: str
) -> tuple[User, str]:
    """Who the chat is with, and how we know: signed in, signed by the website, or typed."""
    if user is not None and user.is_authenticated:
        return user, Identity.SIGNED_IN
    if signed_email:
        return user_for_email(email=signed_email, name=name, language=language), Identity.SIGNED
    if not email:
        # No address asked for or given: an inactive placeholder account, which gets no mail.
        placeholder = User.objects.create(
            email=f"visitor-{secrets.token_hex(8)}@chat.invalid",
            name=name or _("Visitor"),
            language=language,
            is_active=False,
        )
        return placeholder, Identity.CLAIMED
    return user_for_email(email=email, name=name, language=language), Identity.CLAIMED


def previous_requests(chat: Chat, limit: int = 5) -> list[Ticket]:
    return list(
        Ticket.objects.filter(requester_id=chat.ticket.requester_id)
        .exclude(pk=chat.ticket_id)
        .order_by("-created_at")[:limit]
    )


def chat_transcript_send(*, chat: Chat) -> None:
    """The conversation so far, by email to the requester (through the outbox)."""
    requester = chat.ticket.requester
    if not requester.is_active:
        return
    messages = list(
        chat.ticket.messages.filter(public=True).select_related("author").order_by("created_at")
    )
    thread = outbound.thread_for(chat.ticket)
    with translation.override(requester.language):
        outbound.ticket_email_send(
            thread=thread,
            to=requester.email,
            template="chat/email/transcript",
            context={
                "mail_subject": f"[#{chat.ticket_id}] " + _("Your chat transcript"),
                "recipient": requester,
                "chat_messages": messages,
                "ticket": chat.ticket,
                "url": settings.SITE_URL + reverse("tickets:detail", args=[chat.ticket_id]),
            },
            language=requester.language,
            message=None,
            auto_submitted="auto-generated",
        )
