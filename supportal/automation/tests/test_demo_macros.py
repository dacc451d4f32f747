"""The demo macros: made by `supportal demo`, once, and usable on a demo request."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from supportal.accounts.models import User
from supportal.automation import services
from supportal.automation.demo import load_demo_macros
from supportal.automation.models import Macro
from supportal.helpcenter.models import Article
from supportal.test import make_ticket

pytestmark = pytest.mark.django_db


class DemoMacroTests:
    def test_it_makes_a_shared_and_a_personal_macro_once(self) -> None:
        call_command("demo", stdout=io.StringIO())
        load_demo_macros()
        shared = Macro.objects.get(title="Password reset instructions")
        agent = User.objects.get(email="agent@example.com")
        personal = Macro.objects.get(owner=agent)
        assert Macro.objects.count() == 2
        assert shared.owner is None and shared.group is None
        assert set(shared.texts) == {"ko", "en", "ja", "zh-hans"}
        assert shared.changes == {"status": "pending", "add_tags": ["password"]}
        article = Article.objects.get(external_id="demo-reset-password")
        assert all(f"{{{{article:{article.pk}}}}}" in text for text in shared.texts.values())
        assert personal.title == "Looking into it"

        requester = User.objects.get(email="colleague@example.com")  # writes in Korean
        ticket = make_ticket(requester, "비밀번호를 잊었어요")
        preview = services.macro_preview(macro=shared, ticket=ticket, actor=agent)
        assert preview.body.startswith("Minseo Colleague 님, 안녕하세요.")
        assert "비밀번호 재설정하기: " in preview.body and "/ko/help/articles/" in preview.body
        assert not preview.warnings
