"""Django admin (superusers only) for macros: for looking at data, not for daily work."""

from __future__ import annotations

from django.contrib import admin

from supportal.automation.models import Macro


@admin.register(Macro)
class MacroAdmin(admin.ModelAdmin):
    list_display = ("title", "owner", "group", "active", "usage_count", "last_used_at")
    list_filter = ("active", "public")
    list_select_related = ("owner", "group")
    raw_id_fields = ("owner", "group", "created_by")
    search_fields = ("title",)
