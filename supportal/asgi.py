"""The chat process: WebSockets under /ws/ (Channels). Pages are served by gunicorn (wsgi.py);
plain HTTP here is Django too, so a single ASGI server still works (more slowly) alone."""

from __future__ import annotations

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "supportal.settings")
django_application = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402  (after Django is set up)
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from supportal.chat.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_application,
        # The Origin must be one of ALLOWED_HOSTS: the widget is a page of ours (an iframe on
        # other sites), so no other site's page can open a socket with a visitor's cookie.
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
    }
)
