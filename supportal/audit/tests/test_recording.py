"""What gets recorded: sign-ins, failures and sign-outs from the auth signals; settings changes
from the tracked models, with before/after and never a secret."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from supportal.accounts.models import Organization, User
from supportal.audit.models import AuditEntry
from supportal.audit.tracking import SECRET_CHANGED
from supportal.mail import settings_services
from supportal.mail.models import Mailbox
from supportal.rules.tests.helpers import act, make_trigger
from supportal.rules.triggers import trigger_save
from supportal.test import PASSWORD, Personas

pytestmark = pytest.mark.django_db

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AuditTest/1.0"
PASSWORD_IMAP = "s3cret-imap-password"


def entries(action: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action).order_by("id"))


def sign_in(client: Client, email: str, password: str) -> Any:
    return client.post(
        "/en/accounts/login/",
        {"username": email, "password": password},
        headers={"user-agent": BROWSER},
        REMOTE_ADDR="203.0.113.7",
    )


def mailbox_form(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "address": "help@acme.test",
        "name": "Acme Support",
        "group": "",
        "delivery": "imap",
        "active": "on",
        "imap_host": "imap.acme.test",
        "imap_port": "993",
        "imap_security": "tls",
        "imap_user": "help@acme.test",
        "imap_password": "",
        "imap_folder": "INBOX",
        "poll_minutes": "2",
    }
    data.update(overrides)
    return data


class SignInTests:
    def test_it_records_a_sign_in_with_address_and_browser(
        self, client: Client, personas: Personas
    ) -> None:
        assert sign_in(client, "alex@support.test", PASSWORD).status_code == 302
        [entry] = entries("auth.login")
        assert entry.actor_id == personas.admin.pk
        assert entry.actor_label == "alex@support.test"
        assert entry.ip == "203.0.113.7"
        assert entry.user_agent == BROWSER

    def test_it_records_a_failed_sign_in_with_the_typed_email(
        self, client: Client, personas: Personas
    ) -> None:
        assert sign_in(client, "Alex@Support.test", "not-the-password").status_code == 200
        [entry] = entries("auth.login_failed")
        assert entry.actor_id is None
        assert entry.actor_label == "alex@support.test"
        assert entry.note == "alex@support.test"
        assert entry.ip == "203.0.113.7"
        assert entry.user_agent == BROWSER
        assert "not-the-password" not in str(AuditEntry.objects.values_list())
        assert not entries("auth.login")

    def test_it_records_a_failure_for_an_address_without_an_account(
        self, client: Client, personas: Personas
    ) -> None:
        sign_in(client, "nobody@nowhere.test", "whatever-it-is")
        [entry] = entries("auth.login_failed")
        assert entry.actor_label == "nobody@nowhere.test"

    def test_it_records_signing_out(self, client: Client, personas: Personas) -> None:
        sign_in(client, "casey@acme.test", PASSWORD)
        client.post("/en/accounts/logout/", headers={"user-agent": BROWSER})
        [entry] = entries("auth.logout")
        assert entry.actor_id == personas.customer.pk
        assert entry.user_agent == BROWSER

    def test_it_does_not_record_the_last_login_update(self, personas: Personas) -> None:
        before = AuditEntry.objects.count()
        from django.contrib.auth.models import update_last_login

        update_last_login(None, personas.agent)
        personas.agent.name = "Jiwoo Renamed"
        personas.agent.save()  # a full save that changes no tracked field
        assert AuditEntry.objects.count() == before


class SettingsChangeTests:
    def test_it_records_a_mailbox_change_through_its_page_without_the_password(
        self, client: Client, personas: Personas
    ) -> None:
        mailbox = settings_services.mailbox_save(
            mailbox=None,
            password=PASSWORD_IMAP,
            address="help@acme.test",
            name="Acme Support",
            group=None,
            delivery=Mailbox.Delivery.IMAP,
            active=True,
            imap_host="imap.acme.test",
            imap_port=993,
            imap_security=Mailbox.Security.TLS,
            imap_user="help@acme.test",
            imap_folder="INBOX",
            poll_minutes=2,
        )
        [created] = entries("mailbox.create")
        assert created.after["address"] == "help@acme.test"
        assert PASSWORD_IMAP not in str(created.after)
        assert mailbox.imap_password_encrypted not in str(created.after)

        client.force_login(personas.admin)
        response = client.post(
            f"/en/agent/manage/mail/{mailbox.pk}",
            mailbox_form(imap_host="mail.acme.test", imap_password="a-new-secret-1"),
            headers={"user-agent": BROWSER},
        )
        assert response.status_code == 302
        [changed] = entries("mailbox.change")
        assert changed.actor_id == personas.admin.pk
        assert changed.ip == "127.0.0.1" and changed.user_agent == BROWSER
        assert changed.target_label == "help@acme.test"
        assert changed.before == {"imap_host": "imap.acme.test", "imap_password": "(set)"}
        assert changed.after == {"imap_host": "mail.acme.test", "imap_password": SECRET_CHANGED}
        assert changed.note == "imap_password changed"
        everything = str(list(AuditEntry.objects.values_list()))
        assert "a-new-secret-1" not in everything and PASSWORD_IMAP not in everything
        mailbox.refresh_from_db()
        assert mailbox.imap_password_encrypted not in everything

    def test_it_records_a_trigger_change_with_before_and_after(
        self, client: Client, personas: Personas
    ) -> None:
        trigger = make_trigger("Tag urgent", actions=[act("add_tags", "urgent")])
        [created] = entries("trigger.create")
        assert created.after["name"] == "Tag urgent"
        trigger_save(
            trigger=trigger,
            name="Tag very urgent",
            actions=[act("add_tags", "very-urgent")],
        )
        [changed] = entries("trigger.change")
        assert changed.before["name"] == "Tag urgent"
        assert changed.after["name"] == "Tag very urgent"
        assert changed.before["actions"][0]["value"] == "urgent"
        assert changed.after["actions"][0]["value"] == "very-urgent"
        assert "conditions_all" not in changed.after  # unchanged fields stay out

        client.force_login(personas.admin)
        client.post(
            f"/en/agent/manage/rules/triggers/{trigger.pk}/toggle", headers={"user-agent": BROWSER}
        )
        toggled = entries("trigger.change")[-1]
        assert toggled.before == {"active": True} and toggled.after == {"active": False}
        assert toggled.actor_id == personas.admin.pk and toggled.user_agent == BROWSER

    def test_it_records_group_membership_from_either_side(self, personas: Personas) -> None:
        personas.support.members.add(personas.other_agent)
        last = entries("group.members")[-1]
        assert last.target_label == "Support"
        assert last.before == {"members": ["Jiwoo Agent"]}
        assert last.after == {"members": ["Jiwoo Agent", "Kenji Billing"]}
        personas.agent.ticket_groups.remove(personas.support)
        last = entries("group.members")[-1]
        assert last.target_label == "Jiwoo Agent"
        assert last.before == {"ticket_groups": ["Support"]}
        assert last.after == {"ticket_groups": []}

    def test_it_records_a_role_change_and_a_deletion(self, personas: Personas) -> None:
        personas.customer.role = "agent"
        personas.customer.organization = None
        personas.customer.save()
        changed = entries("user.change")[-1]
        assert changed.before == {"role": "customer", "organization": "Acme"}
        assert changed.after == {"role": "agent", "organization": None}
        organization = Organization.objects.create(name="Initech")
        organization.delete()
        [deleted] = entries("organization.delete")
        assert deleted.before["name"] == "Initech"

    def test_it_does_not_record_customers_signing_up(self, client: Client, db: None) -> None:
        client.post(
            "/en/accounts/signup/",
            {
                "name": "New Person",
                "email": "new@person.test",
                "password1": PASSWORD,
                "password2": PASSWORD,
            },
        )
        assert User.objects.filter(email="new@person.test").exists()
        assert not entries("user.create")


@pytest.mark.django_db
class BulkWrittenSettingsTests:
    """Targets and weekly hours are written in bulk (no model signals): their services record
    them."""

    def test_it_records_service_level_targets_before_and_after(self) -> None:
        from supportal.sla.policy_services import sla_policy_save

        policy = sla_policy_save(
            policy=None, name="Standard", targets=[(2, "first_reply", 60, True)]
        )
        sla_policy_save(policy=policy, name="Standard", targets=[(2, "first_reply", 30, False)])
        entries = AuditEntry.objects.filter(action="sla_policy.targets").order_by("id")
        assert [e.after for e in entries] == [
            {"targets": ["priority 2 first_reply 60 min business hours"]},
            {"targets": ["priority 2 first_reply 30 min calendar hours"]},
        ]
        assert entries[1].before == entries[0].after
        # Saving the same targets again records nothing new.
        sla_policy_save(policy=policy, name="Standard", targets=[(2, "first_reply", 30, False)])
        assert AuditEntry.objects.filter(action="sla_policy.targets").count() == 2

    def test_it_records_weekly_hours_before_and_after(self) -> None:
        from datetime import time

        from supportal.lib.businesstime import Interval
        from supportal.sla.hours_services import schedule_save

        fields: dict[str, Any] = {"name": "Seoul", "time_zone": "Asia/Seoul", "is_default": True}
        seoul = schedule_save(
            schedule=None, groups=[], intervals=[Interval(0, time(9), time(18))], **fields
        )
        schedule_save(
            schedule=seoul, groups=[], intervals=[Interval(0, time(10), time(19))], **fields
        )
        entry = AuditEntry.objects.filter(action="schedule.hours").order_by("id").last()
        assert entry is not None
        assert entry.before == {"intervals": ["weekday 0 09:00-18:00"]}
        assert entry.after == {"intervals": ["weekday 0 10:00-19:00"]}

    def test_the_audit_log_shows_them(self, client: Client, personas: Personas) -> None:
        self.test_it_records_service_level_targets_before_and_after()
        self.test_it_records_weekly_hours_before_and_after()
        client.force_login(personas.admin)
        page = client.get("/en/agent/manage/audit/")
        assert page.status_code == 200
        html = page.content.decode()
        assert "Service level targets changed" in html
        assert "Weekly business hours changed" in html
        assert "priority 2 first_reply 30 min calendar hours" in html
        assert "weekday 0 10:00-19:00" in html
