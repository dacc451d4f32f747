"""Building policy versions through the services, as the settings pages do."""

from __future__ import annotations

from supportal.legal import services
from supportal.legal.models import PolicyVersion

ENGLISH = "## Your data\n\nWe keep your requests so that we can answer them."
KOREAN = "## 개인정보\n\n문의에 답하기 위해 문의 내용을 보관합니다."


def publish(
    kind: str = "privacy",
    texts: dict[str, str] | None = None,
    *,
    requires_acceptance: bool = True,
    summaries: dict[str, str] | None = None,
) -> PolicyVersion:
    """A new published version of `kind` with `texts` (language -> Markdown)."""
    draft = services.version_draft(kind=kind)
    given = texts if texts is not None else {"en": ENGLISH, "ko": KOREAN}
    summaries = summaries or {}
    services.version_update(
        version=draft,
        requires_acceptance=requires_acceptance,
        texts={code: (body, summaries.get(code, "")) for code, body in given.items()},
    )
    return services.version_publish(version=draft)
