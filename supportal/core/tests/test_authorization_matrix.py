"""Every URL pattern of the project, opened by every persona, pointed at objects they may not see.

The routes come from the URL resolver, so a page added tomorrow is covered without anyone
remembering to add it here. For each route and persona the test asks it by GET (plain and with
a search query that matches every secret below) and by POST, with the route's parameters filled
with objects of another customer, another group, a draft or an agents-only article, and checks
what the persona gets back:

- never a server error;
- the role rule of the view holds (customers never open agent pages, agents never admin pages,
  visitors are sent to sign in);
- no page, fragment or download contains a marker of something the persona may not see:
  another customer's request (subject, message, attachment name, email address), an internal
  note or its file, a request of a group the agent is not in, an unpublished or agents-only
  article.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from supportal.accounts.models import User
from supportal.core.tests.test_access import our_views
from supportal.helpcenter import services as helpcenter
from supportal.helpcenter.models import Visibility
from supportal.test import Personas, make_ticket, make_user
from supportal.tickets.models import Attachment, Ticket
from supportal.tickets.services import ticket_reply

SEARCH = "secret"
_PARAM = re.compile(r"<(?:(?P<converter>[a-z]+):)?(?P<name>\w+)>")


@dataclass
class World:
    personas: Personas
    acme_ticket: Ticket  # the customer's, in the Support group
    globex_ticket: Ticket  # the outsider's, in the Support group
    billing_ticket: Ticket  # a third customer's, in the Billing group
    acme_attachment: Attachment
    acme_internal_attachment: Attachment
    globex_attachment: Attachment
    draft_article_id: int
    agents_article_id: int
    markers: dict[str, str] = field(default_factory=dict)


def _upload(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"plain text for the matrix\n", content_type="text/plain")


def _ticket_with_files(requester: User, group: Any, tag: str, agent: User) -> Ticket:
    ticket = make_ticket(
        requester,
        subject=f"{tag} {SEARCH} subject",
        description=f"{tag.lower()}-{SEARCH}-body",
        group=group,
        attachments=[_upload(f"{tag.lower()}-{SEARCH}-file.txt")],
    )
    ticket_reply(
        ticket=ticket,
        author=agent,
        body=f"{tag.lower()}-{SEARCH}-internal-note",
        public=False,
        attachments=[_upload(f"{tag.lower()}-{SEARCH}-internal-file.txt")],
    )
    return ticket


def _article(title: str, *, status: str, visibility: str) -> int:
    article = helpcenter.article_create(section=None, visibility=visibility)
    helpcenter.translation_save(
        article=article, locale="en", title=title, body=f"{title} body", status=status
    )
    return article.pk


@pytest.fixture
def world(personas: Personas) -> World:
    third = make_user("dana@initech.test", name="Dana Thirdparty")
    acme = _ticket_with_files(personas.customer, personas.support, "AcmeQX81", personas.agent)
    globex = _ticket_with_files(personas.outsider, personas.support, "GlobexZK22", personas.agent)
    billing = _ticket_with_files(third, personas.billing, "BillingMM31", personas.other_agent)

    def files(ticket: Ticket) -> tuple[Attachment, Attachment]:
        public = Attachment.objects.get(ticket=ticket, message__public=True)
        internal = Attachment.objects.get(ticket=ticket, message__public=False)
        return public, internal

    acme_public, acme_internal = files(acme)
    globex_public, _globex_internal = files(globex)
    return World(
        personas=personas,
        acme_ticket=acme,
        globex_ticket=globex,
        billing_ticket=billing,
        acme_attachment=acme_public,
        acme_internal_attachment=acme_internal,
        globex_attachment=globex_public,
        draft_article_id=_article(
            f"DraftTT19 {SEARCH} article", status="draft", visibility=Visibility.EVERYONE
        ),
        agents_article_id=_article(
            f"AgentsUU55 {SEARCH} article", status="published", visibility=Visibility.AGENTS
        ),
    )


def _ticket_markers(tag: str) -> list[str]:
    low = tag.lower()
    return [f"{tag} {SEARCH} subject", f"{low}-{SEARCH}-body", f"{low}-{SEARCH}-file"]


def _internal_markers(tag: str) -> list[str]:
    low = tag.lower()
    return [f"{low}-{SEARCH}-internal-note", f"{low}-{SEARCH}-internal-file"]


_ARTICLES = ["DraftTT19", "AgentsUU55"]


@dataclass
class Persona:
    name: str
    user: User | None
    forbidden: list[str]
    # The request and attachment of someone else this persona tries to reach.
    ticket: Ticket
    attachment: Attachment


def persona(world: World, name: str) -> Persona:
    p = world.personas
    every_ticket = ["AcmeQX81", "GlobexZK22", "BillingMM31"]
    internal = [m for tag in every_ticket for m in _internal_markers(tag)]
    if name == "visitor":
        forbidden = [m for tag in every_ticket for m in _ticket_markers(tag)]
        forbidden += internal + _ARTICLES + [p.customer.email, p.outsider.email]
        return Persona(name, None, forbidden, world.acme_ticket, world.acme_attachment)
    if name == "customer":
        forbidden = _ticket_markers("GlobexZK22") + _ticket_markers("BillingMM31")
        forbidden += internal + _ARTICLES + [p.outsider.email, "dana@initech.test"]
        return Persona(name, p.customer, forbidden, world.globex_ticket, world.globex_attachment)
    if name == "outsider":
        forbidden = _ticket_markers("AcmeQX81") + _ticket_markers("BillingMM31")
        forbidden += internal + _ARTICLES + [p.customer.email, "dana@initech.test"]
        return Persona(name, p.outsider, forbidden, world.acme_ticket, world.acme_attachment)
    if name == "agent":  # in Support only: the Billing request is not theirs
        forbidden = _ticket_markers("BillingMM31") + _internal_markers("BillingMM31")
        billing_file = Attachment.objects.filter(ticket=world.billing_ticket).first()
        assert billing_file is not None
        return Persona(name, p.agent, forbidden, world.billing_ticket, billing_file)
    if name == "other_agent":  # in Billing only
        forbidden = [m for tag in ("AcmeQX81", "GlobexZK22") for m in _ticket_markers(tag)]
        forbidden += _internal_markers("AcmeQX81") + _internal_markers("GlobexZK22")
        return Persona(name, p.other_agent, forbidden, world.acme_ticket, world.acme_attachment)
    raise AssertionError(name)


def _rule(callback: Any) -> str:
    return getattr(callback, "access_rule", None) or callback.view_class.access_rule


def _urls(route: str, world: World, who: Persona) -> list[str]:
    """The route with its parameters filled in; more than one URL when a parameter has several
    interesting values (a draft and an agents-only article)."""
    values: dict[str, list[str]] = {
        "number": [str(who.ticket.pk)],
        "other": [str(world.globex_ticket.pk)],
        "user_id": [str(world.personas.outsider.pk)],
        "article_id": [str(world.draft_article_id), str(world.agents_article_id)],
        "token": ["A" * 43],
        "uidb64": ["MQ"],
        "filename": [who.attachment.filename],
        "path": ["attachments/../../settings.py"],
        "direction": ["down"],
        "key": ["all"],
        "locale": ["en"],
    }
    if "attachments/" in route:
        values["pk"] = [str(who.attachment.pk), str(world.acme_internal_attachment.pk)]
    urls = ["/" + route]
    for match in _PARAM.finditer(route):
        name = match.group("name")
        options = values.get(name, ["1"])
        urls = [url.replace(match.group(0), option, 1) for url in urls for option in options]
    return urls


def _text(response: Any) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode("utf-8", "replace")
    return response.content.decode("utf-8", "replace")


@pytest.mark.django_db
class AuthorizationMatrixTests:
    @pytest.mark.parametrize("name", ["visitor", "customer", "outsider", "agent", "other_agent"])
    def test_nobody_reaches_what_they_may_not_see(self, world: World, name: str) -> None:
        who = persona(world, name)
        client = Client(raise_request_exception=False)
        problems: list[str] = []
        routes = list(our_views())
        assert len(routes) > 100
        for route, callback in routes:
            rule = _rule(callback)
            for url in _urls(route, world, who):
                for method, query in (("get", ""), ("get", f"?q={SEARCH}&page=2"), ("post", "")):
                    if who.user is not None:
                        client.force_login(who.user)  # some routes sign out
                    data = {"q": SEARCH, "body": "matrix"} if method == "post" else None
                    response = getattr(client, method)(url + query, data)
                    label = f"{method.upper()} {url}{query} as {name}"
                    problems += _check(response, rule, who, label, url)
        assert problems == []


def _check(response: Any, rule: str, who: Persona, label: str, url: str) -> list[str]:
    status = response.status_code
    if status >= 500:
        return [f"{label}: {status}"]
    problems = []
    user = who.user
    customer_or_visitor = user is None or not user.is_agent
    if (
        rule in ("agent", "admin")
        and customer_or_visitor
        and (status == 200 or (status == 302 and user is not None))
    ):
        problems.append(f"{label}: {status} on an agents' page")
    plain_agent = user is not None and user.is_agent and not user.is_admin
    if rule == "admin" and plain_agent and status not in (403, 404):
        problems.append(f"{label}: {status} on an admins' page")
    if rule == "signed_in" and user is None and status == 200:
        problems.append(f"{label}: 200 without signing in")
    if status in (301, 302, 303):
        return problems
    # The not-found page repeats the address asked for (in its links to the other languages),
    # which holds the file name the persona typed; that is not a leak.
    text = _text(response).replace(url.split("/", 2)[-1], "")
    problems += [f"{label}: shows {marker!r}" for marker in who.forbidden if marker in text]
    return problems


SQL_INJECTION = [
    "' OR '1'='1' --",
    "1; DROP TABLE tickets_ticket; --",
    '" UNION SELECT email, password FROM accounts_user --',
    "-1) OR 1=1 --",
    "99999999999999999999999999",
    "%' AND 1=CAST((SELECT password FROM accounts_user LIMIT 1) AS INT) --",
]
# Every query parameter our views read (filters, sorts, searches, paging), and common ones.
PARAMETERS = [
    "q",
    "page",
    "view",
    "sort",
    "order",
    "dir",
    "status",
    "priority",
    "group",
    "assignee",
    "tag",
    "type",
    "channel",
    "after",
    "before",
    "seen",
    "scope",
    "rating",
    "category",
    "key",
    "field",
    "locale",
    "log",
    "macro",
    "history",
    "ids",
    "number",
    "subject",
    "action",
    "actor",
    "role",
    "organization",
    "from",
    "to",
    "next",
    "feedback",
    "form",
    "was",
    "moved",
]


@pytest.mark.django_db
class HostileParameterTests:
    @pytest.mark.parametrize("name", ["visitor", "customer", "agent"])
    def test_sql_in_every_filter_sort_and_search_changes_nothing(
        self, world: World, name: str
    ) -> None:
        who = persona(world, name)
        admin = name == "agent"
        client = Client(raise_request_exception=False)
        tickets, users = Ticket.objects.count(), User.objects.count()
        problems: list[str] = []
        for route, callback in our_views():
            rule = _rule(callback)
            for url in _urls(route, world, who)[:1]:
                # Each parameter gets two of the payloads, a different pair per parameter.
                for shift in (0, len(SQL_INJECTION) // 2):
                    user = world.personas.admin if admin else who.user
                    if user is not None:
                        client.force_login(user)
                    query = {
                        parameter: SQL_INJECTION[(i + shift) % len(SQL_INJECTION)]
                        for i, parameter in enumerate(PARAMETERS)
                    }
                    response = client.get(url, query)
                    label = f"GET {url} with {query} as {name}"
                    if admin:  # the admin may see everything: only no error
                        problems += [f"{label}: 500"] if response.status_code >= 500 else []
                    else:
                        problems += _check(response, rule, who, label, url)
        assert problems == []
        assert (Ticket.objects.count(), User.objects.count()) == (tickets, users)

    @pytest.mark.parametrize(
        "path",
        [
            "/media/../settings.py",
            "/media/..%2f..%2fsupportal%2fsettings.py",
            "/media/%2e%2e/%2e%2e/etc/passwd",
            "/media/attachments/..%5c..%5csettings.py",
            "/media//etc/passwd",
            "/media/attachments/a%00.txt",
            "/en/requests/1/attachments/1/..%2f..%2fsettings.py",
        ],
    )
    def test_path_traversal_in_file_urls_is_refused(self, world: World, path: str) -> None:
        client = Client(raise_request_exception=False)
        client.force_login(world.personas.customer)
        response = client.get(path)
        assert response.status_code in (400, 404)
        assert b"SECRET_KEY" not in response.content and b"root:" not in response.content


_CSRF_EXEMPT = {
    "mail/inbound/<str:token>",  # a mail service's POST; the URL's secret is the key
    "rum/",  # browser timings: reads no session or cookie, so a forged beacon gains nothing
    "api/phone/events",  # a telephony system's POST; its bearer secret is the key
}


@pytest.mark.django_db
class EveryPostTests:
    def test_every_post_needs_the_csrf_token(self, world: World) -> None:
        client = Client(enforce_csrf_checks=True, raise_request_exception=False)
        refused, accepted = 0, []
        for route, _callback in our_views():
            for url in _urls(route, world, persona(world, "agent"))[:1]:
                client.force_login(world.personas.admin)
                # Forms on pages every visitor shares carry no token (core/pagecache.py
                # same_origin_post): a browser's cross-site POST is refused on its headers.
                forged = getattr(_callback, "same_origin_only", False)
                headers = {"Sec-Fetch-Site": "cross-site"} if forged else {}
                response = client.post(url, {"q": "x"}, headers=headers)
                if response.status_code == 403 and b"csrf" in response.content.lower():
                    refused += 1
                elif response.status_code != 405 and route not in _CSRF_EXEMPT:
                    accepted.append(f"{url}: {response.status_code}")
        assert accepted == []
        assert refused > 80

    def test_every_page_sends_the_security_headers(self, world: World) -> None:
        client = Client(raise_request_exception=False)
        pages, problems = 0, []
        for who in (None, world.personas.customer, world.personas.admin):
            for route, _callback in our_views():
                if who is not None:
                    client.force_login(who)
                for url in _urls(route, world, persona(world, "agent"))[:1]:
                    response = client.get(url)
                    if not response.get("Content-Type", "").startswith("text/html"):
                        continue
                    pages += 1
                    policy = response.get("Content-Security-Policy", "")
                    if (
                        "frame-ancestors" not in policy
                        or "unsafe-inline" in policy.split("style-src")[0]
                    ):
                        problems.append(f"{url}: Content-Security-Policy {policy!r}")
                    for header, value in (
                        ("X-Content-Type-Options", "nosniff"),
                        ("Referrer-Policy", "same-origin"),
                    ):
                        if response.get(header) != value:
                            problems.append(f"{url}: {header} {response.get(header)!r}")
            client.logout()
        assert problems == []
        assert pages > 100
