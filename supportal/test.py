"""Shared test helpers: personas and small assertions used across areas."""

from __future__ import annotations

import os
import secrets
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
from django.conf import settings

from supportal.accounts.models import Organization, Role, User
from supportal.accounts.services import user_create
from supportal.tickets.models import Group, Ticket

PASSWORD = "correct-horse-battery-42"


@dataclass
class Personas:
    acme: Organization
    globex: Organization
    customer: User  # in Acme, which shares requests
    colleague: User  # also in Acme
    outsider: User  # in Globex
    agent: User  # in the Support group
    other_agent: User  # in the Billing group only
    admin: User
    support: Group
    billing: Group


def make_user(
    email: str,
    *,
    name: str = "",
    role: str = Role.CUSTOMER,
    organization: Organization | None = None,
    language: str = "en",
    time_zone: str = "UTC",
    verified: bool = True,
) -> User:
    return user_create(
        email=email,
        name=name or email.split("@")[0].title(),
        password=PASSWORD,
        role=role,
        language=language,
        time_zone=time_zone,
        organization=organization,
        verified=verified,
    )


def make_personas() -> Personas:
    acme = Organization.objects.create(name="Acme", shares_requests=True)
    globex = Organization.objects.create(name="Globex")
    agent = make_user("jiwoo@support.test", name="Jiwoo Agent", role=Role.AGENT)
    other_agent = make_user("kenji@support.test", name="Kenji Billing", role=Role.AGENT)
    support = Group.objects.create(name="Support")
    support.members.add(agent)
    billing = Group.objects.create(name="Billing")
    billing.members.add(other_agent)
    return Personas(
        acme=acme,
        globex=globex,
        customer=make_user("casey@acme.test", name="Casey Customer", organization=acme),
        colleague=make_user("minseo@acme.test", name="Minseo Colleague", organization=acme),
        outsider=make_user("wang@globex.test", name="Wang Outsider", organization=globex),
        agent=agent,
        other_agent=other_agent,
        admin=make_user("alex@support.test", name="Alex Admin", role=Role.ADMIN),
        support=support,
        billing=billing,
    )


def make_ticket(
    requester: User,
    subject: str = "Cannot sign in",
    description: str = "The sign-in page says my password is wrong.",
    *,
    group: Group | None = None,
    **kwargs: object,
) -> Ticket:
    """A request made through the service, as the web form would."""
    from supportal.tickets.services import ticket_create

    return ticket_create(
        requester=requester, subject=subject, description=description, group=group, **kwargs
    )


def session_queries() -> int:
    """Queries a signed-in request spends on its session: none when it is read from Redis."""
    return 0 if settings.SESSION_ENGINE.endswith((".cache", ".cached_db")) else 1


def shared_cache_queries() -> int:
    """Queries one read of the shared cache costs: one on the database cache, none on Redis."""
    backend = settings.CACHES[settings.SHARED_CACHE]["BACKEND"]
    return 1 if backend.endswith("DatabaseCache") else 0


# The project's folder: subprocesses in tests run from here.
ROOT = Path(__file__).resolve().parents[1]


class ScratchDatabase:
    """An empty database of its own for a subprocess: a SQLite file, or, when the suite runs
    on PostgreSQL, a uniquely named database on the same server, dropped afterwards."""

    def __init__(self, tmp_path: Path) -> None:
        given = os.environ.get("DATABASE_URL", "")
        self.postgres = given.startswith(("postgres://", "postgresql://"))
        if self.postgres:
            parts = urlsplit(given)
            self.name = f"supportal_crash_{secrets.token_hex(4)}"
            self.admin_url = urlunsplit(parts._replace(path="/postgres"))
            self.url = urlunsplit(parts._replace(path=f"/{self.name}"))
            with psycopg.connect(self.admin_url, autocommit=True) as connection:
                connection.execute(f'CREATE DATABASE "{self.name}"')
        else:
            self.path = tmp_path / "crash.sqlite3"
            self.url = f"sqlite:///{self.path}"

    def value(self, sql: str) -> Any:
        if self.postgres:
            with psycopg.connect(self.url, autocommit=True) as connection:
                row = connection.execute(sql).fetchone()
        else:
            connection = sqlite3.connect(self.path, timeout=20)
            try:
                row = connection.execute(sql).fetchone()
            finally:
                connection.close()
        assert row is not None
        return row[0]

    def execute(self, sql: str) -> None:
        if self.postgres:
            with psycopg.connect(self.url, autocommit=True) as connection:
                connection.execute(sql)
        else:
            connection = sqlite3.connect(self.path, timeout=20)
            try:
                with connection:
                    connection.execute(sql)
            finally:
                connection.close()

    def drop(self) -> None:
        if self.postgres:
            with psycopg.connect(self.admin_url, autocommit=True) as connection:
                connection.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
