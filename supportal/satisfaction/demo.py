"""Demo ratings on the demo requests (tickets/demo.py); safe to run again."""

from __future__ import annotations

from django.db import transaction

from supportal.satisfaction.models import Rating, Score
from supportal.tickets.models import SOLVED, Ticket

# The demo request's submission key, the rating, the customer's comment.
RATINGS = [
    (
        "demo-request-7",
        Score.GOOD,
        "안내해 주신 대로 입력하니 바로 반영되었어요. 빠르게 답변해 주셔서 감사합니다.",
    ),
    (
        "demo-request-2",
        Score.BAD,
        "The invoice is there now, but it took a week and two emails to get it.",
    ),
    ("demo-request-9", Score.GOOD, "退款已经收到了，谢谢！"),
]


@transaction.atomic
def load_demo_ratings() -> None:
    """Written as rows, not through rating_submit: one of the rated demo requests is already
    closed, which a customer could no longer rate. Requests not solved (or missing) are left."""
    tickets = {
        ticket.submission_key: ticket
        for ticket in Ticket.objects.filter(
            submission_key__in=[key for key, _score, _comment in RATINGS], status__in=SOLVED
        )
    }
    for key, score, comment in RATINGS:
        ticket = tickets.get(key)
        if ticket is None:
            continue
        at = ticket.solved_at or ticket.updated_at
        Rating.objects.get_or_create(
            ticket=ticket,
            defaults={
                "score": score,
                "comment": comment,
                "rated_by_id": ticket.requester_id,
                "assignee_id": ticket.assignee_id,
                "group_id": ticket.group_id,
                "created_at": at,
                "updated_at": at,
            },
        )
