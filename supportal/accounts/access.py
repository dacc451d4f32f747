"""Who may open which view. Every view names its rule with one of these decorators.

They work on function views and on class-based views alike; a test walks the URL patterns
and fails on any view without a rule.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.decorators import method_decorator

V = TypeVar("V")


def _apply(rule: str, wrap: Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]):  # type: ignore[no-untyped-def]
    def decorator(view: V) -> V:
        if isinstance(view, type):
            view = method_decorator(wrap, name="dispatch")(view)
        else:
            view = wrap(view)  # type: ignore[arg-type,assignment]
        view.access_rule = rule  # type: ignore[attr-defined]
        return view

    return decorator


def _role(
    allowed: Callable[[Any], bool], *, hidden: bool = False
) -> Callable[..., Callable[..., HttpResponse]]:
    def wrap(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not allowed(request.user):
                raise Http404 if hidden else PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return wrap


public = _apply("public", lambda view: view)
signed_in = _apply("signed_in", _role(lambda user: True))
agent_required = _apply("agent", _role(lambda user: user.is_agent))
# For agent URLs naming one request (/agent/requests/1042/): someone who is not an agent gets
# the same 404 as for a request they may not see, so the URL tells them nothing.
agent_required_hidden = _apply("agent", _role(lambda user: user.is_agent, hidden=True))
admin_required = _apply("admin", _role(lambda user: user.is_admin))
