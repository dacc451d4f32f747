from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "supportal.audit"
    label = "audit"
    verbose_name = _("Audit log")

    def ready(self) -> None:
        from supportal.audit import receivers

        receivers.connect()
        _track_settings()


def _staff_account(user: object) -> bool:
    """A new account is an admin action worth recording when it is a staff account or an admin
    made it; customers signing up or writing in are not."""
    from supportal.audit.context import current_request

    if getattr(user, "role", "customer") != "customer" or getattr(user, "is_superuser", False):
        return True
    request = current_request.get()
    actor = getattr(request, "user", None) if request is not None else None
    return bool(actor is not None and actor.is_authenticated and actor.is_admin)


def _track_settings() -> None:
    from supportal.accounts.models import Organization, User
    from supportal.audit.tracking import track
    from supportal.automation.models import Macro
    from supportal.chat.models import ChatSettings
    from supportal.mail.models import Mailbox
    from supportal.mail.settings_services import FIELDS as MAILBOX_FIELDS
    from supportal.rules.models import Automation, GroupRouting, RoutingRule, Trigger
    from supportal.sla.models import GroupLead, GroupSchedule, Holiday, Schedule, SlaPolicy
    from supportal.tickets.models import CustomField, Group, RequestType

    rule_fields = ["name", "description", "active", "conditions_all", "conditions_any", "actions"]
    track(
        Mailbox,
        action_prefix="mailbox",
        fields=list(MAILBOX_FIELDS),  # what an admin can change on the mailbox page
        secrets={"imap_password_encrypted": "imap_password", "inbound_token_hash": "inbound_token"},
    )
    track(
        Macro,
        action_prefix="macro",
        fields=["title", "owner", "group", "active", "public", "texts", "changes"],
    )
    track(
        RoutingRule,
        action_prefix="routing_rule",
        fields=["name", "active", "channels", "languages", "words", "group"],
        m2m=["mailboxes", "request_types", "organizations"],
    )
    track(Trigger, action_prefix="trigger", fields=[*rule_fields, "runs_on"])
    track(Automation, action_prefix="automation", fields=rule_fields)
    track(GroupRouting, action_prefix="assignment", fields=["round_robin", "max_open"])
    track(
        SlaPolicy,
        action_prefix="sla_policy",
        fields=[
            "name",
            "description",
            "active",
            "priorities",
            "channels",
            "tags",
            "field_values",
            "pause_when_pending",
            "pause_when_on_hold",
            "warn_minutes",
            "notify_on_breach",
            "raise_priority_on_breach",
            "escalate_to_group",
        ],
        m2m=["request_types", "groups", "organizations"],
    )
    track(Schedule, action_prefix="schedule", fields=["name", "time_zone", "is_default"])
    track(GroupSchedule, action_prefix="group_schedule", fields=["group", "schedule"])
    track(Holiday, action_prefix="holiday", fields=["schedule", "date", "name", "yearly"])
    track(GroupLead, action_prefix="group_lead", fields=["group", "user"])
    track(Group, action_prefix="group", fields=["name", "description"], m2m=["members"])
    track(
        CustomField,
        action_prefix="custom_field",
        fields=["key", "labels", "kind", "choices", "required", "customer_visible", "active"],
    )
    track(RequestType, action_prefix="request_type", fields=["names", "active"])
    track(
        ChatSettings,
        action_prefix="chat_settings",
        fields=[
            "enabled",
            "group",
            "schedule",
            "ask_name",
            "ask_email",
            "ask_topic",
            "auto_assign",
            "max_chats",
            "allowed_sites",
        ],
        secrets={"identity_secret": "identity_secret"},
    )
    # SecurityPolicy is not tracked here: its page records "security_policy.change" itself
    # (accounts/views/twofactor.py), and a second entry for the same save would be noise.
    track(
        User,
        action_prefix="user",
        fields=[
            "email",
            "role",
            "is_active",
            "is_superuser",
            "organization",
            "manages_organization",
        ],
        record_create=_staff_account,
    )
    track(
        Organization,
        action_prefix="organization",
        fields=["name", "shares_requests", "email_domains"],
    )
