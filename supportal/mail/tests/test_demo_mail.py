"""The demo's support address and email, as `make run` loads them."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from supportal.mail.models import InboundEmail, Mailbox
from supportal.tickets.models import Ticket

pytestmark = pytest.mark.django_db
Fate = InboundEmail.Fate


class DemoMailTests:
    def test_it_shows_what_ingestion_makes_of_real_looking_mail(self) -> None:
        call_command("demo", stdout=io.StringIO())
        call_command("demo", stdout=io.StringIO())
        mailbox = Mailbox.objects.get(address="support@example.com")
        assert mailbox.group.name == "Support"
        fates = dict(InboundEmail.objects.values_list("subject", "fate"))
        assert fates == {
            "Re: 결제 영수증을 받을 수 없어요": Fate.CREATED,
            "パスワードを再設定できません": Fate.CREATED,
            "Automatic reply: Your request": Fate.IGNORED,
            "You have won a prize": Fate.SPAM,
        }
        korean = InboundEmail.objects.get(subject__startswith="Re: 결제")
        assert "결제 영수증" in korean.html
        assert "24시간" in korean.quoted_text + korean.quoted_html
        assert "24시간" not in korean.ticket_message.body
        assert korean.remote_images_removed
        japanese = Ticket.objects.get(subject="パスワードを再設定できません")
        assert "パスワード再設定のメールが届きません" in japanese.messages.get().body
