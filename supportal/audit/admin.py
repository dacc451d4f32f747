from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from supportal.audit.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only: entries are added by the application, never here."""

    list_display = ("at", "actor_label", "action", "target_type", "target_label", "ip")
    list_filter = ("action",)
    search_fields = ("actor_label", "target_label", "action")
    date_hierarchy = "at"

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [field.name for field in AuditEntry._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
