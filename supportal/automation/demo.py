# Demo texts are prose in four languages; wrapping them would only make them harder to edit.
# ruff: noqa: E501
"""Demo macros for `supportal demo` (idempotent): found again by title and owner, so a second run
adds nothing. Needs the demo accounts and help-center content (made before it)."""

from __future__ import annotations

from supportal.accounts.models import User
from supportal.automation.models import Macro
from supportal.automation.services import macro_save
from supportal.helpcenter.models import Article

PASSWORD_TEXTS = {
    "en": "Hello {{requester.first_name}},\n\nThank you for contacting us about request #{{ticket.number}}. You can set a new password yourself in a few minutes by following this guide:\n\n{{article:%(article)d}}\n\nIf the reset email does not arrive, let us know and we will help.\n\nBest regards,\n{{agent.name}}",
    "ko": "{{requester.name}} 님, 안녕하세요.\n\n#{{ticket.number}} 문의 주셔서 감사합니다. 아래 안내에 따라 몇 분 안에 직접 새 비밀번호를 설정하실 수 있습니다.\n\n{{article:%(article)d}}\n\n재설정 메일이 오지 않으면 알려 주세요. 바로 도와 드리겠습니다.\n\n{{agent.name}} 드림",
    "ja": "{{requester.name}} 様\n\nお問い合わせ #{{ticket.number}} をいただきありがとうございます。次の手順に沿って、数分で新しいパスワードをご自身で設定いただけます。\n\n{{article:%(article)d}}\n\n再設定メールが届かない場合はお知らせください。すぐにお手伝いします。\n\n{{agent.name}}",
    "zh-hans": "{{requester.name}}，您好：\n\n感谢您就工单 #{{ticket.number}} 联系我们。按照以下说明，您可以在几分钟内自行设置新密码：\n\n{{article:%(article)d}}\n\n如果没有收到重置邮件，请告诉我们，我们会马上协助您。\n\n{{agent.name}}",
}

LOOKING_TEXTS = {
    "en": "Hello {{requester.first_name}},\n\nThanks for your message. I am looking into request #{{ticket.number}} and will get back to you shortly.\n\n{{agent.first_name}}",
    "ko": "{{requester.name}} 님, 안녕하세요.\n\n문의 감사합니다. #{{ticket.number}} 문의를 확인하고 있으며 곧 다시 연락드리겠습니다.\n\n{{agent.name}} 드림",
}


def load_demo_macros() -> None:
    admin = User.objects.filter(email="admin@example.com").first()
    agent = User.objects.filter(email="agent@example.com").first()
    article = Article.objects.filter(external_id="demo-reset-password").first()
    if (
        admin
        and article
        and not Macro.objects.filter(owner=None, title="Password reset instructions").exists()
    ):
        macro_save(
            macro=None,
            actor=admin,
            title="Password reset instructions",
            texts={code: text % {"article": article.pk} for code, text in PASSWORD_TEXTS.items()},
            changes={"status": "pending", "add_tags": ["password"]},
            shared=True,
        )
    if agent and not Macro.objects.filter(owner=agent, title="Looking into it").exists():
        macro_save(
            macro=None,
            actor=agent,
            title="Looking into it",
            texts=LOOKING_TEXTS,
            changes={"assignee": "me", "status": "open"},
        )
