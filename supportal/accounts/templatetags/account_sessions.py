"""Template tags for the sessions part of the people pages."""

from __future__ import annotations

from django import template

from supportal.accounts import sessions
from supportal.accounts.models import User

register = template.Library()


@register.simple_tag
def active_session_count(person: User) -> int:
    """How many browsers the person is signed in on."""
    return sessions.active_session_count(person)


@register.simple_tag(takes_context=True)
def idle_signout(context: template.Context) -> dict[str, int] | None:
    """For the warning before an idle sign-out (accounts/_idle_warning.html, idle.js): the
    seconds left now, the limit, and how stale the last note of activity may be."""
    request = context.get("request")
    state = sessions.idle_state(request) if request is not None else None
    if state is None:
        return None
    left, limit = state
    return {"left": left, "limit": limit, "touch": sessions.TOUCH_EVERY}
