"""Synthetic sample messages for the email channel's tests.

Every message here is made up and built with Python's own ``email`` package (and, where a
sender's mistake is the point, with hand-made bytes in one header or body); none is copied
from a real mailbox. The texts are ours; the reply headers imitate what the named clients write.
Each builder returns the raw RFC 822 ``bytes``.

QUOTED_SAMPLES lists ``(name, raw, expected_new_text_start, must_not_contain)``: the new text
that split_quoted (and, for HTML, split_quoted_html) must find starts with the third item and
contains none of the fourth.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from email import message_from_string
from email.message import Message
from email.mime.application import MIMEApplication
from email.mime.image import MIMEImage
from email.mime.message import MIMEMessage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime

SENT = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
CUSTOMER = "customer@example.com"
SUPPORT = "support@example.com"
# 1x1 transparent PNG: the smallest valid image, for the inline-image samples.
PIXEL_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
)


def _headers(message: Message, subject: str, sender: str = CUSTOMER) -> Message:
    message["From"] = sender
    message["To"] = SUPPORT
    message["Subject"] = subject
    message["Date"] = format_datetime(SENT)
    message["Message-ID"] = "<sample-1@example.com>"
    return message


def _encoded_text(body: bytes, declared: str, subject: str = "Charset sample") -> bytes:
    """A text/plain message whose body bytes are given as they are, under a declared label."""
    message = _headers(Message(), subject)
    message["MIME-Version"] = "1.0"
    message["Content-Type"] = f'text/plain; charset="{declared}"'
    message["Content-Transfer-Encoding"] = "base64"
    message.set_payload(base64.encodebytes(body).decode("ascii"))
    return message.as_bytes()


# --- charsets: (declared label, codec the bytes are written in, text) --------------------------

CHARSET_TEXTS: dict[str, tuple[str, str, str]] = {
    "gbk": ("GBK", "gbk", "您好，我的订单还没有发货，请帮忙查一下。"),
    "gb18030": ("GB18030", "gb18030", "订单号 A123 的收件人是𠮷田，谢谢。"),
    "big5": ("Big5", "big5hkscs", "您好，我的訂單還沒有出貨，地址在𨋢附近。"),
    "euc_kr": ("EUC-KR", "euc_kr", "안녕하세요. 주문한 상품이 아직 도착하지 않았습니다."),
    "cp949": ("ks_c_5601-1987", "cp949", "똠방각하 님, 환불 요청드립니다."),
    "iso2022_jp": ("ISO-2022-JP", "iso2022_jp_ext", "お世話になっております。ｶﾀｶﾅの件です。"),
    "shift_jis": ("Shift_JIS", "cp932", "①番の商品が届きません。確認をお願いします。"),
    "euc_jp": ("EUC-JP", "euc_jp", "配送状況を教えてください。"),
    "iso8859_1": ("ISO-8859-1", "latin-1", "Ça coûte 20 £, señor. Grüße!"),
    "iso8859_2": ("ISO-8859-2", "iso8859_2", "Dzień dobry, zamówienie nie dotarło. Žluťoučký kůň."),
    "iso8859_15": ("ISO-8859-15", "iso8859_15", "Le prix est de 15 €, Šárka, chef-d'œuvre."),
    "windows_1251": ("windows-1251", "cp1251", "Здравствуйте! Заказ № 123 не пришёл."),
    "windows_1252": ("windows-1252", "cp1252", "“Smart quotes” – and the € sign…"),
    # Mislabelled: the label says one thing, the bytes are another.
    "latin1_label_utf8_bytes": ("iso-8859-1", "utf-8", "Grüße aus München — ça va?"),
    "euckr_label_cp949_bytes": ("euc-kr", "cp949", "똠방각하 펲 님의 문의입니다."),
    "gb2312_label_gbk_bytes": ("gb2312", "gbk", "张喆和朱镕基的订单。"),
}


def charset_message(key: str) -> bytes:
    declared, codec, text = CHARSET_TEXTS[key]
    return _encoded_text(text.encode(codec), declared)


def raw_8bit_header_message(subject: bytes, body: str, codec: str, declared: str) -> bytes:
    """A subject sent as raw 8-bit bytes (no RFC 2047), a common sender's error."""
    message = Message()
    message["From"] = CUSTOMER
    message["To"] = SUPPORT
    message["Content-Type"] = f"text/plain; charset={declared}"
    message["Content-Transfer-Encoding"] = "8bit"
    head = message.as_bytes().split(b"\n\n", 1)[0]
    return head + b"\nSubject: " + subject + b"\n\n" + body.encode(codec) + b"\n"


# --- headers --------------------------------------------------------------------------------

ENCODED_SUBJECT = "주문 문의: 배송 지연 (주문번호 1234)"
ENCODED_NAME = "José García"


def encoded_words_message() -> bytes:
    """Subject in RFC 2047 B words (split in the middle of a character, as encoders do),
    From name in Q words, To name in a Shift_JIS B word."""
    subject = ENCODED_SUBJECT.encode("utf-8")
    half = 10  # inside the third Hangul syllable: the decoder must join the words first
    words = [base64.b64encode(subject[:half]), base64.b64encode(subject[half:])]
    message = MIMEText("Body", "plain", "utf-8")
    message["From"] = "=?ISO-8859-1?Q?Jos=E9_Garc=EDa?= <jose@example.com>"
    yamada = base64.b64encode("山田".encode("cp932")).decode()
    message["To"] = f"=?shift_jis?B?{yamada}?= <yamada@example.jp>"
    message["Subject"] = " ".join(f"=?UTF-8?B?{word.decode()}?=" for word in words)
    message["Message-ID"] = "  <Mixed.Case-ID@Example.COM>  "
    message["In-Reply-To"] = "<parent@example.com> (John's message)"
    message["References"] = "<root@example.com> <bad id@x> junk <parent@example.com>"
    message["Date"] = "Mon, 30 Nov 2026 10:00:00"
    message["Reply-To"] = '"Help Desk" <HELP@Example.com>, other@example.com'
    message["Cc"] = "A <a@example.com>, not-an-address, B <b@example.com>"
    message["Delivered-To"] = "Support+Tickets@Example.com"
    message["X-Original-To"] = "<support@example.com>"
    return message.as_bytes()


# --- structure ------------------------------------------------------------------------------

RFC2231_NAME = "견적서 2026년 11월.pdf"
RFC2231_LONG_NAME = "長いファイル名の添付ファイル（見積書）最終版.xlsx"


def rfc2231_message() -> bytes:
    outer = _headers(MIMEMultipart("mixed"), "Attachments")
    outer.attach(MIMEText("See attached.", "plain", "utf-8"))
    pdf = MIMEApplication(b"%PDF-1.4 sample", "pdf")
    pdf.add_header("Content-Disposition", "attachment", filename=("utf-8", "", RFC2231_NAME))
    outer.attach(pdf)
    sheet = MIMEApplication(b"PK\x03\x04 sample", "vnd.ms-excel")
    encoded = "".join(f"%{b:02X}" for b in RFC2231_LONG_NAME.encode("utf-8"))
    third = len(encoded) // 3 // 3 * 3  # continuations split between percent escapes
    sheet["Content-Disposition"] = (
        f"attachment; filename*0*=UTF-8''{encoded[:third]};\r\n"
        f" filename*1*={encoded[third : 2 * third]};\r\n filename*2*={encoded[2 * third :]}"
    )
    outer.attach(sheet)
    bare = MIMEApplication(b"\x00\x01", "octet-stream")
    bare["Content-Disposition"] = "attachment"
    outer.attach(bare)
    encoded_name = MIMEApplication(b"data", "octet-stream")
    encoded_name["Content-Disposition"] = 'attachment; filename="=?UTF-8?B?7ZWc6riALnR4dA==?="'
    outer.attach(encoded_name)
    evil = MIMEApplication(b"MZ", "octet-stream")
    # "../../etc/" + RIGHT-TO-LEFT OVERRIDE + "evil" + NUL + ".exe"
    evil["Content-Disposition"] = (
        "attachment; filename*=UTF-8''..%2F..%2Fetc%2F%E2%80%AEevil%00.exe"
    )
    outer.attach(evil)
    return outer.as_bytes()


HTML_ONLY_BODY = (
    "<html><head><title>Newsletter title</title><style>p {color: red}</style></head><body>"
    "<h1>Order update</h1><p>Your order <b>#1234</b> has shipped.</p><ul><li>Item one</li>"
    '<li>Item two</li></ul><p><a href="https://example.com/track?id=1&amp;x=2">Track it</a>'
    '</p><img src="https://tracker.example.com/pixel.gif"><script>alert(1)</script></body></html>'
)


def html_only_message() -> bytes:
    return _headers(MIMEText(HTML_ONLY_BODY, "html", "utf-8"), "HTML only").as_bytes()


def alternative_message() -> bytes:
    outer = _headers(MIMEMultipart("alternative"), "Alternative")
    outer.attach(MIMEText("Plain version of the message.", "plain", "utf-8"))
    outer.attach(MIMEText("<p>HTML <i>version</i> of the message.</p>", "html", "utf-8"))
    return outer.as_bytes()


def related_inline_image_message() -> bytes:
    outer = _headers(MIMEMultipart("alternative"), "Inline image")
    outer.attach(MIMEText("See the screenshot.", "plain", "utf-8"))
    related = MIMEMultipart("related")
    related.attach(
        MIMEText(
            '<p>See the screenshot:</p><img src="cid:shot-1@example.com" alt="screenshot">'
            '<img src="http://example.com/remote.png"><img src="data:image/png;base64,AAAA">',
            "html",
            "utf-8",
        )
    )
    image = MIMEImage(PIXEL_PNG, "png")
    image["Content-ID"] = "<shot-1@example.com>"
    related.attach(image)
    unreferenced = MIMEImage(PIXEL_PNG, "png")
    unreferenced["Content-ID"] = "<logo@example.com>"
    unreferenced["Content-Disposition"] = "inline"
    related.attach(unreferenced)
    outer.attach(related)
    return outer.as_bytes()


def forwarded_message() -> bytes:
    inner = _headers(MIMEText("The original problem report.", "plain", "utf-8"), "Broken: printer")
    outer = _headers(MIMEMultipart("mixed"), "Fwd: Broken printer")
    outer.attach(MIMEText("Forwarding this one.", "plain", "utf-8"))
    outer.attach(MIMEMessage(inner))
    nameless = MIMEMessage(MIMEText("No subject here.", "plain", "utf-8"))
    outer.attach(nameless)
    tnef = MIMEApplication(b"\x78\x9f\x3e\x22 tnef", "ms-tnef")
    outer.attach(tnef)
    return outer.as_bytes()


# --- quoted replies -------------------------------------------------------------------------

NEW = "Hello,\n\nMy order #1234 has still not arrived. Could you check?\n\nThanks, Kim"
OLD = "Thank you for contacting us. Your order left our warehouse yesterday."


def _reply(text: str, html: str | None = None, subject: str = "Re: Order 1234") -> bytes:
    if html is None:
        return _headers(MIMEText(text, "plain", "utf-8"), subject).as_bytes()
    outer = _headers(MIMEMultipart("alternative"), subject)
    outer.attach(MIMEText(text, "plain", "utf-8"))
    outer.attach(MIMEText(html, "html", "utf-8"))
    return outer.as_bytes()


def _quote(text: str) -> str:
    return "\n".join(f"> {line}" if line else ">" for line in text.split("\n"))


def _html_new() -> str:
    return "".join(f"<div>{line or '<br>'}</div>" for line in NEW.split("\n"))


OUTLOOK_BLOCK = (
    "From: Support Team <support@example.com>\n"
    "Sent: Monday, November 30, 2026 10:00 AM\n"
    "To: Kim <customer@example.com>\n"
    "Subject: RE: Order 1234\n\n"
)
KO_NEW = "안녕하세요,\n\n주문한 상품이 아직 도착하지 않았습니다. 확인 부탁드립니다.\n\n홍길동 드림"
JA_NEW = (
    "お世話になっております。\n\n注文した商品がまだ届いていません。ご確認をお願いします。\n\n山田"
)
ZH_NEW = "您好，\n\n我的订单还没有到，麻烦查一下。\n\n张三"
KO_OLD = "문의해 주셔서 감사합니다. 상품은 어제 출고되었습니다."
JA_OLD = "お問い合わせありがとうございます。商品は昨日発送しました。"
ZH_OLD = "感谢您的来信。商品已于昨天发货。"


def gmail_reply() -> bytes:
    attribution = "On Mon, Nov 30, 2026 at 10:00 AM Support Team <support@example.com> wrote:"
    text = f"{NEW}\n\n{attribution}\n\n{_quote(OLD)}\n"
    html = (
        f'<div dir="ltr">{_html_new()}</div><br><div class="gmail_quote gmail_quote_container">'
        f'<div dir="ltr" class="gmail_attr">{attribution}<br></div><blockquote class="gmail_quote"'
        f' style="margin:0px 0px 0px 0.8ex">{OLD}</blockquote></div>'
    )
    return _reply(text, html)


def gmail_wrapped_reply() -> bytes:
    attribution = "On Mon, Nov 30, 2026 at 10:00 AM Support Team <\nsupport@example.com> wrote:"
    return _reply(f"{NEW}\n\n{attribution}\n\n{_quote(OLD)}\n")


def outlook_desktop_reply() -> bytes:
    text = f"{NEW}\n\n{OUTLOOK_BLOCK}{OLD}\n"
    html = (
        f'<div class="WordSection1"><p class="MsoNormal">{NEW.replace(chr(10), "<br>")}</p>'
        '<div><div style="border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0in 0in 0in">'
        '<p class="MsoNormal"><b>From:</b> Support Team &lt;support@example.com&gt;<br><b>Sent:'
        "</b> Monday, November 30, 2026 10:00 AM<br><b>To:</b> Kim &lt;customer@example.com&gt;"
        f"<br><b>Subject:</b> RE: Order 1234</p></div></div><p>{OLD}</p></div>"
    )
    return _reply(text, html)


def outlook_web_reply() -> bytes:
    text = f"{NEW}\n\n________________________________\n{OUTLOOK_BLOCK}{OLD}\n"
    html = (
        f"<div>{_html_new()}</div>"
        '<div id="appendonsend"></div><hr style="display:inline-block;width:98%" tabindex="-1">'
        '<div id="divRplyFwdMsg" dir="ltr"><font face="Calibri"><b>From:</b> Support Team'
        " &lt;support@example.com&gt;<br><b>Sent:</b> Monday, November 30, 2026 10:00 AM<br>"
        f"<b>To:</b> Kim<br><b>Subject:</b> RE: Order 1234</font><div>&nbsp;</div></div>"
        f"<div>{OLD}</div>"
    )
    return _reply(text, html)


def outlook_original_message_reply() -> bytes:
    return _reply(f"{NEW}\n\n-----Original Message-----\n{OUTLOOK_BLOCK}{OLD}\n")


def apple_mail_reply() -> bytes:
    attribution = "On 30 Nov 2026, at 10:00, Support Team <support@example.com> wrote:"
    text = f"{NEW}\n\n> {attribution}\n> \n{_quote(OLD)}\n"
    html = (
        f'<html><body>{_html_new()}<div><br><blockquote type="cite"><div>{attribution}</div>'
        f"<br><div><div>{OLD}</div></div></blockquote></div></body></html>"
    )
    return _reply(text, html)


def thunderbird_reply() -> bytes:
    attribution = "On 30/11/2026 10:00, Support Team wrote:"
    text = f"{NEW}\n\n{attribution}\n{_quote(OLD)}\n"
    html = (
        f"<html><body><p>{NEW.replace(chr(10), '<br>')}</p>"
        f'<div class="moz-cite-prefix">{attribution}<br></div>'
        f'<blockquote type="cite" cite="mid:abc@example.com">{OLD}</blockquote></body></html>'
    )
    return _reply(text, html)


def thunderbird_bottom_posted_reply() -> bytes:
    return _reply(f"On 30/11/2026 10:00, Support Team wrote:\n{_quote(OLD)}\n\n{NEW}\n")


def yahoo_reply() -> bytes:
    text = (
        f"{NEW}\n\n\nOn Monday, November 30, 2026, 10:00:00 AM GMT+9, Support Team "
        f"<support@example.com> wrote:\n\n\n{OLD}\n"
    )
    html = (
        f'<div class="ydp1"><div>{NEW.replace(chr(10), "<br>")}</div></div>'
        '<div id="yahoo_quoted_1234567" class="yahoo_quoted"><div style="font-size:13px">'
        "On Monday, November 30, 2026, 10:00:00 AM GMT+9, Support Team wrote:</div>"
        f"<div>{OLD}</div></div>"
    )
    return _reply(text, html)


def signature_reply() -> bytes:
    return _reply(f"{NEW}\n\n-- \nKim Lee\nACME Widgets Ltd.\n+1 555 0100\n")


def naver_reply() -> bytes:
    block = (
        "-----Original Message-----\n"
        'From: "고객센터"<support@example.com>\n'
        'To: "홍길동"<hong@naver.com>;\n'
        "Cc: \n"
        "Sent: 2026-11-30 (월) 10:00:00\n"
        "Subject: 문의하신 내용에 대한 답변입니다\n\n"
    )
    return _reply(f"{KO_NEW}\n\n{block}{KO_OLD}\n", subject="RE: 배송 문의")


def naver_korean_reply() -> bytes:
    block = (
        "-----Original Message-----\n"
        '보낸 사람: "고객센터"<support@example.com>\n'
        '받는 사람: "홍길동"<hong@naver.com>\n'
        "날짜: 2026년 11월 30일 (월) 오전 10:00\n"
        "제목: 문의하신 내용에 대한 답변입니다\n\n"
    )
    return _reply(f"{KO_NEW}\n\n{block}{KO_OLD}\n", subject="RE: 배송 문의")


def daum_reply() -> bytes:
    block = (
        "------ 원본 메일 ------\n"
        "보낸사람 : 고객센터 <support@example.com>\n"
        "받는사람 : 홍길동 <hong@daum.net>\n"
        "날짜 : 2026년 11월 30일 월요일, 10시 00분 00초 +0900\n"
        "제목 : 문의하신 내용에 대한 답변입니다\n\n"
    )
    return _reply(f"{KO_NEW}\n\n{block}{KO_OLD}\n", subject="Re: 배송 문의")


def kakao_reply() -> bytes:
    block = (
        "----- Original Message -----\n"
        "보낸사람 : 고객센터 <support@example.com>\n"
        "받는사람 : 홍길동 <hong@kakao.com>\n"
        "날짜 : 2026년 11월 30일 (월) 10:00:00\n"
        "제목 : 답변입니다\n\n"
    )
    return _reply(f"{KO_NEW}\n\n{block}{KO_OLD}\n", subject="Re: 배송 문의")


def korean_outlook_reply() -> bytes:
    block = (
        "보낸 사람: 고객센터 <support@example.com>\n"
        "보낸 날짜: 2026년 11월 30일 월요일 오전 10:00\n"
        "받는 사람: 홍길동 <hong@example.co.kr>\n"
        "제목: RE: 배송 문의\n\n"
    )
    html = (
        f"<div>{KO_NEW.replace(chr(10), '<br>')}</div><hr>"
        '<div id="divRplyFwdMsg"><b>보낸 사람:</b> 고객센터 &lt;support@example.com&gt;<br>'
        "<b>보낸 날짜:</b> 2026년 11월 30일 월요일 오전 10:00<br><b>받는 사람:</b> 홍길동<br>"
        f"<b>제목:</b> RE: 배송 문의</div><div>{KO_OLD}</div>"
    )
    return _reply(f"{KO_NEW}\n\n{block}{KO_OLD}\n", html, subject="RE: 배송 문의")


def korean_gmail_reply() -> bytes:
    attribution = "2026년 11월 30일 (월) 오전 10:00, 고객센터 <support@example.com>님이 작성:"
    text = f"{KO_NEW}\n\n{attribution}\n\n{_quote(KO_OLD)}\n"
    html = (
        f'<div dir="ltr">{KO_NEW.replace(chr(10), "<br>")}</div><br><div class="gmail_quote">'
        f'<div dir="ltr" class="gmail_attr">{attribution}<br></div>'
        f"<blockquote>{KO_OLD}</blockquote></div>"
    )
    return _reply(text, html, subject="Re: 배송 문의")


def japanese_outlook_reply() -> bytes:
    block = (
        "差出人: サポート <support@example.com>\n"
        "送信日時: 2026年11月30日 10:00\n"
        "宛先: 山田太郎 <yamada@example.jp>\n"
        "件名: RE: 配送について\n\n"
    )
    html = (
        f"<div>{JA_NEW.replace(chr(10), '<br>')}</div>"
        '<div style="border-top:solid #E1E1E1 1.0pt"><p><b>差出人:</b> サポート<br>'
        "<b>送信日時:</b> 2026年11月30日 10:00<br><b>宛先:</b> 山田太郎<br><b>件名:</b> "
        f"RE: 配送について</p></div><p>{JA_OLD}</p>"
    )
    return _reply(f"{JA_NEW}\n\n{block}{JA_OLD}\n", html, subject="RE: 配送について")


def japanese_gmail_reply() -> bytes:
    attribution = "2026年11月30日(月) 10:00 サポート <support@example.com>:"
    return _reply(f"{JA_NEW}\n\n{attribution}\n\n{_quote(JA_OLD)}\n", subject="Re: 配送について")


def chinese_outlook_reply() -> bytes:
    block = (
        "发件人: 客服 <support@example.com>\n"
        "发送时间: 2026年11月30日 10:00\n"
        "收件人: 张三 <zhangsan@example.cn>\n"
        "主题: 回复: 订单问题\n\n"
    )
    return _reply(f"{ZH_NEW}\n\n{block}{ZH_OLD}\n", subject="回复: 订单问题")


def chinese_outlook_fullwidth_reply() -> bytes:
    block = (
        "发件人：客服 <support@example.com>\n"
        "发送时间：2026年11月30日 10:00\n"
        "收件人：张三 <zhangsan@example.cn>\n"
        "主题：回复：订单问题\n\n"
    )
    return _reply(f"{ZH_NEW}\n\n{block}{ZH_OLD}\n", subject="回复：订单问题")


def qq_reply() -> bytes:
    block = (
        "------------------ 原始邮件 ------------------\n"
        '发件人: "客服"<support@example.com>;\n'
        "发送时间: 2026年11月30日(星期一) 上午10:00\n"
        '收件人: "张三"<zhangsan@qq.com>;\n'
        "主题: 回复：订单问题\n\n"
    )
    return _reply(f"{ZH_NEW}\n\n{block}{ZH_OLD}\n", subject="回复：订单问题")


def chinese_gmail_reply() -> bytes:
    attribution = "客服 <support@example.com> 于2026年11月30日周一 10:00写道："
    return _reply(f"{ZH_NEW}\n\n{attribution}\n\n{_quote(ZH_OLD)}\n", subject="Re: 订单问题")


def inline_answers_reply() -> bytes:
    """Answers written between the quoted lines: nothing may be cut away."""
    return _reply(f"Hi,\n\n> {OLD}\n\nIt has not arrived.\n\n> Anything else?\n\nNo, thanks.\n")


def forward_note() -> bytes:
    """A forward is new text for a helpdesk: the forwarded message must stay."""
    return _reply(
        "Please see below.\n\n---------- Forwarded message ---------\nFrom: Shop <shop@example.com>"
        "\nDate: Mon, Nov 30, 2026 at 10:00 AM\nSubject: Your invoice\nTo: Kim <kim@example.com>"
        "\n\nInvoice 99 is attached.\n",
        subject="Fwd: Your invoice",
    )


_EN = ("Hello,", (OLD, "wrote:", "Support Team"))
QUOTED_SAMPLES: list[tuple[str, bytes, str, tuple[str, ...]]] = [
    ("gmail", gmail_reply(), *_EN),
    ("gmail_wrapped_attribution", gmail_wrapped_reply(), *_EN),
    ("outlook_desktop", outlook_desktop_reply(), *_EN),
    ("outlook_web", outlook_web_reply(), "Hello,", (OLD, "From:", "_____")),
    ("outlook_original_message", outlook_original_message_reply(), "Hello,", (OLD, "-----")),
    ("apple_mail", apple_mail_reply(), *_EN),
    ("thunderbird", thunderbird_reply(), *_EN),
    ("thunderbird_bottom_posted", thunderbird_bottom_posted_reply(), *_EN),
    ("yahoo", yahoo_reply(), *_EN),
    ("signature", signature_reply(), "Hello,", ("ACME", "Kim Lee", "-- ")),
    ("naver", naver_reply(), "안녕하세요,", (KO_OLD, "Original Message", "고객센터")),
    ("naver_korean", naver_korean_reply(), "안녕하세요,", (KO_OLD, "보낸 사람")),
    ("daum", daum_reply(), "안녕하세요,", (KO_OLD, "원본 메일", "보낸사람")),
    ("kakao", kakao_reply(), "안녕하세요,", (KO_OLD, "보낸사람")),
    ("korean_outlook", korean_outlook_reply(), "안녕하세요,", (KO_OLD, "보낸 사람", "제목")),
    ("korean_gmail", korean_gmail_reply(), "안녕하세요,", (KO_OLD, "님이 작성")),
    ("japanese_outlook", japanese_outlook_reply(), "お世話に", (JA_OLD, "差出人", "件名")),
    ("japanese_gmail", japanese_gmail_reply(), "お世話に", (JA_OLD, "2026年11月30日(月)")),
    ("chinese_outlook", chinese_outlook_reply(), "您好，", (ZH_OLD, "发件人")),
    ("chinese_outlook_fullwidth", chinese_outlook_fullwidth_reply(), "您好，", (ZH_OLD, "发件人")),
    ("qq_foxmail", qq_reply(), "您好，", (ZH_OLD, "原始邮件", "发件人")),
    ("chinese_gmail", chinese_gmail_reply(), "您好，", (ZH_OLD, "写道")),
    ("inline_answers", inline_answers_reply(), "Hi,\n\n> Thank you", ()),
    ("forward", forward_note(), "Please see below.", ()),
]


# --- noise ------------------------------------------------------------------------------------


def dsn_message(action: str = "failed", status: str = "5.1.1") -> bytes:
    """An RFC 3464 delivery status notification for one recipient."""
    report = MIMEMultipart("report", report_type="delivery-status")
    _headers(report, "Delivery Status Notification (Failure)", "MAILER-DAEMON@mx.example.com")
    report.attach(MIMEText("Your message could not be delivered.", "plain", "utf-8"))
    report.attach(
        message_from_string(
            "Content-Type: message/delivery-status\n\n"
            "Reporting-MTA: dns; mx.example.com\n\n"
            "Final-Recipient: rfc822; Gone.User@Example.com\n"
            f"Action: {action}\nStatus: {status}\n"
            f"Diagnostic-Code: smtp; 550 {status} The mailbox does not exist\n"
        )
    )
    report.attach(MIMEMessage(_headers(MIMEText("Hello", "plain"), "Order 1234")))
    return report.as_bytes()


def arf_message() -> bytes:
    """An RFC 5965 abuse report (a spam complaint) about one of our messages."""
    report = MIMEMultipart("report", report_type="feedback-report")
    _headers(report, "Abuse report", "feedback@isp.example.net")
    report.attach(MIMEText("This is an abuse report.", "plain", "utf-8"))
    report.attach(
        message_from_string(
            "Content-Type: message/feedback-report\n\n"
            "Feedback-Type: abuse\nUser-Agent: ExampleFBL/1.0\nVersion: 1\n"
        )
    )
    original = MIMEText("Our newsletter", "plain")
    original["From"] = SUPPORT
    original["To"] = "Complainer@ISP.example.net"
    original["Subject"] = "Newsletter"
    report.attach(MIMEMessage(original))
    return report.as_bytes()


def plain_message(subject: str = "Question", **headers: str) -> bytes:
    """A one-line text message with extra headers, given as Header_Name="value"."""
    message = _headers(MIMEText("Just a message.", "plain", "utf-8"), subject)
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    return message.as_bytes()
