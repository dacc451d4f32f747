from __future__ import annotations

from django import template
from django.conf import settings

register = template.Library()


@register.simple_tag
def rum_sample_rate() -> str:
    """The share of page views whose browser reports its timings (RUM_SAMPLE_RATE)."""
    return repr(float(settings.RUM_SAMPLE_RATE))
