"""No path changes or removes an audit entry: the model, its querysets, the admin site and, for
code that goes around the ORM, the database itself."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.test import RequestFactory

from supportal.audit.models import AppendOnlyError, AuditEntry
from supportal.audit.services import audit_record
from supportal.test import Personas, make_user

pytestmark = pytest.mark.django_db


def an_entry() -> AuditEntry:
    return audit_record(action="test.thing", note="first")


def raw(sql: str, *params: object) -> None:
    """SQL past the ORM, in a savepoint so the test can go on after the database refuses."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, list(params))


class AppendOnlyTests:
    def test_it_refuses_to_save_a_changed_entry(self) -> None:
        entry = an_entry()
        entry.note = "rewritten"
        with pytest.raises(AppendOnlyError):
            entry.save()
        with pytest.raises(AppendOnlyError):
            entry.save(update_fields=["note"])
        assert AuditEntry.objects.get(pk=entry.pk).note == "first"

    def test_it_never_overwrites_an_entry_given_its_id(self) -> None:
        entry = an_entry()
        forged = AuditEntry(pk=entry.pk, action="test.forged")
        with pytest.raises(IntegrityError), transaction.atomic():  # the INSERT collides
            forged.save()
        assert AuditEntry.objects.get(pk=entry.pk).action == "test.thing"

    def test_it_refuses_to_delete_an_entry(self) -> None:
        entry = an_entry()
        with pytest.raises(AppendOnlyError):
            entry.delete()
        assert AuditEntry.objects.filter(pk=entry.pk).exists()

    def test_it_refuses_queryset_update_and_delete(self) -> None:
        an_entry()
        with pytest.raises(AppendOnlyError):
            AuditEntry.objects.update(note="gone")
        with pytest.raises(AppendOnlyError):
            AuditEntry.objects.filter(action="test.thing").update(note="gone")
        with pytest.raises(AppendOnlyError):
            AuditEntry.objects.all().delete()
        with pytest.raises(AppendOnlyError):
            AuditEntry.objects.filter(action="test.thing").delete()
        assert AuditEntry.objects.get().note == "first"

    def test_it_refuses_bulk_update(self) -> None:
        entry = an_entry()
        entry.note = "gone"
        with pytest.raises(AppendOnlyError):
            AuditEntry.objects.bulk_update([entry], ["note"])

    def test_it_has_the_database_refuse_a_raw_update(self) -> None:
        entry = an_entry()
        with pytest.raises(DatabaseError) as refused:
            raw("UPDATE audit_auditentry SET note = 'gone' WHERE id = %s", entry.pk)
        assert "audit log entries cannot be changed" in str(refused.value)
        assert AuditEntry.objects.get(pk=entry.pk).note == "first"

    def test_it_has_the_database_refuse_a_raw_delete(self) -> None:
        entry = an_entry()
        with pytest.raises(DatabaseError) as refused:
            raw("DELETE FROM audit_auditentry WHERE id = %s", entry.pk)
        assert "audit log entries cannot be" in str(refused.value)
        assert AuditEntry.objects.filter(pk=entry.pk).exists()

    def test_it_offers_no_change_or_delete_in_the_admin_site(self, personas: Personas) -> None:
        model_admin = admin.site._registry[AuditEntry]
        request = RequestFactory().get("/admin/")
        request.user = make_user("root@support.test", role="admin")
        request.user.is_superuser = True
        entry = an_entry()
        assert not model_admin.has_add_permission(request)
        assert not model_admin.has_change_permission(request, entry)
        assert not model_admin.has_delete_permission(request, entry)
        assert "delete_selected" not in model_admin.get_actions(request)

    def test_it_keeps_entries_when_their_actor_is_deleted(self, personas: Personas) -> None:
        entry = audit_record(action="test.thing", actor=personas.agent)
        personas.agent.delete()
        kept = AuditEntry.objects.get(pk=entry.pk)
        assert kept.actor_label == "jiwoo@support.test"
        assert kept.actor_id is not None  # the id of an account that no longer exists
        assert AuditEntry.objects.filter(action="user.delete", target_id=entry.actor_id).exists()


class FlushTests:
    """`manage.py flush` (what the suite does after each transactional test) empties the log
    with every other table, and leaves the database refusing deletes again."""

    @pytest.mark.django_db(transaction=True)
    def test_it_empties_the_log_and_locks_it_again(self) -> None:
        from django.core.management import call_command

        an_entry()
        call_command("flush", interactive=False, verbosity=0)
        assert not AuditEntry.objects.exists()
        entry = an_entry()
        with pytest.raises(DatabaseError):
            raw("DELETE FROM audit_auditentry WHERE id = %s", entry.pk)
        assert AuditEntry.objects.filter(pk=entry.pk).exists()
