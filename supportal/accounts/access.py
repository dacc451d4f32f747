"""Who may open which view. Every view names its rule with one of these decorators."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

View = Callable[..., HttpResponse]


def public(view: View) -> View:
    """Anyone, signed in or not, may open this view."""
    view.access_rule = "public"  # type: ignore[attr-defined]
    return view


def _role_required(rule: str, allowed: Callable[[Any], bool]) -> Callable[[View], View]:
    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not allowed(request.user):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapper.access_rule = rule  # type: ignore[attr-defined]
        return wrapper

    return decorator


signed_in = _role_required("signed_in", lambda user: True)
agent_required = _role_required("agent", lambda user: user.is_agent)
admin_required = _role_required("admin", lambda user: user.is_admin)
