"""Personal data: exports prepared for a person, erased requests, and the retention policy.

None of these rows holds personal data itself: an export names its ZIP (a random name in the
file storage) and the SHA-256 of its download token; an erased request is only its number.
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class DataExport(models.Model):
    """One ZIP of a person's data, requested by them or by an admin for them."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting to be prepared")
        RUNNING = "running", _("Being prepared")
        READY = "ready", _("Ready to download")
        DOWNLOADED = "downloaded", _("Downloaded")
        EXPIRED = "expired", _("Expired")
        FAILED = "failed", _("Failed")

    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    # Who asked for it and receives the link: the person, or an admin on their behalf.
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    file_name = models.CharField(max_length=200, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    token_hash = models.CharField(max_length=64, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    downloaded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes: ClassVar = [
            models.Index(
                fields=["person", "requested_by", "-created_at"], name="export_person_idx"
            ),
            models.Index(fields=["status", "expires_at"], name="export_status_idx"),
            models.Index(fields=["token_hash"], name="export_token_idx"),
        ]

    def __str__(self) -> str:
        return f"export {self.pk} of user {self.person_id}"

    @property
    def in_progress(self) -> bool:
        return self.status in (self.Status.PENDING, self.Status.RUNNING)


class ErasedTicket(models.Model):
    """A request whose content was erased (with its requester, or by the retention policy).
    The request row itself stays, anonymous, for statistics."""

    class Reason(models.TextChoices):
        PERSON = "person", _("Requester erased")
        RETENTION = "retention", _("Retention policy")

    ticket = models.OneToOneField(
        "tickets.Ticket", primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    reason = models.CharField(max_length=16, choices=Reason.choices)
    erased_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"#{self.ticket_id} erased"


class PersonErasure(models.Model):
    """That a person was erased, and when: their user row stays, pseudonymised."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    erased_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"user {self.user_id} erased"


class RetentionPolicy(models.Model):
    """The site's retention policy: one row, edited by admins (Settings > Data retention)."""

    enabled = models.BooleanField(_("erase old closed requests"), default=False)
    months = models.PositiveSmallIntegerField(_("months after closing"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    last_run_at = models.DateTimeField(_("last run"), null=True, blank=True)
    last_run_count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("retention policy")
        verbose_name_plural = _("retention policies")

    def __str__(self) -> str:
        return f"retention {self.months if self.enabled else 'off'}"

    @classmethod
    def current(cls) -> RetentionPolicy:
        policy, _created = cls.objects.get_or_create(pk=1)
        return policy
