"""Macros: saved replies with placeholders, written in each language, that may also change the
request's fields. Personal (an agent's own) or shared (made by admins, optionally for one group).
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from supportal.tickets.models import Group, localized


class MacroQuerySet(models.QuerySet["Macro"]):
    def usable_by(self, user: Any) -> MacroQuerySet:
        """Active macros an agent may apply: their own, and the shared ones for everyone or for
        one of their groups (admins: every shared one)."""
        if not getattr(user, "is_agent", False):
            return self.none()
        shared = Q(owner__isnull=True)
        if not user.is_admin:
            groups = Group.members.through.objects.filter(user_id=user.pk).values("group_id")
            shared &= Q(group__isnull=True) | Q(group__in=groups)
        return self.filter(Q(owner=user) | shared, active=True)

    def manageable_by(self, user: Any) -> MacroQuerySet:
        """An agent manages their own macros; an admin also the shared ones."""
        if not getattr(user, "is_agent", False):
            return self.none()
        if user.is_admin:
            return self.filter(Q(owner=user) | Q(owner__isnull=True))
        return self.filter(owner=user)


class Macro(models.Model):
    title = models.CharField(_("title"), max_length=200)
    # Set: a personal macro, only its owner sees it. Empty: shared.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="macros",
    )
    # A shared macro limited to one group's members. Deleting the group deletes its macros
    # rather than making them everyone's.
    group = models.ForeignKey(
        Group,
        verbose_name=_("group"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="macros",
    )
    active = models.BooleanField(_("active"), default=True)
    public = models.BooleanField(_("public reply"), default=True)  # else an internal note
    texts = models.JSONField(_("texts"), default=dict, blank=True)  # {"en": "Hello {{...}}"}
    # What applying it sets; a missing key leaves that field alone. See services.CHANGE_KEYS.
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    usage_count = models.PositiveIntegerField(_("uses"), default=0)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    objects = MacroQuerySet.as_manager()

    class Meta:
        verbose_name = _("macro")
        verbose_name_plural = _("macros")
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(owner__isnull=True) | Q(group__isnull=True),
                name="macro_personal_has_no_group",
            )
        ]
        indexes: ClassVar = [
            # The picker on the request page: active ones, most used first.
            models.Index(fields=["active", "-usage_count", "title"], name="macro_usage_idx"),
            # The settings list: an agent's own, or the shared ones, by title.
            models.Index(fields=["owner", "title"], name="macro_owner_idx"),
            models.Index(fields=["group", "active"], name="macro_group_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_personal(self) -> bool:
        return self.owner_id is not None

    def text_for(self, language: str) -> tuple[str, str]:
        """The text in `language`, else the default language's, else any written one; with the
        language it is written in ("" when there is no text at all)."""
        text = localized(self.texts, language)
        if not text:
            return "", ""
        for code in (language, settings.LANGUAGE_CODE, *self.texts):
            if self.texts.get(code) == text:
                return text, code
        return text, ""
