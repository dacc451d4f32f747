from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AppendOnlyError(PermissionError):
    """Raised by every application path that would change or remove an audit entry."""


class AuditEntryQuerySet(models.QuerySet["AuditEntry"]):
    """Bulk writes are refused like single ones: `update()` and `delete()` raise. The database
    refuses them as well (triggers in migration 0003), for code that goes around the ORM."""

    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError("Audit log entries cannot be changed.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("Audit log entries cannot be deleted.")

    def bulk_update(self, *args: Any, **kwargs: Any) -> int:
        raise AppendOnlyError("Audit log entries cannot be changed.")

    def update_or_create(self, *args: Any, **kwargs: Any) -> Any:
        raise AppendOnlyError("Audit log entries cannot be changed.")

    update.queryset_only = True  # type: ignore[attr-defined]
    delete.queryset_only = True  # type: ignore[attr-defined]


class AuditEntry(models.Model):
    """One security-relevant or administrative action. Entries are only ever added: the
    application has no path that changes or removes one."""

    at = models.DateTimeField(_("time"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        # Not SET_NULL: that is an UPDATE of the entry, which the database refuses. Deleting a
        # user leaves their entries as they are; actor_label still names them.
        on_delete=models.DO_NOTHING,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
    )
    # Kept as text too, so the entry still names the person after their account is erased.
    actor_label = models.CharField(_("by"), max_length=320, blank=True)
    action = models.CharField(_("action"), max_length=64)
    ip = models.GenericIPAddressField(_("address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=400, blank=True)
    target_type = models.CharField(_("object type"), max_length=64, blank=True)
    target_id = models.CharField(_("object id"), max_length=64, blank=True)
    target_label = models.CharField(_("object"), max_length=300, blank=True)
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        ordering: ClassVar = ["-at", "-id"]
        verbose_name = _("audit log entry")
        verbose_name_plural = _("audit log entries")
        indexes: ClassVar = [
            models.Index(fields=["-at", "-id"], name="audit_at_idx"),
            models.Index(fields=["action", "-at"], name="audit_action_idx"),
            models.Index(fields=["actor", "-at"], name="audit_actor_idx"),
            models.Index(fields=["target_type", "target_id"], name="audit_target_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding or kwargs.get("force_update") or kwargs.get("update_fields"):
            raise AppendOnlyError("Audit log entries cannot be changed.")
        # Always an INSERT: a new instance given an existing id must not overwrite that entry.
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise AppendOnlyError("Audit log entries cannot be deleted.")
