from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction

from supportal.accounts.models import Organization, Role, User
from supportal.test import make_user


@pytest.mark.django_db
class UserModelTests:
    def test_it_stores_emails_lower_case(self) -> None:
        user = make_user("  Mixed.Case@Example.TEST ")
        assert user.email == "mixed.case@example.test"
        assert User.objects.get_by_natural_key("MIXED.case@example.test") == user

    def test_the_database_refuses_the_same_email_in_another_case(self) -> None:
        make_user("one@example.test")
        with pytest.raises(IntegrityError), transaction.atomic():
            # bulk_create skips save(), so only the database constraint stands in the way.
            User.objects.bulk_create([User(email="ONE@example.test", name="x")])

    def test_roles_decide_what_a_user_may_do(self) -> None:
        customer = make_user("c@example.test")
        agent = make_user("a@example.test", role=Role.AGENT)
        admin = make_user("d@example.test", role=Role.ADMIN)
        assert (customer.is_customer, customer.is_agent, customer.is_admin) == (True, False, False)
        assert (agent.is_customer, agent.is_agent, agent.is_admin) == (False, True, False)
        assert (admin.is_agent, admin.is_admin, admin.is_staff) == (True, True, False)

    def test_django_admin_is_for_superusers(self, client) -> None:  # type: ignore[no-untyped-def]
        superuser = User.objects.create_superuser(
            "root@example.test", "violet-harbour-1987", name="Root"
        )
        admin = make_user("d@example.test", role=Role.ADMIN)
        client.force_login(admin)
        assert client.get("/admin/").status_code == 302
        client.force_login(superuser)
        assert client.get("/admin/").status_code == 200
        assert client.get("/admin/accounts/user/").status_code == 200
        assert client.get("/admin/core/outboundemail/").status_code == 200


@pytest.mark.django_db
class DemoContentTests:
    def test_it_loads_demo_content_idempotently(self) -> None:
        call_command("demo", verbosity=0)
        call_command("demo", verbosity=0)
        assert User.objects.count() == 8  # six accounts, two people who wrote in by email
        assert Organization.objects.count() == 2
        admin = User.objects.get(email="admin@example.com")
        assert admin.is_superuser and admin.email_verified
        assert admin.check_password("supportal-demo")
        assert (
            User.objects.filter(role=Role.CUSTOMER, organization__name="Acme Corporation").count()
            == 2
        )
