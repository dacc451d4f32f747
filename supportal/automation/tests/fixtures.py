"""Data for the macro tests, made through the services."""

from __future__ import annotations

from typing import Any

from supportal.accounts.models import User
from supportal.automation.models import Macro
from supportal.automation.services import macro_save
from supportal.helpcenter import services as helpcenter
from supportal.helpcenter.models import Article, Visibility

TITLES = {
    "en": "Reset your password",
    "ko": "비밀번호 재설정하기",
    "ja": "パスワードを再設定する",
    "zh-hans": "重置密码",
}


def make_article(
    titles: dict[str, str] | None = None,
    *,
    status: str = "published",
    visibility: str = Visibility.EVERYONE,
) -> Article:
    article = helpcenter.article_create(section=None, visibility=visibility)
    for locale, title in (titles or TITLES).items():
        helpcenter.translation_save(
            article=article, locale=locale, title=title, body="Steps.", status=status
        )
    return article


def make_macro(actor: User, title: str = "Password reset", **kwargs: Any) -> Macro:
    kwargs.setdefault("texts", {"en": "Hello {{requester.first_name}}"})
    return macro_save(macro=None, actor=actor, title=title, **kwargs)
