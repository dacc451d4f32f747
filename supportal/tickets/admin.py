"""Django admin (superusers only) for requests: for looking at data, not for daily work."""

from __future__ import annotations

from django.contrib import admin

from supportal.tickets.models import Group, Ticket, TicketEvent


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    list_display = ("id", "subject", "status", "priority", "requester", "assignee", "updated_at")
    list_filter = ("status", "priority", "channel")
    list_select_related = ("requester", "assignee")
    raw_id_fields = ("requester", "assignee", "organization", "merged_into", "group", "type")
    search_fields = ("=id", "subject")
    show_full_result_count = False  # a COUNT(*) over a million rows on every page is too slow


@admin.register(TicketEvent)
class TicketEventAdmin(admin.ModelAdmin):
    list_display = ("ticket", "kind", "field", "old_value", "new_value", "actor", "created_at")
    raw_id_fields = ("ticket", "actor")
    show_full_result_count = False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False  # history is written by services only


@admin.register(Group)
class GroupAdmin(admin.ModelAdmin):
    list_display = ("name", "description")
    filter_horizontal = ("members",)
