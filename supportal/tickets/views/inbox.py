"""The agent inbox: built-in and saved views, their counts, bulk actions and request search."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from supportal.accounts.access import agent_required
from supportal.accounts.models import User
from supportal.tickets import selectors
from supportal.tickets.inbox_forms import BulkForm, SavedViewForm
from supportal.tickets.models import SavedView, Ticket
from supportal.tickets.selectors import Page
from supportal.tickets.services import Changes, ticket_merge, tickets_bulk_update

# --- Context -----------------------------------------------------------------------------------


def _page_links(base: str, page: Page, keep: dict[str, str]) -> dict[str, str]:
    links = {}
    if page.newer:
        links["newer_url"] = f"{base}?{urlencode({**keep, 'before': page.newer})}"
    if page.older:
        links["older_url"] = f"{base}?{urlencode({**keep, 'after': page.older})}"
    return links


def _sidebar(user: User, current: str, saved: list[SavedView]) -> dict[str, Any]:
    views = selectors.all_views(user, saved)
    counts = selectors.view_counts(user, views)
    signature = ",".join(f"{item.view.key}={item.count}" for item in counts)
    return {"view_counts": counts, "current_key": current, "counts_signature": signature}


def _view_context(
    request: HttpRequest, key: str, params: QueryDict, form: BulkForm | None = None
) -> dict[str, Any]:
    """Everything the inbox page shows for view `key`; 404 for a view the user may not use."""
    user = request.user
    saved = selectors.saved_views_for(user)
    view = selectors.view_for(user, key, saved)
    if view is None:
        raise Http404
    sort = view.sort_for(params.get("sort"))
    page = selectors.inbox_page(user, view, sort, params.get("after"), params.get("before"))
    keep = {} if sort == view.sort else {"sort": sort.key}
    form = form or BulkForm(user=user, agent_list=list(User.objects.agents()))
    return {
        "view": view,
        "page": page,
        "sort": sort,
        "bulk_form": form,
        "selected": form.selected(),
        "cursor": {name: params[name] for name in ("after", "before") if params.get(name)},
        "can_edit": view.saved is not None and selectors.may_edit(user, view.saved),
        **_page_links(view.url, page, keep),
        **_sidebar(user, view.key, saved),
    }


def _render_view(request: HttpRequest, key: str) -> HttpResponse:
    return render(request, "tickets/agent/inbox.html", _view_context(request, key, request.GET))


# --- Views -------------------------------------------------------------------------------------


@agent_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    return _render_view(request, "mine")


@agent_required
@require_GET
def builtin_view(request: HttpRequest, key: str) -> HttpResponse:
    if key not in selectors.BUILTIN_VIEWS:
        raise Http404
    return _render_view(request, key)


@agent_required
@require_GET
def saved_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_view(request, f"saved-{pk}")


@agent_required
@require_GET
def view_counts(request: HttpRequest) -> HttpResponse:
    """The sidebar alone, which the page refreshes every minute: nothing (204) when no count
    changed since `was`, else the sidebar and, for screen readers, the counts that changed."""
    saved = selectors.saved_views_for(request.user)
    context = _sidebar(request.user, request.GET.get("view", "")[:40], saved)
    was = request.GET.get("was", "")
    if context["counts_signature"] == was:
        return HttpResponse(status=204)
    shown = dict(part.partition("=")[::2] for part in was[:2000].split(","))
    context["changed"] = [
        item for item in context["view_counts"] if shown.get(item.view.key) != str(item.count)
    ]
    return render(request, "tickets/agent/_inbox_counts.html", context)


# --- Saved views -------------------------------------------------------------------------------


def _editable(request: HttpRequest, pk: int) -> SavedView:
    """A saved view the user may change: their own, or a shared one for admins; else 404."""
    saved = SavedView.objects.filter(pk=pk).first()
    if saved is None or not selectors.may_edit(request.user, saved):
        raise Http404
    return saved


def _save(form: SavedViewForm, saved: SavedView, user: User) -> SavedView:
    saved.name = form.cleaned_data["name"].strip()
    saved.sort = form.cleaned_data["sort"]
    saved.conditions = form.conditions()
    if user.is_admin:
        saved.owner = None if form.shared_value() else user
    saved.save()
    return saved


def _form_page(request: HttpRequest, form: SavedViewForm, saved: SavedView | None) -> HttpResponse:
    crumbs = [(_("Inbox"), reverse("agent:inbox"))]
    if saved is not None:
        crumbs += [(saved.name, reverse("agent:saved_view", args=[saved.pk])), (_("Edit"), None)]
    else:
        crumbs.append((_("New view"), None))
    context = {"form": form, "saved": saved, "crumbs": crumbs}
    return render(request, "tickets/agent/saved_view_form.html", context)


@agent_required
@require_http_methods(["GET", "POST"])
def saved_view_create(request: HttpRequest) -> HttpResponse:
    form = SavedViewForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        saved = _save(form, SavedView(owner=request.user), request.user)
        messages.success(request, _("The view “%(name)s” was saved.") % {"name": saved.name})
        return HttpResponseRedirect(reverse("agent:saved_view", args=[saved.pk]))
    return _form_page(request, form, None)


@agent_required
@require_http_methods(["GET", "POST"])
def saved_view_edit(request: HttpRequest, pk: int) -> HttpResponse:
    saved = _editable(request, pk)
    form = SavedViewForm(request.POST or None, user=request.user, instance=saved)
    if request.method == "POST" and form.is_valid():
        _save(form, saved, request.user)
        messages.success(request, _("The view “%(name)s” was saved.") % {"name": saved.name})
        return HttpResponseRedirect(reverse("agent:saved_view", args=[saved.pk]))
    return _form_page(request, form, saved)


@agent_required
@require_POST
def saved_view_delete(request: HttpRequest, pk: int) -> HttpResponse:
    saved = _editable(request, pk)
    saved.delete()
    messages.success(request, _("The view “%(name)s” was deleted.") % {"name": saved.name})
    return HttpResponseRedirect(reverse("agent:inbox"))


# --- Bulk actions ------------------------------------------------------------------------------


def _changes(data: dict[str, Any]) -> Changes:
    action = data["action"]
    if action == "assign":
        return Changes(assignee=data["assignee_user"])
    if action == "status":
        return Changes(status=data["status"])
    if action == "priority":
        return Changes(priority=data["priority"])
    if action == "add_tags":
        return Changes(add_tags=data["tag_names"])
    return Changes(remove_tags=data["tag_names"])


def _merge_all(sources: list[Ticket], target: Ticket, actor: User) -> int:
    """Each selected request into `target`, each in its own transaction."""
    merged = 0
    for source in sources:
        try:
            ticket_merge(source=source, target=target, actor=actor)
        except ValidationError:
            continue  # already merged elsewhere: left as it is
        merged += 1
    return merged


def _apply(user: User, data: dict[str, Any]) -> int:
    tickets = list(Ticket.objects.visible_to(user).filter(pk__in=data["ids"]).order_by("pk"))
    if data["action"] == "merge":
        return _merge_all(tickets, data["target_ticket"], user)
    return tickets_bulk_update(tickets=tickets, actor=user, changes=_changes(data))


@agent_required
@require_POST
def bulk_update(request: HttpRequest) -> HttpResponse:
    """Applies one action to the selected requests the agent may see (others are ignored)."""
    form = BulkForm(request.POST, user=request.user, agent_list=list(User.objects.agents()))
    key = request.POST.get("view", "mine")[:40]
    if not form.is_valid():
        context = _view_context(request, key, request.POST, form)
        return render(request, "tickets/agent/inbox.html", context, status=200)
    changed = _apply(request.user, form.cleaned_data)
    message = ngettext("%(count)d request changed.", "%(count)d requests changed.", changed) % {
        "count": changed
    }
    messages.success(request, message)
    view = selectors.view_for(request.user, key)
    url = view.url if view else reverse("agent:inbox")
    keep = {
        name: request.POST[name] for name in ("sort", "after", "before") if request.POST.get(name)
    }
    return HttpResponseRedirect(url + (f"?{urlencode(keep)}" if keep else ""))


# --- Search ------------------------------------------------------------------------------------


@agent_required
@require_GET
def search(request: HttpRequest) -> HttpResponse:
    """Requests by words, requester or number; an exact number opens that request."""
    query = request.GET.get("q", "").strip()[:200]
    after, before = request.GET.get("after"), request.GET.get("before")
    if query and not after and not before:
        number = selectors.visible_number(request.user, query)
        if number is not None:
            return HttpResponseRedirect(reverse("agent:ticket", args=[number]))
    page = selectors.search_page(request.user, query, after, before) if query else None
    links = _page_links(reverse("agent:search"), page, {"q": query}) if page else {}
    context = {"query": query, "page": page, **links}
    return render(request, "tickets/agent/search.html", context)
