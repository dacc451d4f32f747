"""{% policy_links as links %}: the footer's "Privacy" and "Terms" links, only for documents that
have a published version (read from the per-process copy, so no query), and the accessibility
statement, which is always there."""

from __future__ import annotations

from django import template
from django.urls import reverse
from django.utils.translation import gettext as _

from supportal.legal.current import current

register = template.Library()


@register.simple_tag
def policy_links() -> list[tuple[str, str]]:
    latest = current().latest
    labels = (("privacy", _("Privacy")), ("terms", _("Terms")))
    links = [(reverse(f"legal:{kind}"), label) for kind, label in labels if kind in latest]
    links.append((reverse("legal:accessibility"), _("Accessibility")))
    return links
