"""Supportal's load-test scenario: visitors, customers and agents at a fixed pace each.

Run it through `python -m supportal.bench.load` (which prepares the data, starts the server and
reads the figures); by hand: `locust -f supportal/bench/locustfile.py --host http://127.0.0.1:8000`
with SUPPORTAL_LOAD_DATA naming the JSON file load.py writes (accounts, articles, queries).

Every task is one page a person asks for (a POST that redirects counts once, as the browser
shows one page), and every simulated person asks for one every 1/PACE seconds on average, so
the request rate is PACE x the number of users. The time between a person's pages is random
(exponential), and each person starts at a random moment: people act independently, so the
server sees Poisson arrivals, as from real people, not bursts of everyone at once (with a
fixed pace, people spawned together stay in step: 30 requests in the same millisecond every
ten seconds, and a queue behind the web workers that real traffic does not make). Each person comes
from an address of their own on the loopback network (127.0.1.1, 127.0.1.2, ...), as real
people come from their own addresses: the server's per-address limits stay as in production.
Every answer is checked for its status and for a marker of the expected page; a 429 is a
failure.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import time
from html import unescape
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

import gevent
from locust import HttpUser, task
from locust.clients import LocustHttpAdapter
from urllib3 import PoolManager

# One page every 1/PACE seconds per simulated person: a person reading, not a script. Slow
# enough that nobody reaches the per-account limits (30 requests an hour, 120 searches a minute).
PACE = float(os.environ.get("SUPPORTAL_LOAD_PACE", "0.1"))
LANGUAGES = ("en", "ko", "ja", "zh-hans")
LANGUAGE_WEIGHTS = (45, 25, 15, 15)  # as in the generated data (bench/generate.py)
LANGUAGE_PREFIX = re.compile(r"^/(en|ko|ja|zh-hans)/")
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
CUSTOMER_LINK = re.compile(r'href="/[a-z-]+/requests/(\d+)/"')
CATEGORY_LINK = re.compile(r'href="/[a-z-]+/help/categories/(\d+)/"')
AGENT_LINK = re.compile(r'href="/[a-z-]+/agent/requests/(\d+)/')
AGENT_VIEWS = ("mine", "unassigned", "open", "pending", "solved")
AGENT_VIEW_WEIGHTS = (40, 20, 25, 10, 5)
REPLIES = (
    "Thank you, that worked.",
    "I tried again this morning and it still fails with the same error.",
    "Here is the order number you asked for: 48213.",
    "감사합니다. 다시 시도해 보겠습니다.",
    "ありがとうございます。もう一度試してみます。",
    "谢谢，我再试一次。",
)


def _data() -> dict[str, Any]:
    path = os.environ.get("SUPPORTAL_LOAD_DATA")
    if not path:
        raise RuntimeError("SUPPORTAL_LOAD_DATA must name the data file that load.py writes.")
    with open(path, encoding="utf-8") as f:
        return json.load(f)


DATA = _data()
_addresses = itertools.count()
# People between spawning and the end of their sign-in: load.py waits for none before it
# measures (a sign-in hashes a password, about a third of a second of a worker's CPU, so a
# hundred of them queued would hold every worker for many seconds).
starting = 0
_accounts = {"customers": itertools.count(), "agents": itertools.count()}


def next_address() -> str:
    """127.0.1.1, 127.0.1.2, ...: Linux routes all of 127.0.0.0/8 to the loopback device,
    and 127.0.0.x stays free for the flood and for people at the machine."""
    n = next(_addresses) % (254 * 254)
    return f"127.0.{1 + n // 254}.{1 + n % 254}"


def next_account(kind: str) -> str:
    emails = DATA[kind]
    return emails[next(_accounts[kind]) % len(emails)]


class FormFields(HTMLParser):
    """The fields of the form whose action ends with `action`: name -> value, with the first
    real option of each select (what a person who must choose would pick)."""

    def __init__(self, action: str) -> None:
        super().__init__()
        self.action = action
        self.inside = False
        self.select: str | None = None
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "form":
            self.inside = (found.get("action") or "").split("?")[0].endswith(self.action)
        if not self.inside:
            return
        name = found.get("name")
        if tag == "input" and name and found.get("type") not in ("file", "checkbox", "radio"):
            self.fields.setdefault(name, found.get("value") or "")
        elif tag == "select" and name:
            self.select = name
            self.fields.setdefault(name, "")
        elif tag == "option" and self.select and not self.fields[self.select]:
            self.fields[self.select] = found.get("value") or ""
        elif tag == "textarea" and name:
            self.fields.setdefault(name, "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self.select = None
        elif tag == "form":
            self.inside = False


def form_fields(page: str, action: str) -> dict[str, str]:
    parser = FormFields(action)
    parser.feed(page)
    return {name: unescape(value) for name, value in parser.fields.items()}


def think_time(user: Person) -> float:
    """Seconds to a person's next page: the gap between two of their pages is exponential with
    a mean of 1/PACE, counted from the start of the last one (as constant_throughput counts),
    so slow answers do not lower the rate asked for until a page takes longer than the gap."""
    now = time.monotonic()
    started = user.task_started or now
    wait = max(0.0, user.rng.expovariate(PACE) - (now - started))
    user.task_started = now + wait
    return wait


class Person(HttpUser):
    """One simulated person: an address of their own, a page every 1/PACE seconds on average."""

    abstract = True
    wait_time = think_time
    spread_start = True  # a random wait before the first page (off for the one-of-each check)
    task_started = 0.0  # when the page being asked for was started (think_time)

    def on_start(self) -> None:
        global starting
        starting += 1
        self.address = next_address()
        pool = PoolManager(source_address=(self.address, 0), maxsize=2)
        self.client.mount("http://", LocustHttpAdapter(pool_manager=pool))
        self.rng = random.Random()  # noqa: S311 - choosing pages, not secrets
        self.lang = self.rng.choices(LANGUAGES, LANGUAGE_WEIGHTS)[0]
        self.landed = ""  # the path of the last page, after any redirect

    def start_at_random(self) -> None:
        """After signing in, a random wait before the first page, so that people spawned in
        the same second do not ask at the same moment."""
        global starting
        starting -= 1
        if self.spread_start:
            gevent.sleep(self.rng.uniform(0, 1 / PACE))
        self.task_started = time.monotonic()

    def page(
        self,
        method: str,
        url: str,
        marker: str | None,
        name: str,
        *,
        fragment: bool = False,
        redirected: bool = False,
        **kwargs: Any,
    ) -> str | None:
        """Requests one page and checks it: status 200, the marker in the page (or, for an
        htmx fragment, no whole page), and for a form post the redirect that means success.
        Returns the page when it passed."""
        headers = {"HX-Request": "true"} if fragment else {}
        with self.client.request(
            method, url, name=name, headers=headers, catch_response=True, **kwargs
        ) as response:
            text = response.text or ""
            self.landed = urlsplit(response.url or "").path
            if response.status_code != 200:
                response.failure(f"status {response.status_code}")
            elif redirected and not response.history:
                response.failure("the form was not accepted (no redirect)")
            elif fragment and "<html" in text:
                response.failure("a whole page where a fragment was expected")
            elif marker and marker not in text:
                response.failure(f"{marker!r} missing from the page")
            else:
                response.success()
                return text
        return None

    def sign_in(self, email: str, next_path: str) -> str | None:
        """Signs in through the form, once per simulated person (two requests, before the
        measured part of a run). Sign-in lands in the user's own language: we keep it."""
        login = f"/en/accounts/login/?next={next_path}"
        form = self.page("GET", login, "csrfmiddlewaretoken", "sign in: form")
        data = {"csrfmiddlewaretoken": csrf(form), "username": email, "password": DATA["password"]}
        landed = self.page("POST", login, None, "sign in", data=data, redirected=True)
        found = LANGUAGE_PREFIX.match(self.landed)
        if landed is not None and found:
            self.lang = found.group(1)
        return landed


def csrf(page: str | None) -> str:
    found = CSRF.search(page or "")
    return found.group(1) if found else ""


class Visitor(Person):
    """Someone reading the help center without an account: pages, search, suggestions."""

    weight = 70

    def on_start(self) -> None:
        super().on_start()
        self.categories: list[str] = []
        if not DATA["articles"].get(self.lang):  # a help center without this language
            self.lang = next(lang for lang in LANGUAGES if DATA["articles"].get(lang))
        # Straight to an article in their language, as from a search engine.
        self.articles = DATA["articles"][self.lang]
        self.queries = DATA["queries"].get(self.lang) or DATA["queries"]["en"]
        self.start_at_random()

    @task(10)
    def home(self) -> None:
        url = f"/{self.lang}/help/"
        page = self.page("GET", url, 'id="hc-search"', "visitor: help center home")
        self.categories = CATEGORY_LINK.findall(page or "") or self.categories

    @task(6)
    def category(self) -> None:
        """A topic from the home page (visited first when this person has not seen it)."""
        if not self.categories:
            return self.home()
        url = f"/{self.lang}/help/categories/{self.rng.choice(self.categories)}/"
        self.page("GET", url, 'id="hc-section-', "visitor: category")
        return None

    @task(32)
    def article(self) -> None:
        url = f"/{self.lang}/help/articles/{self.rng.choice(self.articles)}/"
        self.page("GET", url, 'id="hc-article-title"', "visitor: article")

    @task(4)
    def faq(self) -> None:
        self.page("GET", f"/{self.lang}/help/faq/", "FAQPage", "visitor: FAQ")

    @task(12)
    def search(self) -> None:
        url = f"/{self.lang}/help/search/"
        params = {"q": self.rng.choice(self.queries)}
        self.page("GET", url, 'id="results-heading"', "visitor: search", params=params)

    @task(10)
    def suggest(self) -> None:
        """One as-you-type request: the first few characters of a query."""
        query = self.rng.choice(self.queries)
        params = {"q": query[: self.rng.randint(2, max(2, len(query)))]}
        url = f"/{self.lang}/help/search/suggest/"
        self.page("GET", url, None, "visitor: suggest", fragment=True, params=params)


class Writer(Person):
    """Someone signed in who reads requests and writes in them: `opened` is the last request
    page they read, with its reply form when the request is open."""

    abstract = True
    detail_marker = ""  # a marker of the request page
    page_name = ""  # the request page's name in the figures

    def on_start(self) -> None:
        super().on_start()
        self.numbers: list[int] = []  # requests seen in the last list
        self.open_numbers: list[int] = []  # requests seen in a list of open ones
        self.opened: tuple[int, str] | None = None

    def detail_url(self, number: int) -> str:
        raise NotImplementedError

    def open_request(self, number: int, name: str) -> None:
        page = self.page("GET", self.detail_url(number), self.detail_marker, name)
        self.opened = (number, page) if page else None

    def reply_target(self) -> tuple[int, str] | None:
        """The request just read, when it can take a reply; else None after opening an open
        one (that page is this turn's request)."""
        if self.opened and f"{self.detail_url(self.opened[0])}reply" in self.opened[1]:
            return self.opened
        if self.open_numbers:
            self.open_request(self.rng.choice(self.open_numbers), self.page_name)
        else:
            self.list_open()
        return None

    def list_open(self) -> None:
        raise NotImplementedError


class Customer(Writer):
    """A signed-in customer: My requests, one of them, a reply, a new request."""

    weight = 15
    detail_marker = 'id="request-title"'
    page_name = "customer: request page"

    def on_start(self) -> None:
        super().on_start()
        self.form: str | None = None
        landed = self.sign_in(next_account("customers"), "/en/requests/?status=open")
        self.remember(landed, open_only=True)
        self.start_at_random()

    def detail_url(self, number: int) -> str:
        return f"/{self.lang}/requests/{number}/"

    def remember(self, page: str | None, open_only: bool = False) -> None:
        numbers = [int(n) for n in CUSTOMER_LINK.findall(page or "")]
        if numbers:
            self.numbers = numbers
            if open_only:
                self.open_numbers = numbers

    @task(25)
    def my_requests(self) -> None:
        url = f"/{self.lang}/requests/"
        self.remember(self.page("GET", url, 'class="request-count"', "customer: my requests"))

    @task(5)
    def list_open(self) -> None:
        url = f"/{self.lang}/requests/?status=open"
        page = self.page("GET", url, 'class="request-count"', "customer: my open requests")
        self.remember(page, open_only=True)

    @task(30)
    def request_page(self) -> None:
        if not self.numbers:
            return self.my_requests()
        return self.open_request(self.rng.choice(self.numbers), self.page_name)

    @task(7)
    def reply(self) -> None:
        target = self.reply_target()
        if target is None:
            return
        number, page = target
        self.opened = None
        data = {"csrfmiddlewaretoken": csrf(page), "body": self.rng.choice(REPLIES)}
        url = f"{self.detail_url(number)}reply"
        self.page("POST", url, self.detail_marker, "customer: reply", data=data, redirected=True)

    @task(8)
    def new_request_form(self) -> None:
        url = f"/{self.lang}/requests/new"
        self.form = self.page("GET", url, 'id="request-key"', "customer: new request form")

    @task(8)
    def suggest_while_typing(self) -> None:
        params = {"subject": self.rng.choice(DATA["queries"].get(self.lang) or ["help"])}
        url = f"/{self.lang}/requests/new/suggest"
        self.page("GET", url, None, "customer: suggest", fragment=True, params=params)

    @task(5)
    def submit(self) -> None:
        if not self.form:
            return self.new_request_form()
        fields = form_fields(self.form, "/requests/new")
        self.form = None  # a person sends a form once
        query = self.rng.choice(DATA["queries"].get(self.lang) or ["help"])
        fields["subject"] = f"{query} ({self.rng.randint(1000, 9999)})"
        fields["description"] = f"{self.rng.choice(REPLIES)} {query}."
        url = f"/{self.lang}/requests/new"
        page = self.page(
            "POST", url, self.detail_marker, "customer: submit", data=fields, redirected=True
        )
        found = re.search(r"/requests/(\d+)/", self.landed)
        if page and found:
            self.open_numbers.append(int(found.group(1)))
            self.opened = (int(found.group(1)), page)
        return None


class Agent(Writer):
    """A signed-in agent: inbox views, a request (and its presence poll), replies, notes."""

    weight = 15
    detail_marker = 'id="reply-form"'
    page_name = "agent: request page"

    def on_start(self) -> None:
        super().on_start()
        self.sign_in(next_account("agents"), "/en/agent/")
        self.list_open()
        self.start_at_random()

    def detail_url(self, number: int) -> str:
        return f"/{self.lang}/agent/requests/{number}/"

    def view(self, key: str) -> None:
        url = f"/{self.lang}/agent/views/{key}"
        page = self.page("GET", url, 'class="inbox-header"', "agent: inbox view")
        numbers = [int(n) for n in AGENT_LINK.findall(page or "")]
        if numbers:
            self.numbers = numbers
            if key in ("mine", "open", "unassigned"):
                self.open_numbers = numbers

    def list_open(self) -> None:
        self.view("open")

    @task(30)
    def inbox(self) -> None:
        self.view(self.rng.choices(AGENT_VIEWS, AGENT_VIEW_WEIGHTS)[0])

    @task(35)
    def request_page(self) -> None:
        if not self.numbers:
            return self.list_open()
        return self.open_request(self.rng.choice(self.numbers), self.page_name)

    @task(20)
    def presence(self) -> None:
        """The request page asks every 10 s who else is looking at it."""
        if not self.opened:
            return self.request_page()
        url = f"{self.detail_url(self.opened[0])}presence"
        self.page("GET", url, None, "agent: presence", fragment=True)
        return None

    def write(self, kind: str, name: str) -> None:
        target = self.reply_target()
        if target is None:
            return
        number, page = target
        self.opened = None
        data = {
            "csrfmiddlewaretoken": csrf(page),
            "kind": kind,
            "body": self.rng.choice(REPLIES),
            "status": "",
        }
        url = f"{self.detail_url(number)}reply"
        self.page("POST", url, self.detail_marker, name, data=data, redirected=True)

    @task(8)
    def reply(self) -> None:
        self.write("public", "agent: reply")

    @task(7)
    def note(self) -> None:
        self.write("note", "agent: internal note")
