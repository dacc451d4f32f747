"""Rating a solved request (from the mailed links or the request page) and the agents' report."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from supportal.accounts.access import agent_required, public, signed_in
from supportal.satisfaction import selectors, services
from supportal.satisfaction.forms import RatingForm, ReportForm
from supportal.satisfaction.models import Rating, Score
from supportal.satisfaction.survey import read_token
from supportal.tickets.access import get_ticket_for
from supportal.tickets.models import Ticket

PAGE_SIZE = 25


def _crumbs() -> list[tuple[str, str | None]]:
    return [(_("Help Center"), reverse("helpcenter:home")), (_("Rate our support"), None)]


def _rating_page(
    request: HttpRequest,
    ticket: Ticket,
    form: RatingForm,
    *,
    action: str,
    rating: Rating | None,
    status: int = 200,
) -> HttpResponse:
    context = {
        "ticket": ticket,
        "form": form,
        "action": action,
        "rating": rating,
        "problem": services.rating_problem(ticket, ticket.requester),
        "crumbs": _crumbs(),
    }
    return render(request, "satisfaction/rate.html", context, status=status)


def _form_for(request: HttpRequest, rating: Rating | None) -> RatingForm:
    if request.method == "POST":
        return RatingForm(request.POST)
    chosen = request.GET.get("rating")
    score = chosen if chosen in Score.values else (rating.score if rating else None)
    return RatingForm(initial={"score": score, "comment": rating.comment if rating else ""})


def _submit(request: HttpRequest, ticket: Ticket, form: RatingForm) -> bool:
    if not form.is_valid():
        return False
    try:
        services.rating_submit(
            ticket=ticket,
            user=ticket.requester,
            score=form.cleaned_data["score"],
            comment=form.cleaned_data["comment"],
        )
    except ValidationError as error:
        form.add_error(None, error)
        return False
    return True


def _ticket_for_token(request: HttpRequest, number: int, token: str) -> Ticket | HttpResponse:
    """The request a one-click link names, or the page explaining why the link does not work."""
    check = read_token(token)
    ticket = None
    if check.valid and check.ticket_id == number:
        ticket = Ticket.objects.select_related("requester").filter(pk=number).first()
    if ticket is None or ticket.requester_id != check.user_id:
        context = {"expired": check.expired, "crumbs": _crumbs()}
        return render(
            request, "satisfaction/link_problem.html", context, status=400 if check.expired else 404
        )
    return ticket


@public
@require_http_methods(["GET", "POST"])
def rate_link(request: HttpRequest, number: int, token: str) -> HttpResponse:
    """The mailed one-click link: GET shows the choice preselected and changes nothing (mail
    scanners open links); only the button (POST) records it. The token is the credential."""
    ticket = _ticket_for_token(request, number, token)
    if isinstance(ticket, HttpResponse):
        return ticket
    rating = selectors.rating_for(ticket)
    form = _form_for(request, rating)
    if request.method == "POST" and _submit(request, ticket, form):
        return redirect("satisfaction:thanks", number=ticket.pk, token=token)
    action = reverse("satisfaction:rate", args=[ticket.pk, token])
    failed = request.method == "POST"
    return _rating_page(
        request, ticket, form, action=action, rating=rating, status=400 if failed else 200
    )


@public
@require_GET
def rate_thanks(request: HttpRequest, number: int, token: str) -> HttpResponse:
    ticket = _ticket_for_token(request, number, token)
    if isinstance(ticket, HttpResponse):
        return ticket
    context = {
        "ticket": ticket,
        "rating": selectors.rating_for(ticket),
        "change_url": reverse("satisfaction:rate", args=[ticket.pk, token]),
        "crumbs": _crumbs(),
    }
    return render(request, "satisfaction/thanks.html", context)


@signed_in
@require_POST
def rate_request(request: HttpRequest, number: int) -> HttpResponse:
    """The form on the signed-in requester's request page."""
    ticket = get_ticket_for(request, number)
    if request.user.pk != ticket.requester_id:
        raise PermissionDenied
    form = RatingForm(request.POST)
    if _submit(request, ticket, form):
        messages.success(
            request,
            _("Thank you for your rating. You can change it until the request is closed."),
        )
        return redirect(reverse("tickets:detail", args=[ticket.pk]) + "#rating")
    action = reverse("satisfaction:rate_request", args=[ticket.pk])
    rating = selectors.rating_for(ticket)
    return _rating_page(request, ticket, form, action=action, rating=rating, status=400)


@agent_required
@require_GET
def report(request: HttpRequest) -> HttpResponse:
    """Ratings of the requests the agent may see, newest first, with CSAT for the period."""
    form = ReportForm(request.GET or None)
    ratings = selectors.filtered(selectors.ratings_visible_to(request.user), form.filters())
    summary = selectors.summary(ratings, no_agent=_("Unassigned"), no_group=_("No group"))
    rows = ratings.select_related("ticket", "assignee", "group").order_by("-created_at", "-id")
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "summary": summary, "page": page, "query": query.urlencode()}
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "satisfaction/report.html", context, status=status)
