from __future__ import annotations

import re

from django.conf import settings
from django.http import HttpRequest

from supportal.core.mail import delivery_configured


def site(request: HttpRequest) -> dict[str, object]:
    return {
        "SITE_URL": settings.SITE_URL,
        "EMAIL_DELIVERY_CONFIGURED": delivery_configured(),
    }


_LANGUAGE_PREFIX = re.compile(r"^/[a-z]{2}(?:-[a-z]+)?/")


def navigation(request: HttpRequest) -> dict[str, object]:
    """Which main-menu section the page belongs to (its link gets aria-current): every page
    under /agent/manage/ is Settings (Spam, which agents reach from the inbox, is the Inbox's),
    /agent/chat/ is Chats, other /agent/ pages the Inbox's; one rule instead of a list of view
    names per area."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return {"nav_section": ""}
    path = _LANGUAGE_PREFIX.sub("/", request.path_info, count=1)
    name = match.view_name
    if match.namespace == "helpcenter":
        section = "helpcenter"
    elif name in ("tickets:new", "tickets:mine"):
        section = name.partition(":")[2]
    elif match.namespace == "helpcenter_agent":
        section = "articles"
    elif name.startswith("core:outbox"):
        section = "outbox"
    elif path.startswith("/agent/chat/"):
        section = "chat"
    elif path.startswith("/agent/manage/") and not name.startswith("mail:spam"):
        section = "settings"
    elif path.startswith("/agent/"):
        section = "inbox"
    else:
        section = ""
    return {"nav_section": section}
