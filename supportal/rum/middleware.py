from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from supportal.rum import views

BEACON_PATH = "/rum/"


class BeaconMiddleware:
    """Answers POST /rum/ before the session, CSRF and authentication middleware run.

    A same-origin sendBeacon carries the visitor's cookies; passed down the stack, every beacon
    would load a session and a user, could note "activity" on a session (it is sent as the page
    is left) and could even set a cookie. The endpoint needs none of that, so it never sees it.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # Anything but a POST goes down the usual way (and gets its 405 with the usual headers).
        if request.path_info == BEACON_PATH and request.method == "POST":
            return views.beacon(request)
        return self.get_response(request)
