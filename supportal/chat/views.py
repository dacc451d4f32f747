"""The visitor's chat widget (an iframe on help-center pages and on the company's own site).

These are the only pages other sites may frame: their CSP `frame-ancestors` is our own origin
plus the sites the admins list. The visitor is known by a random token in an HttpOnly cookie
(SameSite=None over HTTPS, so it works inside another site's iframe); the POSTs are checked by
their origin headers (core/pagecache.same_origin_post) instead of a CSRF cookie, which a
third-party iframe may not get.
"""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.exceptions import ValidationError
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
)
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from supportal.accounts.access import public
from supportal.chat import services
from supportal.chat.consumers import VISITOR_COOKIE
from supportal.chat.forms import LeaveMessageForm, MessageForm, PreChatForm, RateForm
from supportal.chat.models import Chat, ChatState
from supportal.core.downloads import file_response
from supportal.core.pagecache import same_origin_post
from supportal.core.ratelimit import rate_limit
from supportal.satisfaction.models import Rating
from supportal.satisfaction.services import rating_submit
from supportal.tickets.forms import valid_form_key
from supportal.tickets.models import Attachment

COOKIE_AGE = 60 * 60 * 24 * 30


def _own_origins(request: HttpRequest) -> set[str]:
    site = urlsplit(settings.SITE_URL)
    return {f"{site.scheme}://{site.netloc}", f"{request.scheme}://{request.get_host()}"}


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _refuse(request: HttpRequest, text: str, status: int = 400) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse({"error": text}, status=status)
    return render(request, "chat/problem.html", _frame_context({"problem": text}), status=status)


def frameable(response: HttpResponse) -> HttpResponse:
    """Only the widget's pages may be framed: by us and the sites on the list."""
    sites = services.chat_settings().site_list
    response._csp_replace = {"frame-ancestors": ["'self'", *sites]}  # type: ignore[attr-defined]
    response.xframe_options_exempt = True  # type: ignore[attr-defined]
    response["Cache-Control"] = "no-store"
    return response


def _frame_context(extra: dict[str, Any]) -> dict[str, Any]:
    return {"chat_ws_url": settings.CHAT_URL, **extra}


def _visitor_chat(request: HttpRequest) -> Chat | None:
    return services.chat_for_token(request.COOKIES.get(VISITOR_COOKIE, ""))


def _chat_or_404(request: HttpRequest) -> Chat:
    chat = _visitor_chat(request)
    if chat is None:
        raise Http404
    return chat


def _set_cookie(request: HttpRequest, response: HttpResponse, token: str) -> None:
    secure = request.is_secure()
    response.set_cookie(
        VISITOR_COOKIE,
        token,
        max_age=COOKIE_AGE,
        httponly=True,
        secure=secure,
        samesite="None" if secure else "Lax",
    )


def _widget_url() -> str:
    return reverse("chat:widget")


def _signed_in(request: HttpRequest) -> bool:
    return request.user.is_authenticated and not request.user.is_agent


def _conversation_context(request: HttpRequest, chat: Chat) -> dict[str, Any]:
    messages = (
        chat.ticket.messages.filter(public=True)
        .select_related("author")
        .prefetch_related("attachments")
        .order_by("created_at", "pk")
    )
    rating = Rating.objects.filter(ticket_id=chat.ticket_id).first()
    last = chat.events.order_by("-id").values_list("id", flat=True).first() or 0
    return _frame_context(
        {
            **_idle_context(chat),
            "chat": chat,
            "chat_messages": messages,
            "queue": services.queue_info(chat),
            "form": MessageForm(),
            "rate_form": RateForm(initial={"score": rating.score} if rating else None),
            "rating": rating,
            "last_event": last,
            "strings": _strings(),
        }
    )


def _idle_context(chat: Chat) -> dict[str, Any]:
    """For the warning before an idle chat ends on its own (WCAG 2.2.1, widget.js): the
    seconds left now, the full idle time, and how long before the end to warn, with its text."""
    minutes = services.chat_settings().idle_minutes
    left = services.chat_idle_seconds_left(chat, minutes)
    if left is None:
        return {"idle_left": None}
    idle = minutes * 60
    if idle >= 4 * 60:
        warn = 120
        text = ngettext(
            "Nobody has written for a while, so this chat will end in %(count)s minute.",
            "Nobody has written for a while, so this chat will end in %(count)s minutes.",
            warn // 60,
        ) % {"count": warn // 60}
    else:
        warn = 30
        text = _("Nobody has written for a while, so this chat will end in 30 seconds.")
    return {"idle_left": left, "idle_seconds": idle, "idle_warn": warn, "idle_text": text}


def _strings() -> dict[str, Any]:
    """What widget.js says, in the page's language."""
    return {
        "you": _("You"),
        "sent": _("Sent"),
        "read": _("Read"),
        "typing": _("The agent is typing…"),
        "chatting": _("You are chatting with %(name)s."),
        "transferring": _("You are being transferred to another agent. Please wait."),
        "position": _("You are number %(position)s in line."),
        "wait": _("Estimated wait: about %(minutes)s min."),
        "empty": _("Write a message first."),
        "failed": _("Your message could not be sent. Check your connection and try again."),
        "refused": {
            "too_long": _("That message is too long."),
            "malformed": _("That message could not be read."),
            "unknown": _("That message could not be read."),
        },
    }


@public
@require_GET
def widget(request: HttpRequest) -> HttpResponse:
    """The chat as it stands for this visitor: their chat, or the pre-chat form, or (closed,
    nobody available) the leave-a-message form."""
    chat = _visitor_chat(request)
    if chat is not None:
        return frameable(
            render(request, "chat/conversation.html", _conversation_context(request, chat))
        )
    state = services.status()
    signed_in = _signed_in(request)
    if state != "open":
        form = LeaveMessageForm(signed_in=signed_in)
        context = {"form": form, "state": state}
        return frameable(render(request, "chat/offline.html", _frame_context(context)))
    form = PreChatForm(
        config=services.chat_settings(),
        signed_in=signed_in,
        initial={
            "page": request.GET.get("page", "")[:500],
            "identity_email": request.GET.get("email", "")[:254],
            "identity_signature": request.GET.get("signature", "")[:128],
            "name": request.GET.get("name", "")[:150],
            "email": request.GET.get("email", "")[:254],
        },
    )
    return frameable(render(request, "chat/start.html", _frame_context({"form": form})))


@public
@require_POST
@same_origin_post
@rate_limit("chat_start", methods=("POST",))
def start(request: HttpRequest) -> HttpResponse:
    if _visitor_chat(request) is not None:
        return HttpResponseRedirect(_widget_url())
    signed_in = _signed_in(request)
    form = PreChatForm(request.POST, config=services.chat_settings(), signed_in=signed_in)
    if services.status() != "open":
        return HttpResponseRedirect(_widget_url())
    if not form.is_valid():
        return frameable(
            render(request, "chat/start.html", _frame_context({"form": form}), status=400)
        )
    data = form.cleaned_data
    signed = services.verified_email(
        data.get("identity_email", ""), data.get("identity_signature", "")
    )
    if data.get("identity_signature") and not signed:
        form.add_error(None, _("We could not confirm who you are. Please type your email."))
        return frameable(
            render(request, "chat/start.html", _frame_context({"form": form}), status=400)
        )
    requester, identity = services.requester_for(
        user=request.user if signed_in else None,
        signed_email=signed,
        email=data.get("email") or "",
        name=data.get("name") or "",
        language=translation.get_language(),
    )
    token = secrets.token_urlsafe(32)
    try:
        services.chat_start(
            token=token,
            requester=requester,
            identity=identity,
            body=data["message"],
            language=translation.get_language(),
            page_url=data.get("page") or "",
            topic=data.get("topic"),
            deflection_key=data["key"] if valid_form_key(data.get("key", "")) else None,
        )
    except ValidationError as error:
        form.add_error("message", error)
        return frameable(
            render(request, "chat/start.html", _frame_context({"form": form}), status=400)
        )
    response = HttpResponseRedirect(_widget_url())
    _set_cookie(request, response, token)
    return response


@public
@require_POST
@same_origin_post
@rate_limit("chat_message", methods=("POST",))
def send(request: HttpRequest) -> HttpResponse:
    """A message (and files) without the WebSocket: the polling fallback, or no JavaScript."""
    chat = _chat_or_404(request)
    form = MessageForm(request.POST, request.FILES)
    problem = None
    if form.is_valid():
        try:
            message = services.chat_post(
                chat=chat,
                author=chat.ticket.requester,
                body=form.cleaned_data["body"],
                attachments=form.cleaned_data.get("files") or [],
                client_id=form.cleaned_data.get("client") or "",
            )
        except ValidationError as error:
            problem = " ".join(error.messages)
        else:
            if _wants_json(request):
                return JsonResponse({"message": message.pk})
            return HttpResponseRedirect(_widget_url())
    else:
        problem = " ".join(str(e) for errors in form.errors.values() for e in errors)
    if _wants_json(request):
        return JsonResponse({"error": problem}, status=400)
    context = _conversation_context(request, chat)
    context["form"] = form
    return frameable(render(request, "chat/conversation.html", context, status=400))


@public
@require_GET
def poll(request: HttpRequest) -> JsonResponse:
    """Events after ?after= for the widget's polling fallback (and its state)."""
    chat = _chat_or_404(request)
    try:
        after = max(0, int(request.GET.get("after", "0")))
    except ValueError:
        after = 0
    from supportal.chat import events

    queue = services.queue_info(chat)
    return JsonResponse(
        {
            "events": events.events_after(chat.pk, after, agent=False),
            "state": chat.state,
            "queue": {"position": queue.position, "minutes": queue.minutes} if queue else None,
        }
    )


def _int_field(request: HttpRequest, name: str) -> int | None:
    try:
        value = int(request.POST.get(name, ""))
    except ValueError:
        return None
    return value if value >= 0 else None


@public
@require_POST
@same_origin_post
@rate_limit("chat_message", methods=("POST",))
def typing(request: HttpRequest) -> JsonResponse:
    chat = _chat_or_404(request)
    if chat.is_live:
        services.chat_typing(chat=chat, agent=False, typing=request.POST.get("on") == "1")
    return JsonResponse({})


@public
@require_POST
@same_origin_post
def keep(request: HttpRequest) -> JsonResponse:
    """Keep the chat open: the visitor's answer to the warning that it is about to end."""
    services.chat_keep(chat=_chat_or_404(request))
    return JsonResponse({})


@public
@require_POST
@same_origin_post
def read(request: HttpRequest) -> JsonResponse:
    chat = _chat_or_404(request)
    up_to = _int_field(request, "up_to")
    if up_to is None:
        return JsonResponse({"error": _("That is not a message number.")}, status=400)
    services.chat_read(chat=chat, agent=False, up_to=up_to)
    return JsonResponse({})


@public
@require_POST
@same_origin_post
def end(request: HttpRequest) -> HttpResponse:
    chat = _chat_or_404(request)
    services.chat_end(chat=chat, actor=chat.ticket.requester)
    return HttpResponseRedirect(_widget_url())


@public
@require_POST
@same_origin_post
def rate(request: HttpRequest) -> HttpResponse:
    chat = _chat_or_404(request)
    form = RateForm(request.POST)
    if form.is_valid() and chat.state == ChatState.ENDED:
        try:
            rating_submit(
                ticket=chat.ticket,
                user=chat.ticket.requester,
                score=form.cleaned_data["score"],
                comment=form.cleaned_data["comment"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return HttpResponseRedirect(_widget_url() + "?rated=1")
    context = _conversation_context(request, chat)
    context["rate_form"] = form
    return frameable(render(request, "chat/conversation.html", context, status=400))


@public
@require_POST
@same_origin_post
@rate_limit("mail_action", methods=("POST",))
def transcript(request: HttpRequest) -> HttpResponse:
    chat = _chat_or_404(request)
    if not chat.ticket.requester.is_active:
        return _refuse(request, _("We have no email address to send the transcript to."))
    services.chat_transcript_send(chat=chat)
    return HttpResponseRedirect(_widget_url() + "?transcript=1")


@public
@require_POST
@same_origin_post
@rate_limit("request", methods=("POST",))
def leave_message(request: HttpRequest) -> HttpResponse:
    signed_in = _signed_in(request)
    form = LeaveMessageForm(request.POST, signed_in=signed_in)
    if form.is_valid():
        try:
            services.chat_leave_message(
                user=request.user if signed_in else None,
                email=form.cleaned_data.get("email", ""),
                name=form.cleaned_data.get("name", ""),
                body=form.cleaned_data["message"],
                language=translation.get_language(),
            )
        except ValidationError as error:
            form.add_error("message", error)
        else:
            return frameable(render(request, "chat/left_message.html", _frame_context({})))
    context = _frame_context({"form": form, "state": services.status()})
    return frameable(render(request, "chat/offline.html", context, status=400))


@public
@require_POST
@same_origin_post
def new_chat(request: HttpRequest) -> HttpResponse:
    """After a chat has ended: forget it in this browser, for a new one."""
    response = HttpResponseRedirect(_widget_url())
    chat = _visitor_chat(request)
    if chat is None or chat.state == ChatState.ENDED:
        response.delete_cookie(VISITOR_COOKIE, samesite="None" if request.is_secure() else "Lax")
    return response


@public
@require_GET
def attachment(request: HttpRequest, pk: int) -> HttpResponse:
    """A file of the visitor's own chat (public messages only)."""
    chat = _chat_or_404(request)
    found = Attachment.objects.filter(pk=pk, ticket_id=chat.ticket_id, message__public=True).first()
    if found is None:
        raise Http404
    try:
        handle = found.file.open("rb")
    except (FileNotFoundError, OSError) as missing:
        raise Http404 from missing
    return file_response(handle, filename=found.filename, content_type=found.content_type)


@public
@require_GET
def embed_check(request: HttpRequest) -> JsonResponse:
    """Whether the site asking (?site=<its origin>) may show the chat: embed.js asks before
    opening the window, so a visitor on a site not on the list reads why instead of an empty
    frame the browser refused."""
    site = request.GET.get("site", "")[:200].rstrip("/")
    own = site in _own_origins(request)
    allowed = own or site in services.chat_settings().site_list
    response = JsonResponse({"allowed": allowed})
    response["Access-Control-Allow-Origin"] = "*"
    response["Cache-Control"] = "no-store"
    return response


@public
@require_GET
def embed_script(request: HttpRequest) -> HttpResponse:
    """A stable address for the launcher script: a short redirect to its hashed file."""
    response = HttpResponseRedirect(staticfiles_storage.url("chat/embed.js"))
    response["Cache-Control"] = "public, max-age=300"
    response["Access-Control-Allow-Origin"] = "*"
    return response
