"""Lookups for the policy views: 404 for anything the caller may not open."""

from __future__ import annotations

from django.http import Http404, HttpRequest

from supportal.legal.models import Kind, PolicyVersion


def get_version_for(request: HttpRequest, pk: int) -> PolicyVersion:
    """Any version, drafts included: admins only (the settings pages)."""
    version = PolicyVersion.objects.filter(pk=pk).first()
    if version is None or not request.user.is_admin:  # type: ignore[union-attr]
        raise Http404
    return version


def get_published_for(kind: str, number: int) -> PolicyVersion:
    """A published version, for everyone; drafts do not exist for the public."""
    if kind not in Kind.values:
        raise Http404
    version = PolicyVersion.objects.published().filter(kind=kind, number=number).first()
    if version is None:
        raise Http404
    return version
