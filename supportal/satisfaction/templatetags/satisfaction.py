"""The rating fragments on the request pages read their own state, so the pages' views (in
tickets) stay as they are; each costs one query, and only on solved or closed requests."""

from __future__ import annotations

from django import template

from supportal.satisfaction import selectors
from supportal.satisfaction.forms import RatingForm
from supportal.satisfaction.models import Rating
from supportal.tickets.models import Ticket

register = template.Library()


@register.simple_tag
def ticket_rating(ticket: Ticket) -> Rating | None:
    return selectors.rating_for(ticket) if ticket.is_solved else None


@register.simple_tag
def rating_form(rating: Rating | None) -> RatingForm:
    initial = {"score": rating.score, "comment": rating.comment} if rating else {}
    return RatingForm(initial=initial, auto_id="rating_%s")
