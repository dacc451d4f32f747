from __future__ import annotations

from typing import ClassVar

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from supportal.accounts.models import Organization, User


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ("name", "shares_requests", "email_domains", "created_at")
    search_fields = ("name",)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ("email",)
    list_display = ("email", "name", "role", "organization", "is_active", "email_verified_at")
    list_filter = ("role", "is_active", "is_superuser")
    list_select_related = ("organization",)
    search_fields = ("email", "name")
    autocomplete_fields = ("organization",)
    fieldsets: ClassVar = [
        (None, {"fields": ("email", "password")}),
        (
            _("Profile"),
            {"fields": ("name", "language", "time_zone", "organization", "manages_organization")},
        ),
        (_("Access"), {"fields": ("role", "is_active", "is_superuser", "email_verified_at")}),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    ]
    add_fieldsets: ClassVar = [
        (
            None,
            {"classes": ("wide",), "fields": ("email", "name", "role", "password1", "password2")},
        ),
    ]
    filter_horizontal = ()
