from __future__ import annotations

from django.contrib import admin

from supportal.core.models import OutboundEmail


@admin.register(OutboundEmail)
class OutboundEmailAdmin(admin.ModelAdmin):
    list_display = ("subject", "to", "status", "attempts", "created_at", "sent_at")
    list_filter = ("status",)
    search_fields = ("subject", "to")
    exclude = ("raw",)
    readonly_fields = (
        "from_email",
        "to",
        "subject",
        "body_text",
        "body_html",
        "created_at",
        "sent_at",
    )
