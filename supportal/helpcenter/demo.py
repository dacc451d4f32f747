# Demo articles are prose in four languages; wrapping them would only make them harder to edit.
# ruff: noqa: E501
"""Demo help-center content for `supportal demo` (idempotent).

Articles are found again by external_id, categories and sections by their English name, so a
second run adds nothing and rewrites nothing that did not change.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction

from supportal.helpcenter import services
from supportal.helpcenter.models import (
    FAQ_LABEL,
    Article,
    ArticleTranslation,
    Category,
    Section,
    Visibility,
)

PUBLISHED = ArticleTranslation.Status.PUBLISHED

CATEGORIES = [
    # key, names, sections [(key, names)]
    (
        "start",
        {"en": "Getting started", "ko": "시작하기", "ja": "はじめに", "zh-hans": "入门"},
        [("portal", {"en": "Using the portal", "ko": "포털 이용하기", "ja": "ポータルの使い方", "zh-hans": "使用门户"})],
    ),
    (
        "account",
        {"en": "Your account", "ko": "내 계정", "ja": "アカウント", "zh-hans": "我的账户"},
        [
            ("signin", {"en": "Signing in and passwords", "ko": "로그인과 비밀번호", "ja": "サインインとパスワード", "zh-hans": "登录与密码"}),
            ("profile", {"en": "Profile and language", "ko": "프로필과 언어", "ja": "プロフィールと言語", "zh-hans": "个人资料与语言"}),
        ],
    ),
    (
        "requests",
        {"en": "Requests", "ko": "문의", "ja": "お問い合わせ", "zh-hans": "工单"},
        [("follow", {"en": "Submitting and following requests", "ko": "문의 접수와 확인", "ja": "お問い合わせの送信と確認", "zh-hans": "提交与跟进工单"})],
    ),
]  # fmt: skip


@dataclass
class DemoArticle:
    external_id: str
    section: str | None
    translations: dict[str, tuple[str, str]]
    kind: str = Article.Kind.ARTICLE
    visibility: str = Visibility.EVERYONE
    labels: list[str] = field(default_factory=list)
    promoted: bool = False
    position: int = 0


ARTICLES = [
    DemoArticle(
        "demo-reset-password",
        "signin",
        {
            "en": ("Reset your password", "If you forgot your password, you can set a new one in a few minutes.\n\n## Ask for a reset link\n\nOn the sign-in page, choose **Forgot your password?** and enter the email address of your account.\n\n## Open the email\n\nWe send you a link that works for three days. Check your spam folder if it has not arrived after a few minutes.\n\n## Choose a new password\n\nPick a password of at least 10 characters that you do not use anywhere else, then sign in with it."),
            "ko": ("비밀번호 재설정하기", "비밀번호를 잊으셨다면 몇 분 안에 새 비밀번호를 설정할 수 있습니다.\n\n## 재설정 링크 요청하기\n\n로그인 화면에서 **비밀번호를 잊으셨나요?**를 누르고 계정 이메일 주소를 입력하세요.\n\n## 이메일 확인하기\n\n3일 동안 사용할 수 있는 링크를 보내 드립니다. 몇 분이 지나도 메일이 오지 않으면 스팸함을 확인해 주세요.\n\n## 새 비밀번호 정하기\n\n다른 곳에서 쓰지 않는 10자 이상의 비밀번호를 정한 뒤 그 비밀번호로 로그인하세요."),
            "ja": ("パスワードを再設定する", "パスワードをお忘れの場合は、数分で新しいパスワードを設定できます。\n\n## 再設定用リンクを依頼する\n\nサインイン画面で **パスワードをお忘れですか？** を選び、アカウントのメールアドレスを入力してください。\n\n## メールを開く\n\n3日間有効なリンクをお送りします。数分たっても届かない場合は、迷惑メールフォルダをご確認ください。\n\n## 新しいパスワードを決める\n\nほかで使っていない10文字以上のパスワードを決め、そのパスワードでサインインしてください。"),
            "zh-hans": ("重置密码", "如果忘记了密码，几分钟内就可以设置新密码。\n\n## 申请重置链接\n\n在登录页面点击 **忘记密码？**，然后输入账户的电子邮件地址。\n\n## 打开邮件\n\n我们会发送一个三天内有效的链接。如果几分钟后仍未收到，请检查垃圾邮件文件夹。\n\n## 设置新密码\n\n请设置一个至少 10 个字符、且未在其他地方使用过的密码，然后用它登录。"),
        },
        labels=[FAQ_LABEL, "password"],
        promoted=True,
        position=1,
    ),
    DemoArticle(
        "demo-cannot-sign-in",
        "signin",
        {
            "en": ("I cannot sign in", "Check that you use the email address you signed up with and that you opened the confirmation link we sent. After several failed attempts, sign-in is paused for 15 minutes to protect your account."),
            "ko": ("로그인이 되지 않아요", "가입할 때 사용한 이메일 주소인지, 보내 드린 확인 링크를 열었는지 확인해 주세요. 여러 번 실패하면 계정 보호를 위해 15분 동안 로그인이 제한됩니다."),
            "ja": ("サインインできません", "登録したメールアドレスを使っているか、お送りした確認リンクを開いたかをご確認ください。何度も失敗すると、アカウント保護のため15分間サインインできなくなります。"),
            "zh-hans": ("无法登录", "请确认使用的是注册时的电子邮件地址，并且已经打开我们发送的确认链接。多次登录失败后，为保护您的账户，登录将暂停 15 分钟。"),
        },
        labels=[FAQ_LABEL, "password"],
        position=2,
    ),
    DemoArticle(
        "demo-change-language",
        "profile",
        {
            "en": ("Change the language of the portal", "Open the language menu at the top of any page and choose your language. When you are signed in, we also remember it in your profile and write to you in that language."),
            "ko": ("포털 언어 바꾸기", "어느 페이지에서든 위쪽의 언어 메뉴를 열고 원하는 언어를 고르세요. 로그인한 상태라면 프로필에도 저장되어 이메일도 그 언어로 보내 드립니다."),
            "ja": ("ポータルの表示言語を変更する", "どのページでも上部の言語メニューを開き、使いたい言語を選んでください。サインインしている場合はプロフィールにも保存され、メールもその言語でお送りします。"),
            "zh-hans": ("更改门户语言", "在任意页面顶部打开语言菜单，选择您需要的语言。登录后，该设置也会保存到个人资料中，我们发给您的邮件也会使用这种语言。"),
        },
        labels=["profile"],
        position=1,
    ),
    DemoArticle(
        "demo-update-profile",
        "profile",
        {
            "en": ("Update your name and time zone", "Choose your name at the top of the page to open your profile. There you can change your name, language and time zone; times on the portal are shown in your time zone."),
            "ko": ("이름과 시간대 변경하기", "페이지 위쪽의 이름을 누르면 프로필이 열립니다. 여기서 이름, 언어, 시간대를 바꿀 수 있으며 포털의 시간은 설정한 시간대로 표시됩니다."),
            "ja": ("名前とタイムゾーンを変更する", "ページ上部のお名前を選ぶとプロフィールが開きます。名前、言語、タイムゾーンを変更でき、ポータル上の時刻は設定したタイムゾーンで表示されます。"),
            "zh-hans": ("修改姓名和时区", "点击页面顶部的姓名即可打开个人资料。您可以在这里修改姓名、语言和时区，门户中的时间将按您设置的时区显示。"),
        },
        labels=["profile"],
        position=2,
    ),
    DemoArticle(
        "demo-email-notifications",
        "profile",
        {
            "en": ("Which emails we send you", "We email you when you sign up, when you ask for a password reset, and whenever an agent replies to one of your requests. You can reply to those emails directly: your answer is added to the request."),
        },
        labels=["profile"],
        position=3,
    ),
    DemoArticle(
        "demo-submit-request",
        "follow",
        {
            "en": ("Submit a request", "Sign in and choose **Submit a request**. Describe what happened, what you expected and, if you can, add a screenshot. The clearer the description, the faster we can help."),
            "ko": ("문의 접수하기", "로그인한 뒤 **문의하기**를 누르세요. 어떤 일이 있었는지, 무엇을 기대했는지 적고 가능하면 스크린샷도 첨부해 주세요. 자세히 적어 주실수록 더 빨리 도와드릴 수 있습니다."),
            "ja": ("お問い合わせを送信する", "サインインして **お問い合わせ** を選んでください。何が起きたか、どうなるはずだったかを書き、できればスクリーンショットも添付してください。詳しく書いていただくほど、早くお手伝いできます。"),
            "zh-hans": ("提交工单", "登录后点击 **提交工单**。请描述发生了什么、您期望的结果，如果可以，请附上截图。描述越清楚，我们就能越快帮到您。"),
        },
        labels=["requests"],
        position=1,
    ),
    DemoArticle(
        "demo-follow-request",
        "follow",
        {
            "en": ("Follow the progress of a request", "Open **My requests** to see every request you submitted, its status and our replies. If your organization shares requests, you also see your colleagues' requests there."),
            "ko": ("문의 진행 상황 확인하기", "**내 문의**에서 접수한 모든 문의와 상태, 답변을 볼 수 있습니다. 소속 조직이 문의를 공유하도록 설정되어 있다면 동료의 문의도 함께 보입니다."),
            "ja": ("お問い合わせの進み具合を確認する", "**マイお問い合わせ** を開くと、送信したすべてのお問い合わせとその状況、回答を確認できます。組織でお問い合わせを共有している場合は、同僚のお問い合わせも表示されます。"),
            "zh-hans": ("查看工单进度", "打开 **我的工单**，即可查看您提交的所有工单、当前状态以及我们的回复。如果您的组织设置了共享工单，还能看到同事提交的工单。"),
        },
        labels=[FAQ_LABEL, "requests"],
        position=2,
    ),
    DemoArticle(
        "demo-portal-tour",
        "portal",
        {
            "en": ("A quick tour of the portal", "The Help Center answers the most common questions; search it first. If you do not find an answer, submit a request and follow it under **My requests**."),
            "ko": ("포털 둘러보기", "고객센터에서 자주 묻는 질문의 답을 찾을 수 있으니 먼저 검색해 보세요. 답을 찾지 못했다면 문의를 남기고 **내 문의**에서 진행 상황을 확인하세요."),
            "ja": ("ポータルのご紹介", "ヘルプセンターではよくある質問にお答えしています。まずは検索してみてください。答えが見つからない場合はお問い合わせを送信し、**マイお問い合わせ** で進み具合を確認できます。"),
            "zh-hans": ("门户快速导览", "帮助中心收录了最常见问题的解答，请先搜索。如果找不到答案，可以提交工单，并在 **我的工单** 中查看进度。"),
        },
        position=1,
    ),
    DemoArticle(
        "demo-new-help-center",
        None,
        {
            "en": ("Our new Help Center is open", "You can now find answers in English, Korean, Japanese and Chinese, and tell us whether each article helped you."),
            "ko": ("새 고객센터를 열었습니다", "이제 한국어, 영어, 일본어, 중국어로 답을 찾아보실 수 있으며, 각 도움말이 도움이 되었는지 알려 주실 수 있습니다."),
            "ja": ("新しいヘルプセンターを公開しました", "日本語、英語、韓国語、中国語で回答を探せるようになりました。各記事が役に立ったかどうかもお知らせください。"),
            "zh-hans": ("新版帮助中心上线了", "现在您可以用中文、英文、韩文和日文查找答案，也可以告诉我们每篇文章是否对您有帮助。"),
        },
        kind=Article.Kind.ANNOUNCEMENT,
    ),
    DemoArticle(
        "demo-agent-escalation",
        "follow",
        {
            "en": ("Escalating a request (agents)", "Escalate when a customer is blocked for more than a day: assign the request to the on-call lead and add an internal note with what you tried."),
        },
        visibility=Visibility.AGENTS,
        labels=["requests"],
        position=9,
    ),
]  # fmt: skip


def _category(key: str, names: dict[str, str], position: int) -> Category:
    found = Category.objects.filter(translations__locale="en", translations__name=names["en"])
    return found.first() or services.category_create(names=names, position=position)


def _section(category: Category, names: dict[str, str], position: int) -> Section:
    found = Section.objects.filter(
        category=category, translations__locale="en", translations__name=names["en"]
    )
    return found.first() or services.section_create(
        category=category, names=names, position=position
    )


@transaction.atomic
def load_demo_content() -> None:
    sections: dict[str, Section] = {}
    for cat_position, (key, names, section_list) in enumerate(CATEGORIES, start=1):
        category = _category(key, names, cat_position)
        for sec_position, (sec_key, sec_names) in enumerate(section_list, start=1):
            sections[sec_key] = _section(category, sec_names, sec_position)
    for spec in ARTICLES:
        article = Article.objects.filter(external_id=spec.external_id).first()
        if article is None:
            article = services.article_create(
                section=sections[spec.section] if spec.section else None,
                kind=spec.kind,
                visibility=spec.visibility,
                external_id=spec.external_id,
                labels=spec.labels,
                promoted=spec.promoted,
                position=spec.position,
            )
        existing = {t.locale: t for t in article.translations.all()}
        for locale, (title, body) in spec.translations.items():
            current = existing.get(locale)
            if current and (current.title, current.body, current.status) == (
                title,
                body,
                PUBLISHED,
            ):
                continue
            services.translation_save(
                article=article, locale=locale, title=title, body=body, status=PUBLISHED
            )
