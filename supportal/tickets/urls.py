"""Customers' request pages, under /<lang>/requests/ (namespace "tickets")."""

from __future__ import annotations

from django.urls import path

from supportal.tickets.views import customer

app_name = "tickets"

urlpatterns = [
    path("", customer.my_requests, name="mine"),
    path("new", customer.new_request, name="new"),
    path("new/suggest", customer.suggest_articles, name="suggest"),
    path("new/article/<int:article_id>", customer.open_suggested_article, name="deflect"),
    path("access/<str:token>", customer.access_link, name="access"),
    path("<int:number>/", customer.request_detail, name="detail"),
    path("<int:number>/reply", customer.request_reply, name="reply"),
    path("<int:number>/solve", customer.request_solve, name="solve"),
    path("<int:number>/reopen", customer.request_reopen, name="reopen"),
    path("<int:number>/cc", customer.request_cc_add, name="cc_add"),
    path("<int:number>/cc/<int:user_id>/remove", customer.request_cc_remove, name="cc_remove"),
    path(
        "<int:number>/attachments/<int:pk>/<str:filename>",
        customer.attachment_download,
        name="attachment",
    ),
]
