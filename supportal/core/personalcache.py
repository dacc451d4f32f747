"""The personal page cache: a signed-in customer's repeat views of their own pages.

A customer waiting for an answer reloads "My requests" or the request page; each full render
costs a session, authentication, twenty middlewares and a template (3-13 ms on this machine).
Views marked `personal_page` (the home page, My requests, a request, the request form, the
profile) keep their body; PersonalPageCacheMiddleware, just inside the anonymous page cache,
stores it for that session and answers the same request again from the copy while nothing
the page depends on can have changed.

What the page depends on, and how a hit checks it:

- **The request:** the key holds every cookie (session, CSRF, language, dismissed notice...),
  host, scheme, path and query string, the active site notice and the legal versions. Only
  GETs without htmx headers; only customers (agents' pages change too often to be worth it).
- **The session:** a hit reads the session's stored row and compares a hash of its data
  with the one kept beside the page, so a sign-out, a new message in the session or any
  change of the session is a miss, as is an expired session. A copy is used for at most
  `MAX_AGE` seconds: the full stack then runs again and notes the session's activity, signs
  out idle sessions and sessions ended elsewhere (accounts/sessions.py), as without the cache.
- **The data:** database triggers (installed after every migrate, see `install_triggers`)
  write a row to `core_pagechange` for every insert, update and delete of what a customer's
  pages show, whoever writes it (the ORM, a queryset `.update()`, raw SQL, another process):
  scope `u:<user id>` for that person's requests (as requester or CC), messages,
  attachments, profile, sessions, devices...; `o:<organization id>` for an organization's
  requests; `*` for what everyone's pages show (settings, groups, forms, agents' names, help
  center content, legal texts). A hit asks whether any row was written for the customer's
  scopes since the page was rendered. On SQLite (one writer at a time, rows numbered in
  commit order) "since" is a row id above the highest one seen before rendering; on
  PostgreSQL it is a row whose transaction the snapshot taken before rendering did not see
  (`pg_visible_in_snapshot`), so a change committed late by a long transaction is not missed.

`TABLES` says, for every table of the project, which scope its rows change or that no
customer page shows it; a test fails when a table is added without saying. Rows older than
`KEEP_CHANGES` seconds are pruned by a periodic task; a copy is never used after `MAX_AGE`.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache, wraps
from typing import Any, ClassVar

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.utils import timezone

from supportal.core.middleware import GetResponse
from supportal.core.pagecache import (
    MAX_QUERY,
    PERSONAL,
    TaggedCopy,
    answer,
    compressed_copy,
    copy_get,
    copy_set,
    marked_view,
    site_key_parts,
    stored_headers,
)

logger = logging.getLogger(__name__)

# A copy is used at most this long after its render: the full stack then notes the session's
# activity once a minute (accounts/sessions.TOUCH_EVERY) and enforces the idle timeout.
MAX_AGE = 60
# Change rows are kept well past MAX_AGE, so none a stored copy must see is pruned first.
KEEP_CHANGES = 15 * 60

# --- What each table's rows change ----------------------------------------------------------

EVERYONE = "*"


@dataclass(frozen=True)
class Route:
    """Whose pages a row written to a table changes."""

    everyone: bool = False  # every customer's (settings, names, content)
    users: tuple[str, ...] = ()  # the people these columns name
    requests: tuple[str, ...] = ()  # the requester, organization and CCs of these requests
    request_row: bool = False  # tickets_ticket itself: its requester, organization and CCs
    person_row: bool = False  # accounts_user: that person; everyone when an agent or admin


ALL = Route(everyone=True)


def users(*columns: str) -> Route:
    return Route(users=columns)


def requests(*columns: str, people: tuple[str, ...] = ()) -> Route:
    return Route(requests=columns, users=people)


# table -> its Route, or None: no customer page shows it (kept off the triggers on purpose).
TABLES: dict[str, Route | None] = {
    # accounts
    "accounts_user": Route(person_row=True),
    "accounts_organization": ALL,
    "accounts_securitypolicy": ALL,
    "accounts_totpdevice": users("user_id"),
    "accounts_recoverycode": users("user_id"),
    "accounts_trustedbrowser": users("user_id"),
    "accounts_passkey": users("user_id"),
    "accounts_usersession": users("user_id"),
    "accounts_user_groups": users("user_id"),
    "accounts_user_user_permissions": users("user_id"),
    # core
    "core_maintenancemode": ALL,
    "core_outboundemail": None,
    "core_pagechange": None,
    # help center: content and notices everyone sees
    "helpcenter_category": ALL,
    "helpcenter_categorytranslation": ALL,
    "helpcenter_section": ALL,
    "helpcenter_sectiontranslation": ALL,
    "helpcenter_label": ALL,
    "helpcenter_article": ALL,
    "helpcenter_article_labels": ALL,
    "helpcenter_articletranslation": ALL,
    "helpcenter_articlemedia": ALL,
    "helpcenter_notice": ALL,
    "helpcenter_noticetranslation": ALL,
    "helpcenter_articlevote": users("user_id"),
    "helpcenter_articlerevision": None,  # editors' history
    "helpcenter_searchlog": None,
    "helpcenter_searchdocument": None,  # the search index (its own version, search/)
    "helpcenter_searchposting": None,
    "helpcenter_searchterm": None,
    "helpcenter_searchstats": None,
    # requests
    "tickets_ticket": Route(request_row=True),
    "tickets_message": requests("ticket_id"),
    "tickets_attachment": requests("ticket_id"),
    "tickets_ticketcc": requests("ticket_id", people=("user_id",)),
    "tickets_ticketfieldvalue": requests("ticket_id"),
    "tickets_tickettag": requests("ticket_id"),
    "tickets_ticketlink": requests("first_id", "second_id"),
    "tickets_ticketevent": requests("ticket_id"),
    "tickets_accesstoken": requests("ticket_id", people=("user_id",)),
    "tickets_deflection": users("user_id"),
    "tickets_group": ALL,
    "tickets_group_members": ALL,
    "tickets_requesttype": ALL,
    "tickets_customfield": ALL,
    "tickets_tag": ALL,
    "tickets_ticketsearch": None,  # the agents' search index
    "tickets_savedview": None,  # agents' views
    "satisfaction_rating": requests("ticket_id"),
    "satisfaction_surveyask": requests("ticket_id"),
    "privacy_erasedticket": requests("ticket_id"),
    # email
    "mail_mailbox": ALL,
    "mail_inboundemail": None,  # what it creates is a message, seen through tickets_message
    "mail_messagereference": None,
    "mail_ticketmailbox": None,
    "mail_bouncingaddress": None,
    # phone: calls show on agents' pages only; logging one changes the request (tickets_ticket)
    # and writes its event (tickets_ticketevent), which route as above
    "phone_call": None,
    # service levels and automation: agents' tools; customers see their effects on requests
    "sla_schedule": ALL,
    "sla_scheduleinterval": ALL,
    "sla_holiday": ALL,
    "sla_groupschedule": ALL,
    "sla_slapolicy": None,
    "sla_slapolicy_request_types": None,
    "sla_slapolicy_groups": None,
    "sla_slapolicy_organizations": None,
    "sla_slatarget": None,
    "sla_grouplead": None,
    "sla_slatimer": None,
    "sla_ticketsla": None,
    "automation_macro": None,
    "rules_agentstatus": None,
    "rules_grouprouting": None,
    "rules_routingrule": None,
    "rules_routingrule_mailboxes": None,
    "rules_routingrule_request_types": None,
    "rules_routingrule_organizations": None,
    "rules_trigger": None,
    "rules_automation": None,
    "rules_automationrun": None,
    # privacy and legal
    "privacy_dataexport": users("person_id"),
    "privacy_personerasure": users("user_id"),
    "privacy_retentionpolicy": ALL,
    "legal_policyversion": ALL,
    "legal_policytext": ALL,
    "legal_policyacceptance": users("user_id"),
    # operations
    "audit_auditentry": None,
    "rum_timingbucket": None,
    "rum_browsererror": None,
    "rum_browsererrorpage": None,
    # live chat: the request and its messages carry what customers' pages show of a chat
    "chat_chatsettings": ALL,
    "chat_chat": None,
    "chat_chatevent": None,
    # semantic search: the vectors of articles and requests; the search reads their
    # generation itself, as it does the lexical index's (helpcenter_searchstats)
    "semantic_embedding": None,
    "semantic_vectorset": None,
    "monitoring_processheartbeat": None,
    "monitoring_periodicrun": None,
    # Django's own
    "django_session": None,  # a hit compares the session row itself
    "django_admin_log": None,
    "django_content_type": None,
    "auth_permission": None,
    "auth_group": None,
    "auth_group_permissions": None,
}


# --- Trigger SQL, per database ----------------------------------------------------------------


@dataclass(frozen=True)
class Dialect:
    vendor: str
    xid: str  # the writing transaction (0 on SQLite: commit order is row order)
    now: str  # seconds since the epoch
    distinct: str  # "differs from", NULLs included

    def insert(self, select: str) -> str:
        return f"INSERT INTO core_pagechange (scope, xid, at) {select};"

    def row(self, scope: str, where: str) -> str:
        return self.insert(f"SELECT {scope}, {self.xid}, {self.now} WHERE {where}")


SQLITE = Dialect("sqlite", "0", "CAST(strftime('%s', 'now') AS INTEGER)", "IS NOT")
POSTGRES = Dialect(
    "postgresql",
    "pg_current_xact_id()::text::bigint",
    "extract(epoch FROM now())::bigint",
    "IS DISTINCT FROM",
)
_STAFF = "({row}.role IN ('agent', 'admin') OR {row}.is_superuser)"


def _request_people(dialect: Dialect, ref: str, where: str = "") -> str:
    """The requester, organization and CCs of the request whose id is `ref`."""
    extra = f" AND {where}" if where else ""
    return dialect.insert(
        f"SELECT 'u:' || requester_id, {dialect.xid}, {dialect.now} FROM tickets_ticket"  # noqa: S608
        f" WHERE id = {ref} AND requester_id IS NOT NULL{extra}"
        f" UNION ALL SELECT 'o:' || organization_id, {dialect.xid}, {dialect.now}"
        f" FROM tickets_ticket WHERE id = {ref} AND organization_id IS NOT NULL{extra}"
        f" UNION ALL SELECT 'u:' || user_id, {dialect.xid}, {dialect.now} FROM tickets_ticketcc"
        f" WHERE ticket_id = {ref}{extra}"
    )


def _statements(dialect: Dialect, route: Route, row: str, moved_from: bool) -> list[str]:
    """What a trigger runs for one row image: `row` is NEW or OLD. With `moved_from` (OLD in
    an UPDATE), only for the people the row no longer names (NEW's are handled as NEW)."""

    def changed(column: str) -> str:
        return f" AND OLD.{column} {dialect.distinct} NEW.{column}" if moved_from else ""

    if route.everyone:
        return [] if moved_from else [dialect.row(f"'{EVERYONE}'", "1 = 1")]
    if route.person_row:
        statements = [] if moved_from else [dialect.row(f"'u:' || {row}.id", "1 = 1")]
        # Agents' names are on customers' requests: an agent's change, or a demotion.
        statements.append(dialect.row(f"'{EVERYONE}'", _STAFF.format(row=row)))
        return statements
    if route.request_row:
        statements = [
            dialect.row(
                f"'{prefix}:' || {row}.{column}", f"{row}.{column} IS NOT NULL{changed(column)}"
            )
            for column, prefix in (("requester_id", "u"), ("organization_id", "o"))
        ]
        if not moved_from:
            statements.append(
                dialect.insert(
                    f"SELECT 'u:' || user_id, {dialect.xid}, {dialect.now} FROM tickets_ticketcc"  # noqa: S608
                    f" WHERE ticket_id = {row}.id"
                )
            )
        return statements
    statements = [
        _request_people(dialect, f"{row}.{column}", changed(column).removeprefix(" AND "))
        for column in route.requests
    ]
    statements += [
        dialect.row(f"'u:' || {row}.{column}", f"{row}.{column} IS NOT NULL{changed(column)}")
        for column in route.users
    ]
    return statements


def trigger_sql(dialect: Dialect, tables: Iterable[str]) -> dict[str, list[str]]:
    """Trigger name -> the statements creating it, for every table TABLES routes somewhere."""
    out: dict[str, list[str]] = {}
    tag = signature(dialect)
    for table in sorted(tables):
        route = TABLES.get(table)
        if route is None:
            continue
        new = _statements(dialect, route, "NEW", moved_from=False)
        old = _statements(dialect, route, "OLD", moved_from=False)
        moved = _statements(dialect, route, "OLD", moved_from=True)
        name = f"pc_{tag}_{table}"[:60]
        if dialect.vendor == "sqlite":
            for op, body in (("INSERT", new), ("DELETE", old), ("UPDATE", new + moved)):
                trigger = f"{name}_{op[0].lower()}"
                out[trigger] = [
                    f'CREATE TRIGGER "{trigger}" AFTER {op} ON "{table}"'
                    f" FOR EACH ROW BEGIN {' '.join(body)} END"
                ]
            continue
        out[name] = [
            f'CREATE FUNCTION "{name}"() RETURNS trigger LANGUAGE plpgsql AS $pc$ BEGIN '
            f"IF TG_OP <> 'DELETE' THEN {' '.join(new)} END IF; "
            f"IF TG_OP = 'DELETE' THEN {' '.join(old)} END IF; "
            f"IF TG_OP = 'UPDATE' THEN NULL; {' '.join(moved)} END IF; "
            "RETURN NULL; END $pc$",
            f'CREATE TRIGGER "{name}" AFTER INSERT OR UPDATE OR DELETE ON "{table}"'
            f' FOR EACH ROW EXECUTE FUNCTION "{name}"()',
        ]
    return out


@lru_cache(maxsize=2)
def signature(dialect: Dialect) -> str:
    """Eight hex digits naming this version of the triggers (the table map and the SQL)."""
    text = repr(sorted(TABLES.items())) + repr(dialect)
    for route in TABLES.values():
        if route is not None:
            for row, moved in (("NEW", False), ("OLD", True)):
                text += repr(_statements(dialect, route, row, moved_from=moved))
    return hashlib.blake2b(text.encode(), digest_size=4).hexdigest()


def _dialect(vendor: str) -> Dialect | None:
    return {"sqlite": SQLITE, "postgresql": POSTGRES}.get(vendor)


def install_triggers(using: str = "default", **kwargs: Any) -> None:
    """Puts the change triggers in place: connected to post_migrate (and so run after every
    migrate and test flush); a no-op when this version's triggers are all there."""
    from django.db import connections

    db = connections[using]
    dialect = _dialect(db.vendor)
    if dialect is None:
        return
    tables = set(db.introspection.table_names())
    if "core_pagechange" not in tables:
        return
    wanted = trigger_sql(dialect, tables)
    with db.cursor() as cursor:
        existing = _existing_triggers(cursor, dialect.vendor)
        if set(existing) == set(wanted):
            return
        _drop_triggers(cursor, dialect.vendor, existing)
        for statements in wanted.values():
            for statement in statements:
                cursor.execute(statement)


def _existing_triggers(cursor: Any, vendor: str) -> dict[str, str]:
    """Our triggers now in the database: name -> table."""
    if vendor == "sqlite":
        cursor.execute("SELECT name, tbl_name FROM sqlite_master WHERE type = 'trigger'")
    else:
        cursor.execute(
            "SELECT t.tgname, c.relname FROM pg_trigger t"
            " JOIN pg_class c ON c.oid = t.tgrelid WHERE NOT t.tgisinternal"
        )
    return {name: table for name, table in cursor.fetchall() if name.startswith("pc_")}


def _drop_triggers(cursor: Any, vendor: str, existing: dict[str, str]) -> None:
    for name, table in existing.items():
        if vendor == "sqlite":
            cursor.execute(f'DROP TRIGGER IF EXISTS "{name}"')
        else:
            cursor.execute(f'DROP TRIGGER IF EXISTS "{name}" ON "{table}"')
            cursor.execute(f'DROP FUNCTION IF EXISTS "{name}"()')


@contextmanager
def triggers_off(using: str = "default") -> Iterator[None]:
    """Without the change triggers for a bulk load of generated data (a million requests
    would write millions of change rows nobody reads); put back afterwards. Copies a live
    server stored meanwhile are not told about what was loaded."""
    from django.db import connections

    db = connections[using]
    if _dialect(db.vendor) is None:
        yield
        return
    with db.cursor() as cursor:
        _drop_triggers(cursor, db.vendor, _existing_triggers(cursor, db.vendor))
    try:
        yield
    finally:
        install_triggers(using)


def prune_changes(older_than: int = KEEP_CHANGES) -> int:
    from supportal.core.models import PageChange

    cutoff = int(time.time()) - older_than
    deleted, _ = PageChange.objects.filter(at__lt=cutoff).delete()
    return deleted


# --- Marking views ------------------------------------------------------------------------------


def personal_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Marks a customer's page that PersonalPageCacheMiddleware may keep for their session."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        user = getattr(request, "user", None)
        if (
            response.status_code == 200
            and not response.streaming
            and user is not None
            and user.is_authenticated
            and user.is_customer
        ):
            response.personal_cache_body = response.content  # type: ignore[attr-defined]
            response.personal_cache_user = (user.pk, user.organization_id)  # type: ignore[attr-defined]
        return response

    wrapper.personal_cache = True  # type: ignore[attr-defined]
    return wrapper


# --- The cache ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry(TaggedCopy):
    body: bytes
    compressed: bytes | None
    headers: tuple[tuple[str, str], ...]
    user: int
    organization: int | None
    session: str  # hash of the session row's data when the page was rendered
    seen: str  # the change log's position before the render (row id, or a snapshot)
    rendered: float

    FORMAT: ClassVar[str] = "personal/1"


def key_for(request: HttpRequest) -> str | None:
    """The copy's key, or None when this request must go through the whole stack."""
    if request.method != "GET" or not settings.PERSONAL_PAGE_CACHE:
        return None
    cookies = request.COOKIES
    session_key = cookies.get(settings.SESSION_COOKIE_NAME)
    if not session_key or "messages" in cookies:
        return None
    meta = request.META
    if "HTTP_HX_REQUEST" in meta:
        return None
    if getattr(settings, "SECURE_SSL_REDIRECT", False) and not request.is_secure():
        return None
    query = meta.get("QUERY_STRING", "")
    if len(query) > MAX_QUERY:
        return None
    path = request.path_info
    if marked_view(path, "personal_cache") is None:
        return None
    site = site_key_parts(request, path)
    if site is None:
        return None
    parts = [
        *site[0],
        path,
        query,
        repr(sorted(cookies.items())),
        # What tells a page view from other fetches (legal/middleware.py asks page views only).
        meta.get("HTTP_ACCEPT", ""),
        meta.get("HTTP_SEC_FETCH_DEST", ""),
        meta.get("HTTP_ACCEPT_LANGUAGE", ""),
    ]
    digest = hashlib.sha256("\n".join(parts).encode("utf-8", "replace")).hexdigest()
    return f"personal:{digest}"


def _hash(data: str) -> str:
    return hashlib.blake2b(data.encode("utf-8", "replace"), digest_size=16).hexdigest()


def _position(session_key: str) -> tuple[str, str] | None:
    """The session row's data hash and the change log's position, read together before the
    render: one query, the only cost of a miss."""
    if connection.vendor == "postgresql":
        sql = (
            "SELECT session_data, pg_current_snapshot()::text FROM django_session"
            " WHERE session_key = %s AND expire_date > %s"
        )
    else:
        sql = (
            "SELECT session_data, (SELECT coalesce(max(id), 0) FROM core_pagechange)"
            " FROM django_session WHERE session_key = %s AND expire_date > %s"
        )
    with connection.cursor() as cursor:
        cursor.execute(sql, [session_key, _now()])
        row = cursor.fetchone()
    return None if row is None else (_hash(row[0]), str(row[1]))


def _now() -> Any:
    return connection.ops.adapt_datetimefield_value(timezone.now())


def _still_valid(entry: Entry, session_key: str) -> bool:
    scopes = [f"u:{entry.user}", EVERYONE]
    if entry.organization is not None:
        scopes.append(f"o:{entry.organization}")
    marks = ", ".join(["%s"] * len(scopes))
    if connection.vendor == "postgresql":
        changed = (
            f"SELECT 1 FROM core_pagechange WHERE scope IN ({marks})"  # noqa: S608
            " AND xid >= pg_snapshot_xmin(%s::pg_snapshot)::text::bigint"
            " AND NOT pg_visible_in_snapshot(xid::text::xid8, %s::pg_snapshot)"
        )
        params = [*scopes, entry.seen, entry.seen]
    else:
        changed = f"SELECT 1 FROM core_pagechange WHERE scope IN ({marks}) AND id > %s"  # noqa: S608
        params = [*scopes, int(entry.seen)]
    sql = (
        f"SELECT session_data, EXISTS({changed}) FROM django_session"  # noqa: S608
        " WHERE session_key = %s AND expire_date > %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, session_key, _now()])
        row = cursor.fetchone()
    return row is not None and not row[1] and _hash(row[0]) == entry.session


def _only_renewed_csrf(request: HttpRequest, response: HttpResponseBase) -> bool:
    """No cookie set but the CSRF cookie, sent again unchanged (Django renews its expiry on
    every page with a form; a copy served within MAX_AGE simply does not)."""
    name = settings.CSRF_COOKIE_NAME
    return all(
        cookie == name and morsel.value == request.COOKIES.get(name)
        for cookie, morsel in response.cookies.items()
    )


class PersonalPageCacheMiddleware:
    """Answers a customer's repeat view of a marked page from their session's copy (above)."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        key = key_for(request)
        if key is None:
            return self.get_response(request)
        session_key = request.COOKIES[settings.SESSION_COOKIE_NAME]
        try:
            entry = Entry.load(copy_get(key))
            if (
                entry is not None
                and time.time() - entry.rendered < MAX_AGE
                and _still_valid(entry, session_key)
            ):
                request.page_cache_user = entry.user  # type: ignore[attr-defined]  # the log
                return answer(
                    request,
                    entry.body,
                    entry.compressed,
                    entry.headers,
                    cache_control=PERSONAL,
                    state="personal",
                )
            before = _position(session_key)
        except DatabaseError:
            logger.warning("personal page cache unreadable; rendering", exc_info=True)
            return self.get_response(request)
        rendered = time.time()
        response = self.get_response(request)
        body = getattr(response, "personal_cache_body", None)
        if body is None or before is None or not _only_renewed_csrf(request, response):
            return response
        session = getattr(request, "session", None)
        if session is None or session.modified:
            # This request changed the session (noted activity, a message...): the row read
            # before no longer matches. Another request's change during the render is caught
            # by the next hit's comparison with that row.
            return response
        user, organization = response.personal_cache_user  # type: ignore[attr-defined]
        headers = stored_headers(response)
        entry = Entry(body, compressed_copy(body), headers, user, organization, *before, rendered)
        copy_set(key, entry.dump(), MAX_AGE)
        return response
