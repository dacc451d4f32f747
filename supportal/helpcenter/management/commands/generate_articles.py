"""Generates many realistic help-center articles in the four languages, for load and benchmarks."""

from __future__ import annotations

import random
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from tqdm import tqdm

from supportal.helpcenter import search, services
from supportal.helpcenter.cache import bump_content_version
from supportal.helpcenter.models import Article, ArticleTranslation, Section, Visibility

BATCH = 2000

# Per language: (category, section) names, then title patterns built from actions and objects,
# and sentences for bodies. "{a}" is an action, "{o}" an object.
WORDS: dict[str, dict[str, list[str]]] = {
    "en": {
        "places": ["Account|Signing in", "Billing|Invoices", "Orders|Shipping", "Devices|Setup"],
        "actions": ["reset", "change", "cancel", "update", "download", "set up", "delete",
                    "recover", "connect", "export", "transfer", "verify"],
        "objects": ["password", "email address", "invoice", "subscription", "order", "payment "
                    "method", "shipping address", "two-factor login", "printer", "mobile app",
                    "refund", "gift card", "team members", "notifications", "API key"],
        "titles": ["How to {a} your {o}", "Can I {a} my {o}?", "{o}: how to {a} it",
                   "Troubleshooting: cannot {a} {o}", "Why can't I {a} my {o}?"],
        "sentences": ["Open Settings and choose {o}.", "Select {a} and confirm with your "
                      "password.", "It can take up to 24 hours before the change to your {o} "
                      "appears.", "If the button is greyed out, ask your administrator.",
                      "You will receive an email when we {a} your {o}.", "Contact support if "
                      "you still cannot {a} the {o}.", "On the mobile app, tap the menu first.",
                      "This option is only available on paid plans."],
    },
    "ko": {
        "places": ["계정|로그인", "결제|청구서", "주문|배송", "기기|설정"],
        "actions": ["재설정", "변경", "취소", "업데이트", "다운로드", "설정", "삭제", "복구",
                    "연결", "내보내기", "이전", "인증"],
        "objects": ["비밀번호", "이메일 주소", "청구서", "구독", "주문", "결제 수단", "배송지",
                    "2단계 인증", "프린터", "모바일 앱", "환불", "기프트 카드", "팀원", "알림",
                    "API 키"],
        "titles": ["{o} {a} 방법", "{o}을(를) {a}할 수 있나요?", "{o} {a}가 안 될 때",
                   "{o} {a}하기", "{o}을 {a}하려면 어떻게 하나요?"],
        "sentences": ["설정을 열고 {o} 메뉴를 선택하세요.", "{a} 버튼을 누르고 비밀번호로 "
                      "확인하세요.", "{o} 변경 사항이 반영되기까지 최대 24시간이 걸릴 수 "
                      "있습니다.", "버튼이 비활성화되어 있으면 관리자에게 문의하세요.",
                      "{o} {a}이 완료되면 이메일을 보내 드립니다.", "계속 {a}할 수 없다면 "
                      "고객센터로 문의해 주세요.", "모바일 앱에서는 먼저 메뉴를 누르세요.",
                      "이 기능은 유료 요금제에서만 사용할 수 있습니다."],
    },
    "ja": {
        "places": ["アカウント|ログイン", "請求|請求書", "注文|配送", "デバイス|設定"],
        "actions": ["再設定", "変更", "キャンセル", "更新", "ダウンロード", "設定", "削除",
                    "復元", "接続", "エクスポート", "移行", "認証"],
        "objects": ["パスワード", "メールアドレス", "請求書", "サブスクリプション", "注文",
                    "支払い方法", "配送先住所", "二段階認証", "プリンター", "モバイルアプリ",
                    "返金", "ギフトカード", "チームメンバー", "通知", "APIキー"],
        "titles": ["{o}を{a}する方法", "{o}の{a}はできますか?", "{o}を{a}できない場合",
                   "{o}の{a}について"],
        "sentences": ["設定を開き、{o}を選択してください。", "{a}を押して、パスワードで確認し"
                      "ます。", "{o}の変更が反映されるまで最大24時間かかります。",
                      "ボタンが押せない場合は管理者にお問い合わせください。",
                      "{o}の{a}が完了するとメールでお知らせします。",
                      "モバイルアプリでは、まずメニューをタップします。"],
    },
    "zh-hans": {
        "places": ["账户|登录", "账单|发票", "订单|配送", "设备|设置"],
        "actions": ["重置", "更改", "取消", "更新", "下载", "设置", "删除", "恢复", "连接",
                    "导出", "转移", "验证"],
        "objects": ["密码", "电子邮件地址", "发票", "订阅", "订单", "付款方式", "收货地址",
                    "两步验证", "打印机", "移动应用", "退款", "礼品卡", "团队成员", "通知",
                    "API密钥"],
        "titles": ["如何{a}{o}", "我可以{a}{o}吗?", "无法{a}{o}怎么办", "关于{o}的{a}"],
        "sentences": ["打开设置并选择{o}。", "点击{a}并使用密码确认。", "{o}的更改最多需要24"
                      "小时才能生效。", "如果按钮是灰色的,请联系管理员。", "{o}{a}完成后,"
                      "我们会给您发送电子邮件。", "在移动应用中,请先点击菜单。"],
    },
}  # fmt: skip


def _text(rng: random.Random, words: dict[str, list[str]]) -> tuple[str, str]:
    action, obj = rng.choice(words["actions"]), rng.choice(words["objects"])
    title = rng.choice(words["titles"]).format(a=action, o=obj)
    title = title[0].upper() + title[1:]
    paragraphs = []
    for _ in range(rng.randint(2, 4)):
        sentences = rng.sample(words["sentences"], k=min(3, len(words["sentences"])))
        paragraphs.append(" ".join(s.format(a=action, o=obj) for s in sentences))
    return title, "\n\n".join(paragraphs)


class Command(BaseCommand):
    help = "Creates COUNT realistic articles across the four languages, then indexes them."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--count", type=int, default=1000)
        parser.add_argument("--seed", type=int, default=7)

    def handle(self, *args: Any, **options: Any) -> None:
        count = options["count"]
        if not 0 < count <= 1_000_000:
            raise CommandError("--count must be between 1 and 1000000.")
        rng = random.Random(options["seed"])  # noqa: S311 - sample text, not secrets
        sections = self._sections()
        locales = list(WORDS)
        quiet = options["verbosity"] < 1
        now = timezone.now()
        created_ids: list[int] = []
        with tqdm(
            total=count, unit="article", desc="create", disable=quiet, file=self.stderr
        ) as bar:
            for start in range(0, count, BATCH):
                size = min(BATCH, count - start)
                with transaction.atomic():
                    articles = Article.objects.bulk_create(
                        [
                            Article(
                                section=sections[locales[(start + i) % 4]][rng.randrange(4)],
                                visibility=rng.choices(
                                    [Visibility.EVERYONE, Visibility.SIGNED_IN, Visibility.AGENTS],
                                    weights=[8, 1, 1],
                                )[0],
                                position=start + i,
                                created_at=now,
                            )
                            for i in range(size)
                        ]
                    )
                    translations = []
                    for i, article in enumerate(articles):
                        locale = locales[(start + i) % 4]
                        title, body = _text(rng, WORDS[locale])
                        translations.append(
                            ArticleTranslation(
                                article=article,
                                locale=locale,
                                title=title,
                                body=body,
                                status=ArticleTranslation.Status.PUBLISHED,
                                created_at=now,
                                updated_at=now,
                            )
                        )
                    saved = ArticleTranslation.objects.bulk_create(translations)
                    created_ids.extend(t.pk for t in saved)
                bar.update(size)
        with tqdm(
            total=len(created_ids), unit="doc", desc="index", disable=quiet, file=self.stderr
        ) as bar:
            indexed = search.reindex_ids(created_ids, progress=bar.update)
        bump_content_version()
        if not quiet:
            self.stdout.write(f"Created {count} articles, indexed {indexed}.")

    def _sections(self) -> dict[str, list[Section]]:
        """Four categories with one section each, named in every language."""
        found: dict[str, list[Section]] = {locale: [] for locale in WORDS}
        for n in range(4):
            names = {locale: words["places"][n].split("|") for locale, words in WORDS.items()}
            category = services.category_create(
                names={locale: pair[0] for locale, pair in names.items()}, position=n
            )
            section = services.section_create(
                category=category, names={locale: pair[1] for locale, pair in names.items()}
            )
            for locale in WORDS:
                found[locale].append(section)
        return found
