# Demo requests are prose in four languages; wrapping them would only make them harder to edit.
# ruff: noqa: E501
"""Demo requests for `supportal demo` (idempotent).

Groups, request types and custom fields are found again by name or key; each demo request is
made with a fixed submission key, so a second run finds it and changes nothing. Requests are
built through the services, so their events, search terms and notifications are the real ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction

from supportal.accounts.models import User
from supportal.lib.phone import normalize_phone
from supportal.tickets.models import CustomField, Group, Priority, RequestType, Status, Ticket
from supportal.tickets.services import Changes, ticket_create, ticket_reply, ticket_update

GROUPS = [
    # name, description, member emails
    (
        "Support",
        "Questions and problems with the product",
        ["agent@example.com", "agent.ja@example.com"],
    ),
    ("Billing", "Invoices, payments and refunds", ["admin@example.com"]),
]

REQUEST_TYPES = [
    {"en": "Question", "ko": "질문", "ja": "質問", "zh-hans": "咨询"},
    {"en": "Problem", "ko": "문제", "ja": "不具合", "zh-hans": "问题"},
    {"en": "Billing", "ko": "결제", "ja": "請求", "zh-hans": "账单"},
    {"en": "Feature request", "ko": "기능 요청", "ja": "機能のご要望", "zh-hans": "功能建议"},
]

PRODUCTS = [
    {
        "value": "basic",
        "labels": {"en": "Basic", "ko": "베이직", "ja": "ベーシック", "zh-hans": "基础版"},
    },
    {"value": "pro", "labels": {"en": "Pro", "ko": "프로", "ja": "プロ", "zh-hans": "专业版"}},
    {
        "value": "enterprise",
        "labels": {
            "en": "Enterprise",
            "ko": "엔터프라이즈",
            "ja": "エンタープライズ",
            "zh-hans": "企业版",
        },
    },
]

CUSTOM_FIELDS = [
    # key, labels, kind, choices, customer visible
    (
        "order-number",
        {"en": "Order number", "ko": "주문 번호", "ja": "注文番号", "zh-hans": "订单号"},
        CustomField.Kind.TEXT,
        [],
        True,
    ),
    (
        "product",
        {"en": "Product", "ko": "제품", "ja": "製品", "zh-hans": "产品"},
        CustomField.Kind.DROPDOWN,
        PRODUCTS,
        True,
    ),
    (
        "internal-score",
        {"en": "Internal score", "ko": "내부 점수", "ja": "社内スコア", "zh-hans": "内部评分"},
        CustomField.Kind.NUMBER,
        [],
        False,
    ),
]


@dataclass
class Step:
    """One thing that happens to a demo request after it is made, in order."""

    author: str  # an email
    body: str = ""  # a reply or note; empty for a change only
    public: bool = True
    status: str | None = None
    assignee: str | None = None  # an email
    tags: list[str] = field(default_factory=list)


@dataclass
class DemoRequest:
    key: str  # the submission key that finds it again
    requester: str
    subject: str
    description: str
    type: int  # index in REQUEST_TYPES
    group: str | None
    priority: int = Priority.NORMAL
    fields: dict[str, str] = field(default_factory=dict)
    steps: list[Step] = field(default_factory=list)


REQUESTS = [
    DemoRequest(
        "demo-request-1", "customer@example.com", "The mobile app crashes when I upload a photo",
        "Since this morning the iOS app closes as soon as I attach a photo to an order. I tried restarting the phone.",
        1, "Support", Priority.HIGH, {"order-number": "A-204518", "product": "pro", "internal-score": "7"},
        [
            Step("agent@example.com", assignee="agent@example.com", tags=["mobile", "crash"]),
            Step("agent@example.com", "Thank you for the report. Which version of the app do you have? You can find it under Settings > About."),
            Step("agent.ja@example.com", "Same crash as the one the mobile team is fixing in 4.2; waiting for their release date.", public=False),
            Step("customer@example.com", "It is version 4.1.3 on an iPhone 13."),
        ],
    ),
    DemoRequest(
        "demo-request-2", "customer@example.com", "Invoice for March is missing",
        "I cannot find the invoice for March in my account, only February and April. Could you send it to me?",
        2, "Billing", fields={"order-number": "A-198342", "product": "enterprise"},
        steps=[
            Step("admin@example.com", "Sorry about that. I have attached the March invoice to your account; you will find it under Billing > Invoices.", status=Status.SOLVED),
        ],
    ),
    DemoRequest(
        "demo-request-3", "customer@example.com", "Dark mode for the customer portal",
        "Our team works late shifts. A dark mode for the portal would be easier on the eyes.",
        3, "Support", Priority.LOW, {"product": "pro"},
        [
            Step("agent.ja@example.com", "Thank you for the suggestion! I have passed it to our product team and will update you when it is planned.", status=Status.ON_HOLD, tags=["feature-request"]),
        ],
    ),
    DemoRequest(
        "demo-request-4", "customer@example.com", "How do I export all my orders?",
        "Is there a way to download every order of last year as a spreadsheet?", 0, None,
    ),
    DemoRequest(
        "demo-request-5", "colleague@example.com", "비밀번호 재설정 메일이 오지 않아요",
        "비밀번호 재설정을 세 번 요청했는데 메일이 오지 않습니다. 스팸함도 확인했어요.", 1, "Support", Priority.HIGH,
        {"product": "basic"},
    ),
    DemoRequest(
        "demo-request-6", "colleague@example.com", "팀원을 추가하는 방법이 궁금합니다",
        "새로 입사한 팀원 두 명을 회사 계정에 추가하고 싶습니다. 어디에서 할 수 있나요?", 0, "Support",
        fields={"product": "enterprise"},
        steps=[
            Step("agent@example.com", assignee="agent@example.com"),
            Step("agent@example.com", "설정 > 팀 메뉴에서 초대할 수 있습니다. 관리자 권한이 있는 계정으로 로그인하셨는지 알려 주시겠어요?", status=Status.PENDING),
        ],
    ),
    DemoRequest(
        "demo-request-7", "colleague@example.com", "청구서에 회사 이름을 넣고 싶어요",
        "청구서에 개인 이름 대신 회사 이름과 사업자 등록번호가 나오게 할 수 있을까요?", 2, "Billing",
        steps=[
            Step("admin@example.com", "결제 > 청구 정보에서 회사 이름과 등록번호를 입력하시면 다음 청구서부터 반영됩니다.", status=Status.SOLVED, tags=["invoice"]),
            Step("admin@example.com", status=Status.CLOSED),
        ],
    ),
    DemoRequest(
        "demo-request-8", "outsider@example.com", "无法更改收货地址",
        "我想修改订单 A-310277 的收货地址，但页面上的按钮是灰色的。", 1, "Support",
        fields={"order-number": "A-310277", "product": "basic"},
        steps=[
            Step("agent.ja@example.com", assignee="agent.ja@example.com", tags=["shipping"]),
            Step("agent.ja@example.com", "订单发货后就不能再修改地址了。我们已联系快递公司为您改派，请稍候。"),
            Step("outsider@example.com", "好的，谢谢。请问大概需要多久？"),
        ],
    ),
    DemoRequest(
        "demo-request-9", "outsider@example.com", "申请退款",
        "订单 A-309114 重复扣款了两次，请退还其中一笔。", 2, "Billing", Priority.URGENT,
        {"order-number": "A-309114"},
        [
            Step("admin@example.com", "非常抱歉。我们已经退还了重复的扣款，五个工作日内会退回到您的账户。", status=Status.SOLVED, tags=["refund"]),
        ],
    ),
    DemoRequest(
        "demo-request-10", "outsider@example.com", "订单一直显示处理中",
        "订单 A-311902 已经三天了，状态一直是“处理中”。", 1, "Support",
        fields={"order-number": "A-311902"},
        steps=[
            Step("agent@example.com", assignee="agent@example.com"),
            Step("agent@example.com", "我们正在和仓库确认您的订单，请问收货地址是否正确？", status=Status.PENDING),
        ],
    ),
]  # fmt: skip


def load_request_setup() -> tuple[list[RequestType], dict[str, CustomField]]:
    """The demo request types and custom fields, made when missing (generate_data uses them
    too). Types are found by their English name, fields by key."""
    types = []
    for position, names in enumerate(REQUEST_TYPES):
        found = RequestType.objects.filter(names__en=names["en"]).first()
        types.append(found or RequestType.objects.create(names=names, position=position))
    fields = {}
    for position, (key, labels, kind, choices, visible) in enumerate(CUSTOM_FIELDS):
        fields[key] = CustomField.objects.get_or_create(
            key=key,
            defaults={
                "labels": labels,
                "kind": kind,
                "choices": choices,
                "customer_visible": visible,
                "position": position,
            },
        )[0]
    return types, fields


def _groups(users: dict[str, User]) -> dict[str, Group]:
    groups = {}
    for name, description, members in GROUPS:
        group = Group.objects.get_or_create(name=name, defaults={"description": description})[0]
        group.members.add(*(users[email] for email in members if email in users))
        groups[name] = group
    return groups


def _apply(ticket: Ticket, step: Step, users: dict[str, User]) -> None:
    author = users[step.author]
    if step.body:
        ticket_reply(
            ticket=ticket, author=author, body=step.body, public=step.public, status=step.status
        )
    changes = Changes(
        status=None if step.body else step.status,
        assignee=users[step.assignee] if step.assignee else False,
        add_tags=step.tags or None,
    )
    if changes.status or changes.assignee or changes.add_tags:
        ticket_update(ticket=ticket, actor=author, changes=changes)


@transaction.atomic
def load_demo_tickets() -> None:
    """Groups, request types, custom fields and about ten requests from the demo customers.
    Needs the demo accounts (core's `demo` command makes them first)."""
    emails = {email for _n, _d, members in GROUPS for email in members}
    emails |= {spec.requester for spec in REQUESTS}
    emails |= {step.author for spec in REQUESTS for step in spec.steps}
    users = {user.email: user for user in User.objects.filter(email__in=emails)}
    groups = _groups(users)
    types, fields = load_request_setup()
    for spec in REQUESTS:
        requester = users.get(spec.requester)
        if requester is None or any(step.author not in users for step in spec.steps):
            continue
        if Ticket.objects.filter(requester=requester, submission_key=spec.key).exists():
            continue
        ticket = ticket_create(
            requester=requester,
            subject=spec.subject,
            description=spec.description,
            type=types[spec.type],
            priority=spec.priority,
            group=groups[spec.group] if spec.group else None,
            fields={fields[key]: value for key, value in spec.fields.items()},
            submission_key=spec.key,
        )
        for step in spec.steps:
            _apply(ticket, step, users)
    _load_demo_call(users)


@dataclass
class DemoCall:
    """The demo customer's phone number, and a call an agent made about their request."""

    request: str  # the submission key of the request
    customer: str
    number: str
    agent: str
    external_id: str  # finds the call again on a second run
    direction: str
    outcome: str
    duration: int
    notes: str


DEMO_CALL = DemoCall(
    "demo-request-1", "customer@example.com", "+44 20 7946 0958", "agent@example.com",
    "demo-call-1", "outbound", "answered", 205,
    "Walked through the crash on the phone: it happens with photos over 12 MB. Asked for a screen recording.",
)  # fmt: skip


def _load_demo_call(users: dict[str, User]) -> None:
    from supportal.phone.models import Call
    from supportal.phone.services import call_log

    spec = DEMO_CALL
    customer, agent = users.get(spec.customer), users.get(spec.agent)
    if customer is None or agent is None:
        return
    if not customer.phone:
        customer.phone = normalize_phone(spec.number)
        customer.save(update_fields=["phone"])
    ticket = Ticket.objects.filter(requester=customer, submission_key=spec.request).first()
    if ticket is None or Call.objects.filter(external_id=spec.external_id).exists():
        return
    call_log(
        ticket=ticket,
        actor=agent,
        direction=spec.direction,
        number=customer.phone,
        outcome=spec.outcome,
        duration=spec.duration,
        notes=spec.notes,
        external_id=spec.external_id,
    )
