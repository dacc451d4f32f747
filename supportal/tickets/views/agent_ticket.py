"""Placeholder: replaced by the real views."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from supportal.accounts.access import signed_in


@signed_in
def ticket_page(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise NotImplementedError


@signed_in
def ticket_reply(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise NotImplementedError


@signed_in
def ticket_update(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise NotImplementedError


@signed_in
def ticket_assign_me(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise NotImplementedError


@signed_in
def ticket_merge(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise NotImplementedError


@signed_in
def ticket_link(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise NotImplementedError


@signed_in
def ticket_unlink(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise NotImplementedError


@signed_in
def ticket_cc_add(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise NotImplementedError


@signed_in
def ticket_presence(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise NotImplementedError


@signed_in
def ticket_neighbour(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise NotImplementedError
