"""Demo chat: the settings row and one finished chat in Casey's history. Idempotent."""

from __future__ import annotations

import secrets

from supportal.accounts.models import User
from supportal.chat import services
from supportal.chat.models import Chat, ChatSettings, Identity


def load_demo_chat() -> None:
    if not ChatSettings.objects.filter(pk=1).exists():
        services.chat_settings_save(values={})
    customer = User.objects.filter(email="customer@example.com").first()
    agent = User.objects.filter(email="agent@example.com").first()
    if customer is None or agent is None or Chat.objects.exists():
        return
    chat = services.chat_start(
        token=secrets.token_urlsafe(32),
        requester=customer,
        identity=Identity.SIGNED_IN,
        body="Hi, can I change the delivery address of an order I placed an hour ago?",
        language="en",
        page_url="/en/help/",
    )
    if chat.agent is None:  # automatic assignment gave it to nobody (no agent available)
        services.chat_accept(chat=chat, agent=agent)
    chat.refresh_from_db()
    agent = chat.agent
    services.chat_post(
        chat=chat,
        author=agent,
        body="Yes, as long as it has not shipped. I have changed it for you; you will get a "
        "confirmation email.",
    )
    services.chat_post(chat=chat, author=customer, body="Great, thank you!")
    services.chat_end(chat=chat, actor=agent)
