"""Email settings, the mail log and spam, under /<lang>/agent/manage/mail/ (namespace "mail").

The HTTP inbound endpoint is not here: it has no language prefix (supportal/urls.py).
"""

from __future__ import annotations

from django.urls import path

from supportal.mail.views import log, mailboxes, spam

app_name = "mail"

urlpatterns = [
    # Support addresses (views/mailboxes.py), admins
    path("", mailboxes.mailboxes, name="mailboxes"),
    path("new", mailboxes.mailbox_edit, name="mailbox_new"),
    path("new/test", mailboxes.mailbox_test, name="mailbox_test"),
    path("<int:pk>", mailboxes.mailbox_edit, name="mailbox_edit"),
    path("<int:pk>/test", mailboxes.mailbox_test, name="mailbox_test"),
    path("<int:pk>/token", mailboxes.mailbox_token, name="mailbox_token"),
    # The mail log (views/log.py), admins
    path("log/", log.log, name="log"),
    path("log/<int:pk>", log.log_detail, name="log_detail"),
    path("log/<int:pk>/original.eml", log.log_raw, name="log_raw"),
    path("log/<int:pk>/reprocess", log.log_reprocess, name="log_reprocess"),
    # Spam (views/spam.py), agents
    path("spam/", spam.spam, name="spam"),
    path("spam/<int:pk>/release", spam.spam_release, name="spam_release"),
]
