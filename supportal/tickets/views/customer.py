"""Placeholder: replaced by the real views."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from supportal.accounts.access import signed_in


@signed_in
def my_requests(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise NotImplementedError


@signed_in
def new_request(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise NotImplementedError


@signed_in
def suggest_articles(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise NotImplementedError


@signed_in
def open_suggested_article(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise NotImplementedError


@signed_in
def access_link(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise NotImplementedError


@signed_in
def request_detail(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise NotImplementedError


@signed_in
def request_reply(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise NotImplementedError


@signed_in
def request_solve(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise NotImplementedError


@signed_in
def request_reopen(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise NotImplementedError


@signed_in
def request_cc_add(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise NotImplementedError


@signed_in
def request_cc_remove(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise NotImplementedError


@signed_in
def attachment_download(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise NotImplementedError
