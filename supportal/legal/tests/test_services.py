"""Policy versions: drafts, publishing, and what publishing leaves alone."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from supportal.audit.models import AuditEntry
from supportal.legal import services
from supportal.legal.current import current
from supportal.legal.models import PolicyAcceptance, PolicyText, PolicyVersion
from supportal.legal.tests.helpers import ENGLISH, KOREAN, publish
from supportal.test import Personas

pytestmark = pytest.mark.django_db


class PublishingTests:
    def test_it_makes_a_new_version_and_leaves_the_old_one_unchanged(
        self, personas: Personas
    ) -> None:
        first = publish("privacy")
        first_published_at = first.published_at
        draft = services.version_draft(kind="privacy", actor=personas.admin)
        assert (draft.number, draft.is_published, draft.created_by) == (2, False, personas.admin)
        # The draft starts with the words of the latest version.
        assert {t.language: t.body for t in draft.texts.all()} == {"en": ENGLISH, "ko": KOREAN}
        services.version_update(
            version=draft,
            requires_acceptance=True,
            texts={"en": ("## Your data\n\nWe keep requests for three years.", "Retention"),
                   "ko": ("", "")},
        )  # fmt: skip
        second = services.version_publish(version=draft)

        first.refresh_from_db()
        assert first.published_at == first_published_at
        assert {t.language: t.body for t in first.texts.all()} == {"en": ENGLISH, "ko": KOREAN}
        assert second.number == 2 and second.is_published
        assert list(second.texts.values_list("language", "summary")) == [("en", "Retention")]
        assert current().latest["privacy"].pk == second.pk
        assert current().required["privacy"].pk == second.pk
        entry = AuditEntry.objects.filter(action="legal.publish").latest("id")
        assert entry.target_id == str(second.pk)
        assert entry.after["number"] == 2

    def test_it_refuses_to_change_a_published_version(self) -> None:
        version = publish("terms", {"en": "Be nice."})
        with pytest.raises(ValidationError):
            services.version_update(
                version=version, requires_acceptance=False, texts={"en": ("Changed", "")}
            )
        with pytest.raises(ValidationError):
            services.version_publish(version=version)
        version.refresh_from_db()
        assert version.requires_acceptance
        assert PolicyText.objects.get(version=version).body == "Be nice."

    def test_it_needs_the_english_text_to_publish(self) -> None:
        draft = services.version_draft(kind="terms")
        services.version_update(version=draft, requires_acceptance=True, texts={"ko": ("약관", "")})
        with pytest.raises(ValidationError, match="English"):
            services.version_publish(version=draft)
        draft.refresh_from_db()
        assert not draft.is_published
        assert "terms" not in current().latest

    def test_new_version_returns_the_open_draft_instead_of_a_second_one(self) -> None:
        first = services.version_draft(kind="terms")
        assert services.version_draft(kind="terms").pk == first.pk
        assert PolicyVersion.objects.filter(kind="terms").count() == 1

    def test_a_correction_does_not_change_the_version_people_must_accept(self) -> None:
        required = publish("privacy")
        correction = publish("privacy", requires_acceptance=False)
        assert current().latest["privacy"].pk == correction.pk
        assert current().required["privacy"].pk == required.pk


class AcceptanceServiceTests:
    def test_accepting_a_later_version_counts_for_an_earlier_required_one(
        self, personas: Personas
    ) -> None:
        publish("privacy")
        correction = publish("privacy", requires_acceptance=False)
        assert services.pending_for(personas.customer) == ["privacy"]
        services.policies_accept(user=personas.customer, versions=[correction])
        assert services.pending_for(personas.customer) == []

    def test_it_refuses_to_record_acceptance_of_a_draft(self, personas: Personas) -> None:
        draft = services.version_draft(kind="terms")
        with pytest.raises(ValidationError):
            services.policies_accept(user=personas.customer, versions=[draft])
        assert not PolicyAcceptance.objects.exists()
