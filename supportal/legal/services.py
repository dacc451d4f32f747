"""Writing policy versions and acceptances, and accessibility barrier reports. Views, tests and
the sign-up form call these."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from supportal.accounts.models import User
from supportal.audit.services import audit_record
from supportal.legal.current import current, current_changed
from supportal.legal.models import Kind, PolicyAcceptance, PolicyText, PolicyVersion
from supportal.tickets.models import Ticket
from supportal.tickets.services import (
    Changes,
    ticket_create,
    ticket_create_anonymous,
    ticket_update,
)

# Public pages fall back to this language when a version has no text in the page's language.
FALLBACK_LANGUAGE = "en"


def _texts_snapshot(version: PolicyVersion) -> dict[str, object]:
    texts = {t.language: len(t.body) for t in version.texts.all()}
    return {
        "kind": version.kind,
        "number": version.number,
        "requires_acceptance": version.requires_acceptance,
        "characters": texts,
    }


@transaction.atomic
def version_draft(*, kind: str, actor: User | None = None) -> PolicyVersion:
    """The draft of the next version of `kind`: the existing one, or a new one prefilled with
    the words of the latest version."""
    if kind not in Kind.values:
        raise ValueError(kind)
    # Lock the kind's rows so two admins pressing "New version" at once get the same draft.
    versions = list(PolicyVersion.objects.select_for_update().filter(kind=kind).order_by("-number"))
    draft = next((v for v in versions if not v.is_published), None)
    if draft is not None:
        return draft
    latest = versions[0] if versions else None
    draft = PolicyVersion.objects.create(
        kind=kind,
        number=(latest.number + 1) if latest else 1,
        created_by=actor,
        requires_acceptance=True,
    )
    if latest is not None:
        PolicyText.objects.bulk_create(
            PolicyText(version=draft, language=t.language, body=t.body) for t in latest.texts.all()
        )
    return draft


def _check_draft(version: PolicyVersion) -> None:
    if version.is_published:
        raise ValidationError(
            _("This version is published and can no longer be changed. Make a new version."),
            code="published",
        )


@transaction.atomic
def version_update(
    *,
    version: PolicyVersion,
    requires_acceptance: bool,
    texts: Mapping[str, tuple[str, str]],
    request: HttpRequest | None = None,
) -> PolicyVersion:
    """Saves a draft: `texts` maps a language code to (body, summary); an empty body removes
    that language. Raises ValidationError for a published version, changing nothing."""
    version = PolicyVersion.objects.select_for_update().get(pk=version.pk)
    _check_draft(version)
    before = _texts_snapshot(version)
    version.requires_acceptance = requires_acceptance
    version.save(update_fields=["requires_acceptance"])
    codes = {code for code, _name in settings.LANGUAGES}
    for language, (body, summary) in texts.items():
        if language not in codes:
            raise ValueError(language)
        if body.strip():
            PolicyText.objects.update_or_create(
                version=version,
                language=language,
                defaults={"body": body, "summary": summary.strip()},
            )
        else:
            PolicyText.objects.filter(version=version, language=language).delete()
    audit_record(
        action="legal.edit",
        request=request,
        target=version,
        before=before,
        after=_texts_snapshot(version),
    )
    return version


@transaction.atomic
def version_publish(*, version: PolicyVersion, request: HttpRequest | None = None) -> PolicyVersion:
    """Publishes a draft. It needs a text in the fallback language (English), which every
    other language falls back to."""
    version = PolicyVersion.objects.select_for_update().get(pk=version.pk)
    _check_draft(version)
    if not version.texts.filter(language=FALLBACK_LANGUAGE).exclude(body="").exists():
        raise ValidationError(
            _("Add the English text first: pages in other languages fall back to it."),
            code="no_fallback",
        )
    user = getattr(request, "user", None) if request is not None else None
    version.published_at = timezone.now()
    version.published_by = user if user is not None and user.is_authenticated else None
    version.save(update_fields=["published_at", "published_by"])
    audit_record(
        action="legal.publish",
        request=request,
        target=version,
        after={**_texts_snapshot(version), "published_at": version.published_at.isoformat()},
    )
    current_changed()
    return version


def pending_for(user: User) -> list[str]:
    """The kinds whose required version `user` has not accepted yet (one query when any
    version requires acceptance, none otherwise). Accepting a later version counts too."""
    required = current().required
    if not required:
        return []
    accepted = dict(
        PolicyAcceptance.objects.filter(user=user, version__kind__in=list(required))
        .values("version__kind")
        .annotate(top=Max("version__number"))
        .values_list("version__kind", "top")
    )
    return [kind for kind, p in sorted(required.items()) if accepted.get(kind, 0) < p.number]


def _client_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


@transaction.atomic
def policies_accept(
    *, user: User, versions: Iterable[PolicyVersion], request: HttpRequest | None = None
) -> list[PolicyAcceptance]:
    """Records that `user` accepts each of `versions` (published ones only; again is a no-op)."""
    ip = _client_ip(request)
    accepted = []
    for version in versions:
        _check_published(version)
        acceptance, _created = PolicyAcceptance.objects.get_or_create(
            user=user, version=version, defaults={"ip": ip}
        )
        accepted.append(acceptance)
    return accepted


def _check_published(version: PolicyVersion) -> None:
    if not version.is_published:
        raise ValidationError(_("This version is not published."), code="draft")


def policies_accept_current(*, user: User, request: HttpRequest | None = None) -> None:
    """Sign-up: the new account accepts the current version of every published document."""
    pks = [p.pk for p in current().latest.values()]
    if pks:
        policies_accept(
            user=user, versions=PolicyVersion.objects.filter(pk__in=pks), request=request
        )


# --- Accessibility barrier reports ---------------------------------------------------------------

# The tag agents find barrier reports by (a view, a trigger, a report).
BARRIER_TAG = "accessibility"
# How much of the description the subject quotes.
SUBJECT_EXCERPT = 60


def _first_words(text: str, limit: int = SUBJECT_EXCERPT) -> str:
    line = " ".join(text.split())
    if len(line) <= limit:
        return line
    cut = line[:limit]
    # At a word boundary when there is one late enough; Japanese and Chinese have none.
    if " " in cut[limit // 2 :]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip() + "…"


@transaction.atomic
def accessibility_barrier_report(
    *,
    user: User | None,
    description: str,
    language: str,
    email: str = "",
    name: str = "",
    submission_key: str | None = None,
) -> Ticket:
    """A barrier someone met on the site, as a request tagged `accessibility`: from the signed-in
    account, or from a visitor's address (who gets the usual emailed link to it)."""
    description = description.strip()
    if not description:
        raise ValidationError(_("Tell us what got in the way."))
    subject = _("Accessibility barrier: %(start)s") % {"start": _first_words(description)}
    if user is not None and user.is_authenticated:
        ticket = ticket_create(
            requester=user,
            subject=subject,
            description=description,
            submission_key=submission_key,
        )
    else:
        ticket = ticket_create_anonymous(
            email=email,
            name=name,
            subject=subject,
            description=description,
            language=language,
            submission_key=submission_key,
        )
    ticket_update(ticket=ticket, actor=None, changes=Changes(add_tags=[BARRIER_TAG]))
    return ticket
