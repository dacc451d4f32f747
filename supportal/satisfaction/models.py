"""Customer satisfaction: one Good/Bad rating per request, and the surveys that asked for it."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from supportal.tickets.models import Group, Ticket, TicketEvent

COMMENT_MAX_LENGTH = 2000


class Score(models.TextChoices):
    GOOD = "good", _("Good")
    BAD = "bad", _("Bad")


class Rating(models.Model):
    """The requester's rating of a solved request; they may change it until it is closed.

    The assignee and group are those at the time of the (latest) rating, so reports per agent
    and group stay right when the request is reassigned later.
    """

    ticket = models.OneToOneField(
        Ticket, on_delete=models.CASCADE, related_name="rating", verbose_name=_("request")
    )
    score = models.CharField(_("rating"), max_length=8, choices=Score.choices)
    comment = models.TextField(_("comment"), max_length=COMMENT_MAX_LENGTH, blank=True)
    rated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    group = models.ForeignKey(
        Group,
        verbose_name=_("group"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("rated"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        verbose_name = _("satisfaction rating")
        verbose_name_plural = _("satisfaction ratings")
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=models.Q(score__in=["good", "bad"]), name="rating_score_valid"
            )
        ]
        indexes: ClassVar = [
            # The report's list (newest first, keyset) and its period filter.
            models.Index(fields=["-created_at", "-id"], name="rating_created_idx"),
            models.Index(fields=["assignee", "-created_at"], name="rating_assignee_idx"),
            models.Index(fields=["group", "-created_at"], name="rating_group_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.score} on #{self.ticket_id}"

    @property
    def is_good(self) -> bool:
        return self.score == Score.GOOD


class SurveyAsk(models.Model):
    """The survey mailed for one solve of a request: one row per solving event, so a request
    is never asked twice for the same solve (solving it again after a reopen may ask again)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+")
    solve_event = models.OneToOneField(TicketEvent, on_delete=models.CASCADE, related_name="+")
    asked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes: ClassVar = [models.Index(fields=["ticket", "-asked_at"], name="surveyask_idx")]

    def __str__(self) -> str:
        return f"survey for #{self.ticket_id}"
