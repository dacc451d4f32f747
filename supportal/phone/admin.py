"""Django admin (superusers only) for calls: for looking at data, not for daily work."""

from __future__ import annotations

from django.contrib import admin

from supportal.phone.models import Call


@admin.register(Call)
class CallAdmin(admin.ModelAdmin):
    list_display = ("id", "ticket", "direction", "number", "outcome", "duration", "started_at")
    list_filter = ("direction", "outcome")
    raw_id_fields = ("ticket", "agent")
    search_fields = ("=number", "=external_id")
    show_full_result_count = False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False  # written by the services only, each with its event
