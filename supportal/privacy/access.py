"""Lookups for the personal-data views: anything the user may not see is a 404."""

from __future__ import annotations

from django.http import Http404, HttpRequest

from supportal.accounts.models import User


def get_person_for(request: HttpRequest, pk: int) -> User:
    """A person an admin acts on (export, erasure); no one else reaches anybody."""
    if not request.user.is_authenticated or not request.user.is_admin:
        raise Http404
    person = User.objects.select_related("organization").filter(pk=pk).first()
    if person is None:
        raise Http404
    return person
