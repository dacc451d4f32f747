"""Writing ratings."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from supportal.accounts.models import User
from supportal.satisfaction.models import COMMENT_MAX_LENGTH, Rating, Score
from supportal.tickets.models import Status, Ticket


def rating_problem(ticket: Ticket, user: User) -> str | None:
    """Why `user` may not rate `ticket` now (a sentence to show), or None when they may.

    Only the requester rates, like the survey mail that only they receive; they may change
    their rating while the request is solved, and not once it is closed (or merged)."""
    if user.pk != ticket.requester_id or user.is_agent:
        return _("Only the person who made this request can rate it.")
    if ticket.status == Status.CLOSED or ticket.merged_into_id is not None:
        return _("This request is closed; its rating can no longer be changed.")
    if ticket.status != Status.SOLVED:
        return _("This request can be rated once it is solved.")
    return None


@transaction.atomic
def rating_submit(*, ticket: Ticket, user: User, score: str, comment: str = "") -> Rating:
    """Records or changes the rating of a solved request, with the assignee and group of now."""
    if score not in Score.values:
        raise ValidationError(_("Choose Good or Bad."))
    comment = comment.strip()
    if len(comment) > COMMENT_MAX_LENGTH:
        raise ValidationError(_("The comment is too long."))
    # Locked, so a concurrent close (or a second click) waits and is seen.
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    problem = rating_problem(ticket, user)
    if problem:
        raise ValidationError(problem)
    now = timezone.now()
    rating, _created = Rating.objects.update_or_create(
        ticket=ticket,
        defaults={
            "score": score,
            "comment": comment,
            "rated_by": user,
            "assignee_id": ticket.assignee_id,
            "group_id": ticket.group_id,
            "updated_at": now,
        },
        create_defaults={
            "score": score,
            "comment": comment,
            "rated_by": user,
            "assignee_id": ticket.assignee_id,
            "group_id": ticket.group_id,
            "created_at": now,
            "updated_at": now,
        },
    )
    return rating
