"""Demo email: a support address and a few messages as real mail clients write them.

The messages are synthetic (built here with Python's email package) and go through mail_ingest
like any mail, so the demo shows what ingestion makes of them: an HTML email with a quoted
Gmail history, a Japanese ISO-2022-JP email, an out-of-office reply (ignored) and spam.
Loading again changes nothing: the same Message-IDs are never ingested twice.
"""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import format_datetime

from django.utils import timezone

from supportal.mail.models import InboundEmail, Mailbox
from supportal.mail.services import mail_ingest
from supportal.tickets.models import Group

ADDRESS = "support@example.com"


def _message(sender: str, subject: str, text: str, message_id: str, **headers: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = f"Example Support <{ADDRESS}>"
    message["Subject"] = subject
    message["Date"] = format_datetime(timezone.now())
    message["Message-ID"] = f"<{message_id}@demo.example.net>"
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(text)
    return message


def demo_messages() -> list[bytes]:
    html_mail = _message(
        "Hana Park <hana.park@example.net>",
        "Re: 결제 영수증을 받을 수 없어요",
        "안녕하세요,\n\n지난달 결제 영수증이 아직 오지 않았습니다. 다시 보내 주실 수 있나요?\n\n"
        "2026년 11월 30일 (월) 오전 10:00, Example Support <support@example.com>님이 작성:\n"
        "> 영수증은 결제 후 24시간 안에 발송됩니다.\n",
        "demo-html-1",
    )
    html_mail.add_alternative(
        "<p>안녕하세요,</p><p>지난달 <b>결제 영수증</b>이 아직 오지 않았습니다. "
        "다시 보내 주실 수 있나요?</p>"
        '<ul><li>주문 번호: 2026-1130</li><li>금액: 39,000원</li></ul><img src="https://'
        'tracker.example.net/open.gif" alt="">'
        '<div class="gmail_quote"><div class="gmail_attr">2026년 11월 30일 (월) 오전 10:00, '
        "Example Support &lt;support@example.com&gt;님이 작성:</div>"
        "<blockquote>영수증은 결제 후 24시간 안에 발송됩니다.</blockquote></div>",
        subtype="html",
    )
    japanese = _message(
        "山田 太郎 <taro.yamada@example.jp>",
        "パスワードを再設定できません",
        "お世話になっております。\n\nパスワード再設定のメールが届きません。確認をお願いします。\n",
        "demo-ja-1",
    )
    japanese.set_content(
        "お世話になっております。\n\nパスワード再設定のメールが届きません。確認をお願いします。\n",
        charset="iso-2022-jp",
        cte="7bit",
    )
    out_of_office = _message(
        "Sam Away <sam.away@example.org>",
        "Automatic reply: Your request",
        "I am out of the office until Monday.",
        "demo-ooo-1",
        Auto_Submitted="auto-replied",
    )
    spam = _message(
        "Prize Desk <winner@example.biz>",
        "You have won a prize",
        "Click here to claim your prize.",
        "demo-spam-1",
        X_Spam_Flag="YES",
    )
    return [m.as_bytes() for m in (html_mail, japanese, out_of_office, spam)]


def load_demo_mail() -> None:
    mailbox, _created = Mailbox.objects.get_or_create(
        address=ADDRESS,
        defaults={
            "name": "Example Support",
            "delivery": Mailbox.Delivery.PIPE,
            "group": Group.objects.filter(name="Support").first(),
        },
    )
    for raw in demo_messages():
        mail_ingest(raw=raw, mailbox=mailbox, source=InboundEmail.Source.PIPE)
