"""Privacy policy and terms of service: numbered versions, their text per language, and who
accepted which version.

A version is a draft until it is published; a published version is never changed (a change is
a new version, see services.py). Only a version marked `requires_acceptance` asks signed-in
people to accept it again; a correction such as a typo fix does not.
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    PRIVACY = "privacy", _("Privacy policy")
    TERMS = "terms", _("Terms of service")


class VersionQuerySet(models.QuerySet["PolicyVersion"]):
    def published(self) -> VersionQuerySet:
        return self.filter(published_at__isnull=False)

    def drafts(self) -> VersionQuerySet:
        return self.filter(published_at__isnull=True)


class PolicyVersion(models.Model):
    kind = models.CharField(_("document"), max_length=16, choices=Kind.choices)
    number = models.PositiveIntegerField(_("version"))
    requires_acceptance = models.BooleanField(
        _("People must accept this version"),
        default=True,
        help_text=_(
            "Signed-in people are asked to accept it at their next visit. Leave it unticked "
            "for a correction that does not change the meaning, such as a typo fix."
        ),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("published by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = VersionQuerySet.as_manager()

    class Meta:
        ordering: ClassVar = ["kind", "-number"]
        verbose_name = _("policy version")
        verbose_name_plural = _("policy versions")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["kind", "number"], name="legal_version_unique"),
        ]
        indexes: ClassVar = [
            models.Index(fields=["kind", "published_at"], name="legal_version_published_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} v{self.number}"

    @property
    def is_published(self) -> bool:
        return self.published_at is not None


class PolicyText(models.Model):
    """The words of one version in one language (Markdown)."""

    version = models.ForeignKey(PolicyVersion, related_name="texts", on_delete=models.CASCADE)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    body = models.TextField(_("text"))
    summary = models.TextField(_("what changed"), blank=True)

    class Meta:
        verbose_name = _("policy text")
        verbose_name_plural = _("policy texts")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["version", "language"], name="legal_text_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.version} ({self.language})"


class PolicyAcceptance(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.CASCADE,
        related_name="policy_acceptances",
    )
    version = models.ForeignKey(
        PolicyVersion,
        verbose_name=_("version"),
        on_delete=models.PROTECT,
        related_name="acceptances",
    )
    accepted_at = models.DateTimeField(_("accepted"), default=timezone.now)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    class Meta:
        verbose_name = _("policy acceptance")
        verbose_name_plural = _("policy acceptances")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["user", "version"], name="legal_acceptance_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} accepted {self.version_id}"
