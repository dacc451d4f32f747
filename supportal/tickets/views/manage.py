"""Placeholder: replaced by the real views."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from supportal.accounts.access import signed_in


@signed_in
def groups(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise NotImplementedError


@signed_in
def group_edit(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise NotImplementedError


@signed_in
def fields(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise NotImplementedError


@signed_in
def field_edit(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise NotImplementedError


@signed_in
def request_types(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise NotImplementedError


@signed_in
def request_type_edit(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise NotImplementedError
