"""Loads demo content; safe to run again (existing rows are kept and brought up to date)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from supportal.accounts.models import Organization, Role, User
from supportal.automation.demo import load_demo_macros
from supportal.chat.demo import load_demo_chat
from supportal.helpcenter.demo import load_demo_content
from supportal.mail.demo import load_demo_mail
from supportal.rules.demo import load_demo_routing
from supportal.rules.trigger_demo import load_demo_triggers
from supportal.satisfaction.demo import load_demo_ratings
from supportal.sla.demo import load_demo_hours, load_demo_sla
from supportal.tickets.demo import load_demo_tickets

DEMO_PASSWORD = "supportal-demo"  # noqa: S105 - printed for the person trying the demo

DEMO_USERS = [
    # email, name, role, organization, language, time zone
    ("admin@example.com", "Alex Admin", Role.ADMIN, None, "en", "UTC"),
    ("agent@example.com", "Jiwoo Agent", Role.AGENT, None, "ko", "Asia/Seoul"),
    ("agent.ja@example.com", "Sato Agent", Role.AGENT, None, "ja", "Asia/Tokyo"),
    (
        "customer@example.com",
        "Casey Customer",
        Role.CUSTOMER,
        "Acme Corporation",
        "en",
        "Europe/London",
    ),
    (
        "colleague@example.com",
        "Minseo Colleague",
        Role.CUSTOMER,
        "Acme Corporation",
        "ko",
        "Asia/Seoul",
    ),
    ("outsider@example.com", "Wang Outsider", Role.CUSTOMER, "Globex", "zh-hans", "Asia/Shanghai"),
]


class Command(BaseCommand):
    help = "Create the demo organization, customers, agents and admin (idempotent)."

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        organizations = {
            name: Organization.objects.get_or_create(name=name, defaults={"shares_requests": True})[
                0
            ]
            for name in ("Acme Corporation", "Globex")
        }
        for email, name, role, org, language, zone in DEMO_USERS:
            user, created = User.objects.get_or_create(
                email=email,
                defaults={
                    "name": name,
                    "role": role,
                    "organization": organizations.get(org) if org else None,
                    "language": language if language in settings.LANGUAGE_CODES else "en",
                    "time_zone": zone,
                    "email_verified_at": timezone.now(),
                    "is_superuser": role == Role.ADMIN,
                },
            )
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save(update_fields=["password"])
        load_demo_content()
        load_demo_tickets()
        load_demo_mail()
        load_demo_macros()
        load_demo_ratings()
        load_demo_hours()
        load_demo_sla()
        load_demo_routing()
        load_demo_triggers()
        load_demo_chat()
        self.stdout.write(self.style.SUCCESS("Demo content is ready."))
