"""Placeholder: replaced by the real views."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from supportal.accounts.access import signed_in


@signed_in
def inbox(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise NotImplementedError


@signed_in
def builtin_view(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise NotImplementedError


@signed_in
def saved_view(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise NotImplementedError


@signed_in
def saved_view_create(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise NotImplementedError


@signed_in
def saved_view_edit(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise NotImplementedError


@signed_in
def saved_view_delete(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise NotImplementedError


@signed_in
def view_counts(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise NotImplementedError


@signed_in
def bulk_update(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise NotImplementedError


@signed_in
def search(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise NotImplementedError
