"""Customers' request pages: submit, My requests, the request page and its actions."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from supportal.accounts.access import public, signed_in
from supportal.accounts.models import User
from supportal.core import ratelimit
from supportal.core.downloads import file_response
from supportal.core.personalcache import personal_page
from supportal.helpcenter import search as hc_search
from supportal.helpcenter import selectors as hc_selectors
from supportal.tickets import search, services
from supportal.tickets.access import get_attachment_for, get_ticket_for
from supportal.tickets.forms import (
    CcForm,
    ReplyForm,
    RequestForm,
    VisitorRequestForm,
    valid_form_key,
)
from supportal.tickets.models import Channel, Status, Ticket, followed_q

PAGE_SIZE = 25
SUGGESTIONS = 5
STATUS_FILTERS = ("all", "open", "solved")
SCOPES = ("mine", "organization")


def _detail_url(ticket: Ticket, anchor: str = "") -> str:
    return reverse("tickets:detail", args=[ticket.pk]) + (f"#{anchor}" if anchor else "")


def _customer_ticket(request: HttpRequest, number: int) -> Ticket:
    """A visible ticket for a customer's action; agents act from the agent side (403)."""
    ticket = get_ticket_for(request, number)
    if request.user.is_agent:
        raise PermissionDenied
    return ticket


def _open_for_replies(ticket: Ticket) -> bool:
    """Customers may reply (and add people in CC) until the request is closed, merged, or
    solved for longer than the reopening window; after that they submit a new request."""
    if ticket.merged_into_id is not None or ticket.status == Status.CLOSED:
        return False
    return not (ticket.status == Status.SOLVED and not ticket.can_reopen())


# --- Submit a request --------------------------------------------------------------------------


def _crumbs(*extra: tuple[str, str | None]) -> list[tuple[str, str | None]]:
    return [(_("Help Center"), reverse("helpcenter:home")), *extra]


def _mine_crumb() -> tuple[str, str]:
    return (_("My requests"), reverse("tickets:mine"))


def _submit(request: HttpRequest, form: RequestForm) -> Ticket:
    if request.user.is_authenticated:
        return services.ticket_create(
            requester=request.user, channel=Channel.WEB, **form.request_kwargs()
        )
    return services.ticket_create_anonymous(language=get_language(), **form.request_kwargs())


# Visitors' requests and CCs mail addresses anyone can type: at most this many an hour from one
# client address (limit "mail_action" in RATE_LIMITS), so the form cannot send mail in bulk.
MAIL_ACTIONS_PER_HOUR = ratelimit.rate("mail_action").limit


def _over_mail_limit(request: HttpRequest, form: Any, action: str) -> bool:
    return ratelimit.refused_on_form(request, form, "mail_action", scope=action)


@public
@require_http_methods(["GET", "POST"])
@ratelimit.rate_limit("request", methods=("POST",), by="user")
@personal_page
def new_request(request: HttpRequest) -> HttpResponse:
    visitor = not request.user.is_authenticated
    form_class = VisitorRequestForm if visitor else RequestForm
    form = form_class(request.POST, request.FILES) if request.method == "POST" else form_class()
    if (
        form.is_bound
        and form.is_valid()
        and not (visitor and _over_mail_limit(request, form, "visitor-request"))
    ):
        try:
            ticket = _submit(request, form)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if visitor:
                context = {
                    "ticket": ticket,
                    "email": form.cleaned_data["email"],
                    "link_days": settings.REQUEST_LINK_DAYS,
                    "crumbs": _crumbs((_("Submit a request"), None)),
                }
                return render(request, "tickets/customer/check_email.html", context)
            message = _("Thank you. Your request #%(number)d has been received.")
            messages.success(request, message % {"number": ticket.pk})
            return redirect(_detail_url(ticket))
    context = {
        "form": form,
        "files_dropped": bool(request.FILES),
        "crumbs": _crumbs((_("Submit a request"), None)),
    }
    return render(request, "tickets/customer/new.html", context, status=400 if form.errors else 200)


@public
@require_GET
@ratelimit.rate_limit("suggest", by="user")
def suggest_articles(request: HttpRequest) -> HttpResponse:
    """Up to five help-center articles matching the subject being typed (an htmx fragment)."""
    query = request.GET.get("subject", "").strip()[:200]
    key = request.GET.get("key", "")
    hits = []
    if query:
        results = hc_search.search(
            query, locale=get_language(), user=request.user, limit=SUGGESTIONS, prefix=True
        )
        hits = results.hits
    context = {"hits": hits, "query": query, "form_key": key if valid_form_key(key) else ""}
    return render(request, "tickets/customer/_suggestions.html", context)


@public
@require_GET
def open_suggested_article(request: HttpRequest, article_id: int) -> HttpResponse:
    """Records that an article was opened from the request form, then shows it."""
    visible = hc_selectors.visible_articles(request.user, get_language())
    if not visible.filter(pk=article_id).exists():
        raise Http404
    key = request.GET.get("form", "")
    if valid_form_key(key):
        services.deflection_record(
            form_key=key,
            article_id=article_id,
            user=request.user,
            query=hc_search.clean_query(request.GET.get("q", ""))[:200],
        )
    return redirect("helpcenter:article", article_id=article_id)


@public
@require_http_methods(["GET", "POST"])
def access_link(request: HttpRequest, token: str) -> HttpResponse:
    """The emailed link. Opening it shows a button; only pressing it uses the single-use token,
    so mail scanners that fetch links before the visitor does cannot spend it."""
    if request.method == "GET":
        context = {"token": token, "crumbs": _crumbs((_("Open your request"), None))}
        return render(request, "tickets/customer/access.html", context)
    outcome = services.access_link_use(token=token)
    if outcome.user is None or outcome.ticket is None:
        context = {"problem": outcome.problem, "crumbs": _crumbs((_("Open your request"), None))}
        return render(request, "tickets/customer/link_problem.html", context, status=400)
    login(request, outcome.user, backend="django.contrib.auth.backends.ModelBackend")
    messages.success(request, _("You are signed in. Here is your request."))
    return redirect(_detail_url(outcome.ticket))


# --- My requests -------------------------------------------------------------------------------


def _requests_of(user: User, scope: str) -> Any:
    if scope == "organization":
        return Ticket.objects.filter(organization_id=user.organization_id)
    return Ticket.objects.filter(followed_q(user))


def _choice(value: str | None, allowed: tuple[str, ...]) -> str:
    return value if value in allowed else allowed[0]


@signed_in
@require_GET
@personal_page
def my_requests(request: HttpRequest) -> HttpResponse:
    sees_organization = request.user.sees_organization_requests
    status = _choice(request.GET.get("status"), STATUS_FILTERS)
    scope = _choice(request.GET.get("scope"), SCOPES) if sees_organization else "mine"
    query = request.GET.get("q", "").strip()[:200]
    tickets = _requests_of(request.user, scope)
    if status != "all":
        tickets = tickets.filter(is_open=status == "open")
    if query:
        tickets = search.matching(tickets, query)
    tickets = tickets.select_related("requester").order_by("-updated_at", "-id")
    page = Paginator(tickets, PAGE_SIZE).get_page(request.GET.get("page"))
    filters = {"status": status, "scope": scope, "q": query}
    context = {
        **filters,
        "page": page,
        "sees_organization": sees_organization,
        "filtered": status != "all" or bool(query),
        "page_query": urlencode(filters),
        "crumbs": _crumbs((_("My requests"), None)),
    }
    return render(request, "tickets/customer/mine.html", context)


# --- One request -------------------------------------------------------------------------------


def _may_remove_cc(user: User, ticket: Ticket, follower_id: int) -> bool:
    """The requester, the person themself, or the manager of the request's organization."""
    if user.pk in (ticket.requester_id, follower_id):
        return True
    return bool(
        user.manages_organization
        and user.organization_id
        and user.organization_id == ticket.organization_id
    )


def _detail_page(
    request: HttpRequest,
    ticket: Ticket,
    *,
    reply_form: ReplyForm | None = None,
    cc_form: CcForm | None = None,
) -> HttpResponse:
    user = request.user
    conversation = (
        ticket.messages.filter(public=True)
        .select_related("author", "email")
        .prefetch_related("attachments")
        .order_by("created_at", "pk")
    )
    field_values = [
        (row.field.label, row.field.display(row.value))
        for row in ticket.field_values.filter(field__customer_visible=True, field__active=True)
        .select_related("field")
        .order_by("field__position", "field_id")
    ]
    followers = ticket.cc_rows.select_related("user").order_by("created_at", "pk")
    merged_into_visible = bool(
        ticket.merged_into_id
        and Ticket.objects.visible_to(user).filter(pk=ticket.merged_into_id).exists()
    )
    context = {
        "ticket": ticket,
        "conversation": conversation,
        "field_values": field_values,
        "followers": [(row.user, _may_remove_cc(user, ticket, row.user_id)) for row in followers],
        "merged_into_visible": merged_into_visible,
        "open_for_replies": _open_for_replies(ticket),
        "can_reopen": ticket.can_reopen(),
        "reply_form": reply_form or ReplyForm(auto_id="reply_%s"),
        "cc_form": cc_form or CcForm(auto_id="cc_%s"),
        "crumbs": _crumbs(_mine_crumb(), (f"#{ticket.pk}", None)),
    }
    failed = (reply_form and reply_form.errors) or (cc_form and cc_form.errors)
    return render(request, "tickets/customer/detail.html", context, status=400 if failed else 200)


@signed_in
@require_GET
@personal_page
def request_detail(request: HttpRequest, number: int) -> HttpResponse:
    ticket = get_ticket_for(request, number)
    if request.user.is_agent:
        return redirect("agent:ticket", number=ticket.pk)
    return _detail_page(request, ticket)


def _closed(request: HttpRequest, ticket: Ticket) -> HttpResponseRedirect:
    messages.error(
        request, _("This request is closed and cannot be changed. Please submit a new request.")
    )
    return redirect(_detail_url(ticket))


@signed_in
@require_POST
def request_reply(request: HttpRequest, number: int) -> HttpResponse:
    ticket = _customer_ticket(request, number)
    if not _open_for_replies(ticket):
        return _closed(request, ticket)
    form = ReplyForm(request.POST, request.FILES, auto_id="reply_%s")
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.ticket_reply(
                ticket=ticket,
                author=request.user,
                body=data["body"],
                attachments=data["attachments"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Your reply has been added."))
            return redirect(_detail_url(ticket, "latest"))
    return _detail_page(request, ticket, reply_form=form)


@signed_in
@require_POST
def request_solve(request: HttpRequest, number: int) -> HttpResponse:
    ticket = _customer_ticket(request, number)
    if ticket.is_open:
        services.ticket_mark_solved(ticket=ticket, actor=request.user)
        messages.success(request, _("Thank you. The request is marked as solved."))
    return redirect(_detail_url(ticket))


@signed_in
@require_POST
def request_reopen(request: HttpRequest, number: int) -> HttpResponse:
    ticket = _customer_ticket(request, number)
    if ticket.is_open:
        return redirect(_detail_url(ticket))
    try:
        services.ticket_reopen(ticket=ticket, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The request is open again."))
    return redirect(_detail_url(ticket))


@signed_in
@require_POST
def request_cc_add(request: HttpRequest, number: int) -> HttpResponse:
    ticket = _customer_ticket(request, number)
    if not _open_for_replies(ticket):
        return _closed(request, ticket)
    form = CcForm(request.POST, auto_id="cc_%s")
    if form.is_valid() and not _over_mail_limit(request, form, "cc-add"):
        try:
            added = services.ticket_add_cc(
                ticket=ticket, actor=request.user, email=form.cleaned_data["email"]
            )
        except ValidationError as error:
            form.add_error("email", error)
        else:
            message = _("%(email)s is now in CC and will receive updates.")
            messages.success(request, message % {"email": added.email})
            return redirect(_detail_url(ticket, "cc"))
    return _detail_page(request, ticket, cc_form=form)


@signed_in
@require_POST
def request_cc_remove(request: HttpRequest, number: int, user_id: int) -> HttpResponse:
    ticket = _customer_ticket(request, number)
    row = ticket.cc_rows.select_related("user").filter(user_id=user_id).first()
    if row is None:
        raise Http404
    if not _may_remove_cc(request.user, ticket, row.user_id):
        raise PermissionDenied
    services.ticket_remove_cc(ticket=ticket, actor=request.user, user=row.user)
    messages.success(request, _("%(email)s is no longer in CC.") % {"email": row.user.email})
    if not Ticket.objects.visible_to(request.user).filter(pk=ticket.pk).exists():
        return redirect("tickets:mine")
    return redirect(_detail_url(ticket, "cc"))


@signed_in
@require_GET
def attachment_download(request: HttpRequest, number: int, pk: int, filename: str) -> HttpResponse:
    """A file of the request; only re-encoded images are shown inline, and nothing ever runs
    as a page (core/downloads.py). The URL must name the file exactly: one that names another
    request or another file name is a 404, like one the user may not see."""
    attachment = get_attachment_for(request, pk)
    if attachment.ticket_id != number or filename != attachment.filename:
        raise Http404
    try:
        handle = attachment.file.open("rb")
    except (FileNotFoundError, OSError) as missing:
        raise Http404 from missing
    return file_response(handle, filename=attachment.filename, content_type=attachment.content_type)
