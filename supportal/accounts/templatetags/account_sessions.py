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
