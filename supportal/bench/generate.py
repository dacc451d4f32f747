# Sample texts in four languages; wrapping them would only make them harder to read.
# ruff: noqa: E501
"""A large, realistic set of requests for load tests and benchmarks (`supportal generate_data`).

Rows go in with explicit primary keys, in batches: executemany on SQLite (synchronous=OFF for
the load), COPY on PostgreSQL. Texts come from a pool built once per run, each analysed once,
so a ticket's search terms are joined from its parts and are exactly what
search.index_ticket would write. Every generated account has an address at GENERATED_DOMAIN:
that is how the guard tells a generated data set from real requests.
"""

from __future__ import annotations

import itertools
import json
import math
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from supportal.accounts.models import Role, User
from supportal.bench.generate_sla import TICKET_SLA_COLUMNS, TIMER_COLUMNS, SlaRows
from supportal.core.personalcache import triggers_off
from supportal.core.tasks import refresh_sqlite_statistics
from supportal.helpcenter.management.commands.generate_articles import WORDS
from supportal.tickets import search
from supportal.tickets.demo import load_request_setup
from supportal.tickets.models import UNSOLVED, Group, Status, Tag, Ticket

GENERATED_DOMAIN = "gen.supportal.example"
LANGUAGES = ("en", "ko", "ja", "zh-hans")
LANGUAGE_WEIGHTS = (45, 25, 15, 15)
ZONES = {"en": "Europe/London", "ko": "Asia/Seoul", "ja": "Asia/Tokyo", "zh-hans": "Asia/Shanghai"}
YEARS = 3
BATCH = 5_000

# Final statuses: mostly solved or closed, about a tenth open, some pending.
STATUSES = (Status.NEW, Status.OPEN, Status.PENDING, Status.ON_HOLD, Status.SOLVED, Status.CLOSED)
STATUS_WEIGHTS = (2, 9, 4, 1, 14, 70)
PRIORITY_WEIGHTS = (20, 60, 15, 5)  # low, normal, high, urgent
CHANNELS = (("web", 55), ("email", 40), ("chat", 5))
ASSIGNED = 0.72  # of requests past "new"
NOTE_SHARE = 0.12  # of agent messages
TAGS = ("billing", "refund", "login", "password", "mobile", "android", "ios", "bug",
        "feature-request", "vip", "shipping", "invoice", "api", "sso", "urgent", "follow-up",
        "escalated", "churn-risk", "onboarding", "enterprise", "export", "import", "integration",
        "outage", "security", "gdpr", "duplicate", "how-to", "feedback", "pricing",
        "cancellation", "upgrade", "downgrade", "delivery", "damaged", "returns", "printer",
        "notifications", "2fa", "email")  # fmt: skip
GROUP_NAMES = ("Support", "Billing", "Technical", "Shipping", "Accounts", "Enterprise", "Returns",
               "Mobile", "Integrations", "Security", "Sales", "Partners")  # fmt: skip

NAMES = {
    "en": ("James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Sarah "
           "Emma Olivia Liam Noah Chloe Daniel Grace Samuel",
           "Smith Johnson Williams Brown Jones Garcia Miller Davis Wilson Anderson Taylor Moore "
           "Jackson Martin Lee Clark Lewis Walker Young King"),
    "ko": ("민준 서연 도윤 서윤 시우 지우 하준 하은 주원 지호 지민 수아 예준 윤서 건우 채원",
           "김 이 박 최 정 강 조 윤 장 임 한 오 서 신 권 황"),
    "ja": ("翔 蓮 陽翔 湊 結衣 陽菜 凛 葵 大翔 美咲 悠真 結菜",
           "佐藤 鈴木 高橋 田中 伊藤 渡辺 山本 中村 小林 加藤 吉田 山田"),
    "zh-hans": ("伟 芳 娜 敏 静 丽 强 磊 军 洋 勇 艳 杰 娟 涛 明", "王 李 张 刘 陈 杨 黄 赵 吴 周 徐 孙"),
}  # fmt: skip

# Requests in the customer's voice. {a} an action, {o} an object (the help center's generated
# vocabulary), {n} an order number, {p} a product.
TEXTS: dict[str, dict[str, list[str]]] = {
    "en": {
        "subjects": ["Cannot {a} my {o}", "Problem with my {o}", "How do I {a} the {o}?",
                     "{o} not working since the update", "Need help to {a} {o}",
                     "Urgent: {o} on order {n}"],
        "first": ["Hello, I am trying to {a} my {o} but it fails with an error. My order number is {n}. We are on the {p} plan.",
                  "Since yesterday I cannot {a} the {o}. I tried on the mobile app and on the website. Order {n}.",
                  "Could you help me {a} my {o}? We use {p} and I cannot find the option anywhere."],
        "customer": ["Thanks, I tried that but the {o} still does not work.", "Any update on this? Our team is waiting.",
                     "It works now, thank you for the quick help!", "I attached a screenshot of the error message.",
                     "Order {n} is still not updated.", "We moved to {p} last week, does that change anything?"],
        "agent": ["Thank you for contacting us. Could you send a screenshot of the error?",
                  "I have reset the {o} on our side; please try again in a few minutes.",
                  "Our engineers are looking into order {n}. I will update you as soon as I hear back.",
                  "This is fixed in the latest version of the mobile app. Please update and try again.",
                  "Sorry for the delay. The {p} plan includes this under Settings, where you can {a} the {o}.",
                  "I refunded order {n}; you will see it on your statement within 5 business days."],
        "note": ["Checked the logs: errors on the {o} endpoint for this account.", "Escalated to tier 2, customer is on {p}.",
                 "Possible duplicate of an earlier request about the {o}.", "Refund for order {n} approved by the billing lead."],
    },
    "ko": {
        "subjects": ["{o} {a}가 안 됩니다", "{o} 문제 문의", "{o}을(를) {a}하려면 어떻게 하나요?",
                     "업데이트 후 {o} 오류", "주문 {n} {o} 관련 문의"],
        "first": ["안녕하세요. {o}을(를) {a}하려고 하는데 오류가 납니다. 주문 번호는 {n}이고 {p} 요금제를 쓰고 있습니다.",
                  "어제부터 {o} {a}가 되지 않습니다. 모바일 앱과 웹 모두 해 봤어요. 주문 {n}입니다.",
                  "{o} {a} 방법을 알려 주실 수 있나요? {p}을 사용 중인데 메뉴를 찾을 수 없습니다."],
        "customer": ["알려 주신 대로 해 봤지만 {o}이(가) 여전히 안 됩니다.", "진행 상황이 궁금합니다. 팀이 기다리고 있어요.",
                     "이제 잘 됩니다. 빠르게 도와주셔서 감사합니다!", "오류 화면 캡처를 첨부했습니다.",
                     "주문 {n}이 아직 반영되지 않았습니다."],
        "agent": ["문의해 주셔서 감사합니다. 오류 화면을 캡처해서 보내 주시겠어요?",
                  "저희 쪽에서 {o}을(를) 초기화했습니다. 몇 분 후에 다시 시도해 주세요.",
                  "주문 {n} 건은 담당 부서에서 확인 중입니다. 결과가 나오는 대로 알려 드리겠습니다.",
                  "최신 모바일 앱에서 해결된 문제입니다. 업데이트 후 다시 시도해 주세요.",
                  "주문 {n} 환불을 완료했습니다. 영업일 기준 5일 안에 반영됩니다."],
        "note": ["로그 확인 결과 이 계정의 {o} 요청에서 오류가 발생함.", "2차 지원으로 이관, 고객은 {p} 사용 중.",
                 "이전 {o} 문의와 중복일 수 있음."],
    },
    "ja": {
        "subjects": ["{o}を{a}できません", "{o}の不具合について", "{o}の{a}方法を教えてください",
                     "更新後に{o}が使えない", "注文{n}の{o}について"],
        "first": ["お世話になっております。{o}を{a}しようとするとエラーになります。注文番号は{n}、{p}プランを利用しています。",
                  "昨日から{o}の{a}ができません。モバイルアプリとウェブの両方で試しました。注文{n}です。",
                  "{o}を{a}する方法を教えていただけますか。{p}を使っていますが、設定が見つかりません。"],
        "customer": ["試してみましたが、{o}はまだ使えません。", "その後いかがでしょうか。チームが待っています。",
                     "解決しました。迅速なご対応ありがとうございました。", "エラー画面のスクリーンショットを添付します。"],
        "agent": ["お問い合わせありがとうございます。エラー画面のスクリーンショットをお送りいただけますか。",
                  "こちらで{o}をリセットしました。数分後にもう一度お試しください。",
                  "注文{n}については担当部署で確認中です。わかり次第ご連絡いたします。",
                  "最新のモバイルアプリで修正済みです。更新してからお試しください。"],
        "note": ["ログを確認、このアカウントの{o}でエラーが出ている。", "二次サポートへエスカレーション、{p}のお客様。"],
    },
    "zh-hans": {
        "subjects": ["无法{a}{o}", "{o}出现问题", "如何{a}{o}?", "更新后{o}无法使用", "订单{n}的{o}问题"],
        "first": ["您好，我想{a}{o}，但一直报错。订单号是{n}，我们使用的是{p}。",
                  "从昨天开始无法{a}{o}。手机应用和网页都试过了。订单{n}。",
                  "请问如何{a}{o}？我们用的是{p}，找不到这个选项。"],
        "customer": ["按照您说的试了，但{o}还是不行。", "请问有进展吗？我们的团队在等。",
                     "现在可以了，谢谢你们的快速帮助！", "已附上错误页面的截图。"],
        "agent": ["感谢您的联系。能否发送一张错误页面的截图？", "我们已在后台重置了{o}，请几分钟后再试。",
                  "订单{n}正在由相关部门核实，有结果后会第一时间通知您。", "最新版手机应用已修复此问题，请更新后再试。"],
        "note": ["查看日志：该账户的{o}请求出现错误。", "已升级到二线支持，客户使用{p}。"],
    },
}  # fmt: skip
PRODUCTS = ("Basic", "Pro", "Enterprise")


@dataclass
class Plan:
    tickets: int = 1_000
    messages_per_ticket: int = 5
    customers: int = 500
    agents: int = 20
    organizations: int = 0  # 0: one for every 50 customers
    groups: int = 8
    seed: int = 7


@dataclass
class Report:
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    phases: dict[str, float] = field(default_factory=dict)


Progress = Callable[[str, int], Any]  # (description, total) -> an object with update(n)


class _Quiet:
    def update(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass


def has_other_tickets() -> bool:
    """Whether the database holds requests that generate_data did not make."""
    return Ticket.objects.exclude(requester__email__endswith=f"@{GENERATED_DOMAIN}").exists()


@dataclass
class _Text:
    body: str
    terms: tuple[str, ...]


class _Pool:
    """Texts per language, each analysed once."""

    def __init__(self, rng: random.Random) -> None:
        self.orders = [f"A-{rng.randrange(100_000, 1_000_000)}" for _ in range(5_000)]
        self.topics: dict[str, list[tuple[list[_Text], list[_Text]]]] = {}
        self.replies: dict[str, dict[str, list[_Text]]] = {}
        self._names: dict[str, tuple[str, ...]] = {}
        for language in LANGUAGES:
            words, texts = WORDS[language], TEXTS[language]

            def fill(template: str, a: str, o: str) -> _Text:
                text = template.format(a=a, o=o, n=rng.choice(self.orders), p=rng.choice(PRODUCTS))
                return self.text(text[0].upper() + text[1:])

            self.topics[language] = [
                (
                    [fill(rng.choice(texts["subjects"]), a, o) for _ in range(2)],
                    [fill(rng.choice(texts["first"]), a, o) for _ in range(3)],
                )
                for a in words["actions"]
                for o in words["objects"]
            ]
            self.replies[language] = {
                kind: [
                    fill(rng.choice(texts[kind]), rng.choice(words["actions"]),
                         rng.choice(words["objects"]))
                    for _ in range(40 * len(texts[kind]))
                ]
                for kind in ("customer", "agent", "note")
            }  # fmt: skip

    @staticmethod
    def text(body: str) -> _Text:
        return _Text(body, tuple(search.analyze(body)))

    def terms(self, text: str) -> tuple[str, ...]:
        found = self._names.get(text)
        if found is None:
            found = self._names[text] = tuple(search.analyze(text))
        return found


class _Clock:
    """Epoch seconds to the value a datetime column takes through this connection."""

    def __init__(self, vendor: str) -> None:
        self.epoch = datetime(1970, 1, 1, tzinfo=None if vendor == "sqlite" else UTC)
        self.as_text = vendor == "sqlite"  # Django stores naive UTC text on SQLite

    def __call__(self, seconds: float) -> Any:
        value = self.epoch + timedelta(seconds=seconds)
        return str(value) if self.as_text else value


def _next_id(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")  # noqa: S608 - our tables
        return cursor.fetchone()[0] + 1


def _insert(table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
    if not rows:
        return
    names = ", ".join(columns)
    if connection.vendor == "postgresql":
        with (
            connection.cursor() as cursor,
            cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)
    else:
        marks = ", ".join("?" * len(columns))
        connection.ensure_connection()
        raw = connection.connection
        raw.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)  # noqa: S608


def _fix_sequences(tables: Sequence[str]) -> None:
    """PostgreSQL identity sequences do not move with explicit ids: set them past the max."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
            )


class _FtsTriggers:
    """On SQLite, drops the FTS5 triggers for the load and rebuilds the full-text table once at
    the end: faster than one FTS insert per row (see docs/benchmarks.md)."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled and connection.vendor == "sqlite"
        self.saved: list[str] = []

    def __enter__(self) -> _FtsTriggers:
        if self.enabled:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                    "AND tbl_name = 'tickets_ticketsearch'"
                )
                found = cursor.fetchall()
                self.saved = [sql for _name, sql in found]
                for name, _sql in found:
                    cursor.execute(f'DROP TRIGGER "{name}"')
        return self

    def __exit__(self, *exc: object) -> None:
        if self.enabled:
            with connection.cursor() as cursor:
                for sql in self.saved:
                    cursor.execute(sql)
                fts = search.FTS_TABLE
                cursor.execute(f"INSERT INTO {fts}({fts}) VALUES ('rebuild')")  # noqa: S608


class _DeferredIndexes:
    """Drops the non-unique indexes of the tables being loaded and builds them again at the
    end: one sorted build beats millions of random inserts into each b-tree. Only when the
    load at least doubles the data; a killed load leaves a database to throw away."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.saved: list[str] = []

    def __enter__(self) -> _DeferredIndexes:
        if not self.enabled:
            return self
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(
                    "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = "
                    "current_schema() AND tablename = ANY(%s) "
                    "AND indexdef NOT LIKE 'CREATE UNIQUE%%'",
                    [list(TABLES)],
                )
            else:
                cursor.execute(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
                    " AND sql NOT LIKE 'CREATE UNIQUE%%' AND tbl_name IN (SELECT value FROM "
                    "json_each(%s))",
                    [json.dumps(list(TABLES))],
                )
            found = cursor.fetchall()
            for name, sql in found:
                cursor.execute(f'DROP INDEX "{name}"')
                self.saved.append(sql)
        return self

    def __exit__(self, *exc: object) -> None:
        if not self.saved:
            return
        with connection.cursor() as cursor:
            # Inside a caller's transaction (tests), PostgreSQL refuses CREATE INDEX on a table
            # with deferred foreign-key checks pending: run them now, then defer again.
            pending = connection.vendor == "postgresql" and connection.in_atomic_block
            if pending:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for sql in self.saved:
                cursor.execute(sql)
            if pending:
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")


class Generator:
    def __init__(
        self,
        plan: Plan,
        progress: Progress | None = None,
        fts_rebuild: bool = True,
        defer_indexes: bool = True,
    ) -> None:
        self.plan = plan
        self.defer_indexes = defer_indexes
        self.rng = random.Random(plan.seed)  # noqa: S311 - sample data, not secrets
        self.progress = progress or (lambda _desc, _total: _Quiet())
        self.fts_rebuild = fts_rebuild
        self.report = Report()
        self.clock = _Clock(connection.vendor)
        self.now = timezone.now().timestamp()
        self.replica = False  # PostgreSQL triggers (foreign key checks) off for the load

    def run(self) -> Report:
        started = time.perf_counter()
        self._tune()
        try:
            self.pool = _Pool(self.rng)
            self._phase("pool", started)
            # No personal-page change rows for the load (core/personalcache.py).
            with triggers_off():
                with transaction.atomic():
                    self._people()
                self._phase("people", started)
                defer = self.defer_indexes and Ticket.objects.count() < self.plan.tickets
                with _DeferredIndexes(defer):
                    with _FtsTriggers(self.fts_rebuild):
                        self._tickets()
                        self._phase("tickets", started)
                    self._phase("search rebuild", started)
                self._phase("indexes", started)
            _fix_sequences(["accounts_organization", "accounts_user", "tickets_ticket",
                            "tickets_message", "tickets_ticketevent", "sla_slatimer"])  # fmt: skip
        finally:
            self._tune(load=False)
        if connection.vendor == "postgresql" and not connection.in_atomic_block:
            with connection.cursor() as cursor:
                # What autovacuum would do soon after: planner statistics and the visibility
                # map (index-only scans), so the benchmarks see a settled database.
                for table in [*TABLES, "accounts_user", "accounts_organization"]:
                    cursor.execute(f"VACUUM (ANALYZE) {table}")
            self._phase("vacuum", started)
        if connection.vendor == "sqlite":
            refresh_sqlite_statistics()
            self._phase("analyze", started)
        self.report.seconds = time.perf_counter() - started
        return self.report

    def _phase(self, name: str, started: float) -> None:
        self.report.phases[name] = time.perf_counter() - started - sum(self.report.phases.values())

    def _count(self, table: str, n: int) -> None:
        self.report.rows[table] = self.report.rows.get(table, 0) + n

    def _tune(self, load: bool = True) -> None:
        """Settings of this connection for the load, and back. Foreign keys are not checked
        row by row: the generated rows refer only to rows made before them. Inside a
        caller's transaction (tests), the connection is left as it is."""
        if connection.in_atomic_block:
            return
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                # A crash mid-load loses the last rows, never the file's sanity (WAL stays on);
                # 1 GiB of page cache keeps the indexes being filled in memory.
                pragmas = ("synchronous=OFF", "cache_size=-1048576", "foreign_keys=OFF")
                if not load:
                    pragmas = ("synchronous=NORMAL", "cache_size=-65536", "foreign_keys=ON")
                for pragma in pragmas:
                    cursor.execute(f"PRAGMA {pragma}")
            elif load:
                cursor.execute("SET synchronous_commit TO off")
                cursor.execute("SET maintenance_work_mem TO '512MB'")
                try:
                    with transaction.atomic():  # needs superuser; without, triggers check
                        cursor.execute("SET session_replication_role TO replica")
                    self.replica = True
                except DatabaseError:
                    pass
            else:
                cursor.execute("RESET synchronous_commit")
                cursor.execute("RESET maintenance_work_mem")
                if self.replica:
                    cursor.execute("RESET session_replication_role")

    # People: organizations, customers, agents, groups ------------------------------------

    def _people(self) -> None:
        plan, rng, at = self.plan, self.rng, self.clock
        start = self.now - YEARS * 365 * 86400
        n_orgs = plan.organizations or max(1, plan.customers // 50)
        org_id = _next_id("accounts_organization")
        self.org_ids = list(range(org_id, org_id + n_orgs))
        adjectives = ["Blue", "Bright", "North", "Silver", "Golden", "Green", "Rapid", "Prime"]
        nouns = ["Harbor", "Peak", "Valley", "Bridge", "Forge", "Garden", "Signal", "Field"]
        orgs = [
            (pk, f"{rng.choice(adjectives)} {rng.choice(nouns)} {pk}", rng.random() < 0.3, "",
             at(start + rng.random() * 86400 * 30))
            for pk in self.org_ids
        ]  # fmt: skip
        _insert(
            "accounts_organization",
            ("id", "name", "shares_requests", "email_domains", "created_at"),
            orgs,
        )
        self._count("organizations", len(orgs))

        password = make_password(None)
        user_id = _next_id("accounts_user")
        users = []
        # id, language, organization, name, email
        self.customers: list[tuple[int, str, int | None, str, str]] = []
        self.org_members: dict[int, list[int]] = {}
        managers: set[int] = set()
        for pk in range(user_id, user_id + plan.customers):
            language = rng.choices(LANGUAGES, LANGUAGE_WEIGHTS)[0]
            org = rng.choice(self.org_ids) if rng.random() < 0.75 else None
            manages = org is not None and org not in managers  # one manager an organization
            if org is not None:
                managers.add(org)
                self.org_members.setdefault(org, []).append(pk)
            name = self._name(language)
            email = f"c{pk}@{GENERATED_DOMAIN}"
            self.customers.append((pk, language, org, name, email))
            users.append(
                self._user(pk, password, email, name, Role.CUSTOMER, language, org, manages)
            )
        agent_id = user_id + plan.customers
        self.agent_ids = list(range(agent_id, agent_id + plan.agents))
        for n, pk in enumerate(self.agent_ids):
            role = Role.ADMIN if n % 50 == 49 else Role.AGENT
            language = rng.choices(LANGUAGES, LANGUAGE_WEIGHTS)[0]
            email = f"agent{pk}@{GENERATED_DOMAIN}"
            users.append(
                self._user(pk, password, email, self._name(language), role, language, None, False)
            )
        for chunk in _chunks(users, 20_000):
            _insert("accounts_user", USER_COLUMNS, chunk)
        self._count("customers", plan.customers)
        self._count("agents", plan.agents)

        self.groups: list[Group] = []
        for n in range(plan.groups):
            name = GROUP_NAMES[n % len(GROUP_NAMES)] + ("" if n < len(GROUP_NAMES) else f" {n}")
            self.groups.append(Group.objects.get_or_create(name=f"{name} (generated)")[0])
        self.group_weights = [1 / (n + 1) for n in range(len(self.groups))]
        self.members: dict[int, list[int]] = {group.pk: [] for group in self.groups}
        if self.groups:
            for n, pk in enumerate(self.agent_ids):
                first = self.groups[n] if n < len(self.groups) else self._group()
                chosen = {first.pk}
                if rng.random() < 0.25:
                    chosen.add(self._group().pk)
                for group_id in chosen:
                    self.members[group_id].append(pk)
        _insert(
            "tickets_group_members",
            ("group_id", "user_id"),
            [(group_id, pk) for group_id, pks in self.members.items() for pk in pks],
        )
        self.types, fields = load_request_setup()
        self.fields = fields
        self.tags = [Tag.objects.get_or_create(name=name)[0].pk for name in TAGS]
        self.tag_weights = [1 / (n + 1) ** 0.8 for n in range(len(self.tags))]

    def _user(self, pk: int, password: str, email: str, name: str, role: str, language: str,
              org: int | None, manages: bool) -> tuple[Any, ...]:  # fmt: skip
        joined = self.clock(self.now - YEARS * 365 * 86400 - self.rng.random() * 86400 * 365)
        return (pk, password, None, role == Role.ADMIN, email, name, role, language,
                ZONES[language], True, joined, joined, org, manages, "", True)  # fmt: skip

    def _name(self, language: str) -> str:
        first, last = (names.split() for names in NAMES[language])
        if language == "en":
            return f"{self.rng.choice(first)} {self.rng.choice(last)}"
        separator = " " if language == "ja" else ""
        return f"{self.rng.choice(last)}{separator}{self.rng.choice(first)}"

    def _group(self) -> Group:
        return self.rng.choices(self.groups, self.group_weights)[0]

    # Tickets and everything hanging off them ------------------------------------------------

    def _tickets(self) -> None:
        plan = self.plan
        moments = self._moments()
        self.ticket_id = _next_id("tickets_ticket")
        self.message_id = _next_id("tickets_message")
        self.event_id = _next_id("tickets_ticketevent")
        self.sla = SlaRows(self.groups, self.agent_ids, self.now, _next_id("sla_slatimer"))
        self.tag_names = dict(zip(self.tags, TAGS, strict=True))
        self.field_keys = {f.pk: key for key, f in self.fields.items()}
        self.requester_terms: dict[int, tuple[str, ...]] = {}
        bar = self.progress("requests", plan.tickets)
        counts = self._message_counts()
        for start in range(0, plan.tickets, BATCH):
            stop = min(start + BATCH, plan.tickets)
            self.rows: dict[str, list[tuple[Any, ...]]] = {table: [] for table in TABLES}
            for n in range(start, stop):
                created, status = moments[n]
                self._ticket(created, STATUSES[status], counts[n])
                self.ticket_id += 1
            with transaction.atomic():
                for table, columns in TABLES.items():
                    _insert(table, columns, self.rows[table])
                    self._count(table, len(self.rows[table]))
            bar.update(stop - start)
        bar.close()

    def _moments(self) -> list[tuple[float, int]]:
        """Creation times (growing volume over the years) and final statuses, oldest first.
        Unsolved requests are younger: most backlog is weeks old, not years."""
        rng, span = self.rng, YEARS * 365 * 86400
        found = []
        for _ in range(self.plan.tickets):
            status = rng.choices(range(len(STATUSES)), STATUS_WEIGHTS)[0]
            if STATUSES[status] == Status.NEW:
                age = rng.expovariate(1 / (3 * 86400))
            elif STATUSES[status] in UNSOLVED:
                age = rng.expovariate(1 / (45 * 86400))
            else:
                age = span * (1 - rng.random() ** (2 / 3))
            found.append((self.now - min(age, span) - 60, status))
        found.sort()
        return found

    def _message_counts(self) -> list[int]:
        """Between 1 and 2m-1 messages a request, exactly m on average (pairs balance)."""
        m, counts = self.plan.messages_per_ticket, []
        for _ in range(self.plan.tickets // 2):
            d = self.rng.randint(-(m - 1), m - 1) if m > 1 else 0
            counts += [m + d, m - d]
        if self.plan.tickets % 2:
            counts.append(m)
        return counts

    def _ticket(self, created: float, status: str, n_messages: int) -> None:
        rng, at, rows, pk = self.rng, self.clock, self.rows, self.ticket_id
        customers = self.customers
        requester, language, org, name, email = customers[int(len(customers) * rng.random() ** 2.5)]
        channel = rng.choices(*zip(*CHANNELS, strict=True))[0]
        group = self._group() if self.groups and rng.random() < 0.95 else None
        team = (self.members[group.pk] if group else None) or self.agent_ids
        assignee = None
        if status != Status.NEW and rng.random() < ASSIGNED:
            assignee = rng.choice(team)
        agent = assignee or rng.choice(team)
        subjects, firsts = rng.choice(self.pool.topics[language])
        subject, replies = rng.choice(subjects), self.pool.replies[language]
        # When things happened: a span from minutes to weeks, never past now.
        span = min(math.exp(rng.gauss(10.5, 1.4)), self.now - created - 1)
        times = sorted(created + span * rng.random() for _ in range(n_messages - 1))
        times.insert(0, created)
        texts: list[_Text] = []
        events: list[tuple[Any, ...]] = [(pk, requester, channel, "created", "", "", subject.body,
                                          created)]  # fmt: skip
        last_public = created
        for i, moment in enumerate(times):
            by_customer = i == 0 or status == Status.NEW or i % 2 == 0
            public = True
            if i == 0:
                text = rng.choice(firsts)
            elif by_customer:
                text = rng.choice(replies["customer"])
            elif i >= 3 and rng.random() < NOTE_SHARE:
                text, public = rng.choice(replies["note"]), False
            else:
                text = rng.choice(replies["agent"])
            author = requester if by_customer else agent
            message_channel = channel if by_customer else "web"
            rows["tickets_message"].append(
                (self.message_id, text.body, public, message_channel, at(moment), author, pk)
            )
            if i:
                kind = "replied" if public else "noted"
                events.append((pk, author, message_channel, kind, "message", "",
                               str(self.message_id), moment))  # fmt: skip
            if public:
                last_public = moment
            texts.append(text)
            self.message_id += 1
        solved_at, end = None, times[-1]
        if status != Status.NEW:
            opened = times[1] if n_messages > 1 else created + min(600.0, span)
            end = max(end, opened)
            if assignee:
                events.append((pk, agent, "web", "changed", "assignee", "", str(agent), opened))
            events.append((pk, agent, "web", "changed", "status", "new", "open", opened))
            if status != Status.OPEN:
                end = min(end + rng.random() * 7200, self.now)
                final = Status.SOLVED if status == Status.CLOSED else status
                events.append((pk, agent, "web", "changed", "status", "open", final, end))
                if final == Status.SOLVED:
                    solved_at = end
                if status == Status.CLOSED:
                    if end + 4 * 86400 < self.now:
                        end += 4 * 86400
                        events.append((pk, None, "system", "changed", "status", "solved",
                                       "closed", end))  # fmt: skip
                    else:
                        status = Status.SOLVED
        priority = rng.choices((1, 2, 3, 4), PRIORITY_WEIGHTS)[0]
        type_id = self.types[rng.randrange(len(self.types))].pk if rng.random() < 0.8 else None
        rows["tickets_ticket"].append((
            pk, subject.body, status, status in UNSOLVED, priority, channel, "", at(created),
            at(end), at(solved_at) if solved_at else None, at(last_public), assignee,
            group.pk if group else None, org, requester, type_id, None,
        ))  # fmt: skip
        for event in events:
            rows["tickets_ticketevent"].append((self.event_id, *event[:-1], at(event[-1])))
            self.event_id += 1
        n_tags, n_fields = len(rows["tickets_tickettag"]), len(rows["tickets_ticketfieldvalue"])
        self._extras(pk, created, org, requester)
        timers, sla = self.sla.rows(
            pk=pk, priority=priority, channel=channel, type_id=type_id,
            group_id=group.pk if group else None, organization_id=org, requester=requester,
            tags=frozenset(self.tag_names[t] for t, _pk in rows["tickets_tickettag"][n_tags:]),
            fields={self.field_keys[f]: v for v, f, _pk in rows["tickets_ticketfieldvalue"][n_fields:]},
            events=events, at=at,
        )  # fmt: skip
        rows["sla_slatimer"].extend(timers)
        rows["sla_ticketsla"].extend(sla)
        terms = self.requester_terms.get(requester)
        if terms is None:
            terms = self.pool.terms(name) + self.pool.terms(email)
            self.requester_terms[requester] = terms
        parts = itertools.chain(subject.terms, terms, *(text.terms for text in texts))
        rows["tickets_ticketsearch"].append((pk, " ".join(dict.fromkeys(parts))))

    def _extras(self, pk: int, created: float, org: int | None, requester: int) -> None:
        rng, rows = self.rng, self.rows
        n_tags = rng.choices((0, 1, 2, 3), (40, 35, 18, 7))[0]
        for tag in set(rng.choices(self.tags, self.tag_weights, k=n_tags)):
            rows["tickets_tickettag"].append((tag, pk))
        if rng.random() < 0.3:
            product = rng.choice(("basic", "pro", "enterprise"))
            rows["tickets_ticketfieldvalue"].append((product, self.fields["product"].pk, pk))
        if rng.random() < 0.2:
            order = rng.choice(self.pool.orders)
            rows["tickets_ticketfieldvalue"].append((order, self.fields["order-number"].pk, pk))
        if rng.random() < 0.1:
            score = str(rng.randint(1, 10))
            rows["tickets_ticketfieldvalue"].append((score, self.fields["internal-score"].pk, pk))
        if org is not None and rng.random() < 0.03:
            colleague = rng.choice(self.org_members[org])
            if colleague != requester:
                rows["tickets_ticketcc"].append((self.clock(created), pk, colleague))


USER_COLUMNS = ("id", "password", "last_login", "is_superuser", "email", "name", "role",
                "language", "time_zone", "is_active", "email_verified_at", "date_joined",
                "organization_id", "manages_organization", "phone",
                "keyboard_shortcuts")  # fmt: skip
TABLES = {
    "tickets_ticket": ("id", "subject", "status", "is_open", "priority", "channel",
                       "submission_key", "created_at", "updated_at", "solved_at",
                       "last_message_at", "assignee_id", "group_id", "organization_id",
                       "requester_id", "type_id", "merged_into_id"),
    "tickets_message": ("id", "body", "public", "channel", "created_at", "author_id",
                        "ticket_id"),
    "tickets_ticketevent": ("id", "ticket_id", "actor_id", "channel", "kind", "field",
                            "old_value", "new_value", "created_at"),
    "tickets_tickettag": ("tag_id", "ticket_id"),
    "tickets_ticketfieldvalue": ("value", "field_id", "ticket_id"),
    "tickets_ticketcc": ("created_at", "ticket_id", "user_id"),
    "tickets_ticketsearch": ("ticket_id", "terms"),
    "sla_slatimer": TIMER_COLUMNS,
    "sla_ticketsla": TICKET_SLA_COLUMNS,
}  # fmt: skip


def _chunks(rows: list[tuple[Any, ...]], size: int) -> list[list[tuple[Any, ...]]]:
    return [rows[i : i + size] for i in range(0, len(rows), size)]


def generate(
    plan: Plan,
    progress: Progress | None = None,
    fts_rebuild: bool = True,
    defer_indexes: bool = True,
) -> Report:
    return Generator(plan, progress, fts_rebuild, defer_indexes).run()


def generated_users() -> Any:
    return User.objects.filter(email__endswith=f"@{GENERATED_DOMAIN}")
