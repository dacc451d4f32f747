from __future__ import annotations

from django.contrib import admin

from supportal.legal.models import PolicyAcceptance, PolicyVersion


@admin.register(PolicyVersion)
class PolicyVersionAdmin(admin.ModelAdmin):
    """Read-only: versions are written through the settings pages, which keep published
    versions unchanged and audit publishing."""

    list_display = ("kind", "number", "published_at", "requires_acceptance")
    list_filter = ("kind",)

    def has_add_permission(self, request) -> bool:  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False


@admin.register(PolicyAcceptance)
class PolicyAcceptanceAdmin(admin.ModelAdmin):
    list_display = ("user", "version", "accepted_at", "ip")
    list_select_related = ("user", "version")
    raw_id_fields = ("user",)

    def has_add_permission(self, request) -> bool:  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False
