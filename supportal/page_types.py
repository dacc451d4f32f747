"""Every page a person can open, for the tests and benchmarks that visit them all.

`PAGE_TYPES` names each page type once, with who opens it and how its URL is found in the demo
content (`supportal demo` plus `add_page_content()`). `supportal/core/tests/test_page_types.py`
fails when a URL of the site is neither listed here nor in `NOT_PAGES` with its reason, so a new
page joins the browser checks (axe-core, semantics, layout shift, reflow, in every language) by
default: adding a view means adding a line here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db.models import Model
from django.urls import reverse
from django.utils import timezone, translation

# Demo people (supportal.core.management.commands.demo), by the role a page needs.
PEOPLE = {
    "customer": "customer@example.com",
    "agent": "agent@example.com",
    "admin": "admin@example.com",
}


def _first(model: type[Model], **filters: Any) -> Any:
    found = model._default_manager.filter(**filters).order_by("pk").first()
    if found is None:
        raise LookupError(f"No {model.__name__} matching {filters} in the demo content")
    return found


def _customer_ticket() -> Any:
    from supportal.tickets.models import Ticket

    return _first(Ticket, requester__email=PEOPLE["customer"])


def _article() -> Any:
    from supportal.helpcenter.models import Article, Visibility

    return _first(
        Article,
        kind=Article.Kind.ARTICLE,
        visibility=Visibility.EVERYONE,
        translations__locale="en",
        translations__status="published",
    )


def _ticket() -> dict[str, int]:
    return {"number": _customer_ticket().number}


def _pk(model_path: str, **filters: Any) -> Callable[[], dict[str, int]]:
    def lookup() -> dict[str, int]:
        from django.apps import apps

        return {"pk": _first(apps.get_model(model_path), **filters).pk}

    return lookup


@dataclass(frozen=True)
class PageType:
    """One kind of page: `route` is its URL name, `who` the person who opens it (a key of
    PEOPLE, or None for a visitor), `kwargs` reads its URL's arguments from the demo content."""

    name: str
    route: str
    who: str | None
    kwargs: Callable[[], dict[str, Any]] = field(default=dict)
    query: str = ""
    status: int = 200
    frame: bool = False  # made to sit in an iframe on another site: no banner or footer
    main: bool = False  # one of the main page types: Lighthouse and the throttled CLS test

    def path(self, lang: str) -> str:
        with translation.override(lang):
            return reverse(self.route, kwargs=self.kwargs()) + self.query


def _article_id() -> dict[str, int]:
    return {"article_id": _article().pk}


def _article_locale() -> dict[str, Any]:
    return {"pk": _article().pk, "locale": "en"}


def _revision() -> dict[str, Any]:
    from supportal.helpcenter.models import ArticleRevision

    article = _article()
    revision = _first(ArticleRevision, translation__article=article, translation__locale="en")
    return {"pk": article.pk, "locale": "en", "revision_id": revision.pk}


def _category_id() -> dict[str, int]:
    from supportal.helpcenter.models import Category

    return {"category_id": _first(Category).pk}


def _section_id() -> dict[str, int]:
    from supportal.helpcenter.models import Section

    return {"section_id": _first(Section).pk}


def _rating_token() -> dict[str, Any]:
    from supportal.satisfaction.survey import rating_token

    ticket = _customer_ticket()
    return {"number": ticket.number, "token": rating_token(ticket)}


def _person() -> dict[str, int]:
    from supportal.accounts.models import User

    return {"pk": _first(User, email=PEOPLE["customer"]).pk}


def _published_policy(kind: str) -> Callable[[], dict[str, int]]:
    def lookup() -> dict[str, int]:
        from supportal.legal.models import PolicyVersion

        return {"number": _first(PolicyVersion, kind=kind, published_at__isnull=False).number}

    return lookup


_draft_policy = _pk("legal.PolicyVersion", published_at__isnull=True)


def _passkey() -> dict[str, int]:
    from supportal.accounts.models import Passkey

    return {"pk": _first(Passkey, user__email=PEOPLE["customer"]).pk}


PAGE_TYPES: list[PageType] = [
    # --- Visitors ---------------------------------------------------------------------------
    PageType("home", "core:home", None),
    PageType("help center", "helpcenter:home", None, main=True),
    PageType("category", "helpcenter:category", None, _category_id),
    PageType("section", "helpcenter:section", None, _section_id),
    PageType("article", "helpcenter:article", None, _article_id, main=True),
    PageType("FAQ", "helpcenter:faq", None, main=True),
    PageType("announcements", "helpcenter:announcements", None, main=True),
    PageType("search results", "helpcenter:search", None, query="?q=password", main=True),
    PageType("sign-in", "accounts:login", None, main=True),
    PageType("sign-up", "accounts:signup", None),
    PageType("sign-up done", "accounts:signup_done", None),
    PageType(
        "verification link expired", "accounts:verify", None, lambda: {"token": "x"}, status=400
    ),
    PageType("resend verification", "accounts:resend_verification", None),
    PageType("password reset", "accounts:password_reset", None),
    PageType("password reset sent", "accounts:password_reset_done", None),
    PageType(
        "password reset link invalid",
        "accounts:password_reset_confirm",
        None,
        lambda: {"uidb64": "MQ", "token": "x"},
        status=400,
    ),
    PageType("password reset complete", "accounts:password_reset_complete", None),
    PageType("new request, visitor", "tickets:new", None),
    PageType("request link invalid", "tickets:access", None, lambda: {"token": "x"}),
    PageType("rate by link", "satisfaction:rate", None, _rating_token),
    PageType("rating thanks", "satisfaction:thanks", None, _rating_token),
    PageType("privacy policy", "legal:privacy", None),
    PageType("privacy policy version", "legal:privacy_version", None, _published_policy("privacy")),
    PageType("terms", "legal:terms", None),
    PageType("terms version", "legal:terms_version", None, _published_policy("terms")),
    PageType("accessibility statement", "legal:accessibility", None),
    PageType("chat window", "chat:widget", None, frame=True),
    # --- Customers --------------------------------------------------------------------------
    PageType("home, signed in", "core:home", "customer", main=True),
    PageType("my requests", "tickets:mine", "customer", main=True),
    PageType("a request", "tickets:detail", "customer", _ticket, main=True),
    PageType("new request", "tickets:new", "customer", main=True),
    PageType("profile", "accounts:profile", "customer", main=True),
    PageType("password change", "accounts:password_change", "customer"),
    PageType("email change", "accounts:email_change", "customer"),
    PageType("email change sent", "accounts:email_change_sent", "customer"),
    PageType(
        "email change link invalid",
        "accounts:email_change_confirm",
        "customer",
        lambda: {"token": "x"},
        status=400,
    ),
    PageType("security", "accounts:security", "customer"),
    PageType("confirm it is you", "accounts:reauth", "customer"),
    PageType("two-factor setup", "accounts:twofactor_setup", "customer"),
    PageType("rename passkey", "accounts:passkey_rename", "customer", _passkey),
    PageType("remove passkey", "accounts:passkey_remove", "customer", _passkey),
    PageType("export my data", "privacy:export", "customer"),
    PageType(
        "export link expired", "privacy:download", "customer", lambda: {"token": "x"}, status=410
    ),
    # --- Agents -----------------------------------------------------------------------------
    PageType("inbox", "agent:inbox", "agent", main=True),
    PageType("inbox view", "agent:view", "agent", lambda: {"key": "unassigned"}),
    PageType("saved view", "agent:saved_view", "agent", _pk("tickets.SavedView")),
    PageType("new saved view", "agent:saved_view_new", "agent"),
    PageType("edit saved view", "agent:saved_view_edit", "agent", _pk("tickets.SavedView")),
    PageType("agent search", "agent:search", "agent", query="?q=password"),
    PageType("agent request page", "agent:ticket", "agent", _ticket, main=True),
    PageType("suggested articles", "agent:ticket_suggestions", "agent", _ticket),
    PageType("log a call request", "phone:call_request_new", "agent"),
    PageType("chat panel", "agent_chat:panel", "agent"),
    PageType("articles", "helpcenter_agent:articles", "agent", main=True),
    PageType("new article", "helpcenter_agent:article_create", "agent"),
    PageType("article settings", "helpcenter_agent:settings", "agent", _pk("helpcenter.Article")),
    PageType("article media", "helpcenter_agent:media", "agent", _pk("helpcenter.Article")),
    PageType("article editor", "helpcenter_agent:translation", "agent", _article_locale, main=True),
    PageType("article revisions", "helpcenter_agent:revisions", "agent", _article_locale),
    PageType("article revision", "helpcenter_agent:revision", "agent", _revision),
    PageType("content gaps", "helpcenter_agent:gaps", "agent"),
    PageType("categories", "helpcenter_agent:categories", "agent"),
    PageType("category settings", "helpcenter_agent:category", "agent", _pk("helpcenter.Category")),
    PageType("new section", "helpcenter_agent:section_create", "agent"),
    PageType("section settings", "helpcenter_agent:section", "agent", _pk("helpcenter.Section")),
    PageType("notices", "helpcenter_agent:notices", "agent"),
    PageType("new notice", "helpcenter_agent:notice_create", "agent"),
    PageType("notice", "helpcenter_agent:notice", "agent", _pk("helpcenter.Notice")),
    PageType("satisfaction report", "satisfaction:report", "agent"),
    PageType("availability", "rules:availability", "agent"),
    # --- Admins -----------------------------------------------------------------------------
    PageType("outbox", "core:outbox", "admin"),
    PageType("outbox message", "core:outbox_detail", "admin", _pk("core.OutboundEmail")),
    PageType("security policy", "accounts:security_policy", "admin"),
    PageType("groups", "agent:groups", "admin", main=True),
    PageType("new group", "agent:group_new", "admin"),
    PageType("edit group", "agent:group_edit", "admin", _pk("tickets.Group")),
    PageType("fields", "agent:fields", "admin"),
    PageType("new field", "agent:field_new", "admin"),
    PageType("edit field", "agent:field_edit", "admin", _pk("tickets.CustomField")),
    PageType("request types", "agent:types", "admin"),
    PageType("new request type", "agent:type_new", "admin"),
    PageType("edit request type", "agent:type_edit", "admin", _pk("tickets.RequestType")),
    PageType("mailboxes", "mail:mailboxes", "admin"),
    PageType("new mailbox", "mail:mailbox_new", "admin"),
    PageType("edit mailbox", "mail:mailbox_edit", "admin", _pk("mail.Mailbox")),
    PageType("mail log", "mail:log", "admin"),
    PageType("mail log entry", "mail:log_detail", "admin", _pk("mail.InboundEmail")),
    PageType("spam", "mail:spam", "admin"),
    PageType("audit log", "audit:log", "admin"),
    PageType("maintenance", "maintenance", "admin"),
    PageType("performance", "rum:performance", "admin"),
    PageType("status", "monitoring:status", "admin"),
    PageType("people", "people:list", "admin"),
    PageType("person", "people:person", "admin", _person),
    PageType("macros", "automation:macros", "admin", main=True),
    PageType("new macro", "automation:macro_new", "admin"),
    PageType("edit macro", "automation:macro_edit", "admin", _pk("automation.Macro")),
    PageType("delete macro", "automation:macro_delete", "admin", _pk("automation.Macro")),
    PageType("business hours", "sla:schedules", "admin"),
    PageType("new business hours", "sla:schedule_new", "admin"),
    PageType("edit business hours", "sla:schedule_edit", "admin", _pk("sla.Schedule")),
    PageType("delete business hours", "sla:schedule_delete", "admin", _pk("sla.Schedule")),
    PageType("holidays", "sla:holidays", "admin", _pk("sla.Schedule")),
    PageType("SLA policies", "sla:policies", "admin"),
    PageType("new SLA policy", "sla:policy_new", "admin"),
    PageType("SLA test", "sla:policy_test", "admin"),
    PageType("group leads", "sla:group_leads", "admin"),
    PageType("edit SLA policy", "sla:policy_edit", "admin", _pk("sla.SlaPolicy")),
    PageType("delete SLA policy", "sla:policy_delete", "admin", _pk("sla.SlaPolicy")),
    PageType("routing rules", "rules:routing", "admin"),
    PageType("new routing rule", "rules:routing_new", "admin"),
    PageType("edit routing rule", "rules:routing_edit", "admin", _pk("rules.RoutingRule")),
    PageType("delete routing rule", "rules:routing_delete", "admin", _pk("rules.RoutingRule")),
    PageType("assignment", "rules:assignment", "admin"),
    PageType("triggers", "rules:triggers", "admin"),
    PageType("new trigger", "rules:trigger_new", "admin"),
    PageType("edit trigger", "rules:trigger_edit", "admin", _pk("rules.Trigger")),
    PageType("delete trigger", "rules:trigger_delete", "admin", _pk("rules.Trigger")),
    PageType("automations", "rules:automations", "admin"),
    PageType("new automation", "rules:automation_new", "admin"),
    PageType("edit automation", "rules:automation_edit", "admin", _pk("rules.Automation")),
    PageType("delete automation", "rules:automation_delete", "admin", _pk("rules.Automation")),
    PageType("legal documents", "legal:manage", "admin"),
    PageType("edit legal document", "legal:version_edit", "admin", _draft_policy),
    PageType("publish legal document", "legal:version_publish", "admin", _draft_policy),
    PageType("chat settings", "agent_chat:settings", "admin"),
    PageType("retention", "privacy:retention", "admin"),
    PageType("export a person's data", "privacy:person_export", "admin", _person),
    PageType("erase a person", "privacy:person_erase", "admin", _person),
]

# Every other URL of the site, and why it is not a page of its own. The test checks the reasons
# it can: a POST endpoint answers GET with 405.
POST_ONLY = "a form's action: answers POST only"
FRAGMENT = "an htmx fragment or a poll inside a page listed above"
REDIRECT = "redirects to a page listed above"
FILE = "a file: a feed, a download, an attachment, a CSV"
SIGNED_IN_FLOW = "a step that needs a state the sign-in flow makes (tested in accounts)"

NOT_PAGES: dict[str, str] = {
    "accounts:logout": POST_ONLY,
    "accounts:twofactor_verify": SIGNED_IN_FLOW,
    "accounts:twofactor_recovery_codes": SIGNED_IN_FLOW,
    "accounts:twofactor_disable": SIGNED_IN_FLOW,
    "accounts:twofactor_forget_browsers": POST_ONLY,
    "accounts:passkey_register_options": POST_ONLY,
    "accounts:passkey_register": POST_ONLY,
    "accounts:passkey_login_options": POST_ONLY,
    "accounts:passkey_login": POST_ONLY,
    "accounts:passkey_reauth_options": POST_ONLY,
    "accounts:passkey_reauth": POST_ONLY,
    "accounts:session_sign_out": POST_ONLY,
    "accounts:session_sign_out_others": POST_ONLY,
    "accounts:session_keep": POST_ONLY,
    "accounts:person_sign_out_everywhere": POST_ONLY,
    "helpcenter:vote": POST_ONLY,
    "helpcenter:vote_comment": POST_ONLY,
    "helpcenter:announcements_feed": FILE,
    "helpcenter:notice_dismiss": POST_ONLY,
    "helpcenter:search_suggest": FRAGMENT,
    "helpcenter:search_click": REDIRECT,
    "helpcenter:search_suggested": REDIRECT,
    "helpcenter_agent:revision_restore": POST_ONLY,
    "helpcenter_agent:preview": POST_ONLY,
    "helpcenter_agent:notice_delete": POST_ONLY,
    "tickets:suggest": FRAGMENT,
    "tickets:deflect": REDIRECT,
    "tickets:reply": POST_ONLY,
    "tickets:solve": POST_ONLY,
    "tickets:reopen": POST_ONLY,
    "tickets:cc_add": POST_ONLY,
    "tickets:cc_remove": POST_ONLY,
    "tickets:attachment": FILE,
    "chat:start": POST_ONLY,
    "chat:send": POST_ONLY,
    "chat:events": FRAGMENT,
    "chat:typing": POST_ONLY,
    "chat:read": POST_ONLY,
    "chat:keep": POST_ONLY,
    "chat:end": POST_ONLY,
    "chat:rate": POST_ONLY,
    "chat:transcript": POST_ONLY,
    "chat:leave_message": POST_ONLY,
    "chat:new": POST_ONLY,
    "chat:attachment": FILE,
    "agent_chat:lists": FRAGMENT,
    "agent_chat:events": FRAGMENT,
    "agent_chat:macro": FRAGMENT,
    "agent_chat:accept": POST_ONLY,
    "agent_chat:reply": POST_ONLY,
    "agent_chat:transfer": POST_ONLY,
    "agent_chat:end": POST_ONLY,
    "agent_chat:identity_secret": POST_ONLY,
    "agent:saved_view_delete": POST_ONLY,
    "agent:counts": FRAGMENT,
    "agent:bulk": POST_ONLY,
    "agent:ticket_reply": POST_ONLY,
    "agent:ticket_update": POST_ONLY,
    "agent:ticket_assign_me": POST_ONLY,
    "agent:ticket_merge": POST_ONLY,
    "agent:ticket_link": POST_ONLY,
    "agent:ticket_unlink": POST_ONLY,
    "agent:ticket_cc_add": POST_ONLY,
    "agent:ticket_triage_apply": POST_ONLY,
    "agent:ticket_presence": FRAGMENT,
    "agent:ticket_neighbour": REDIRECT,
    "phone:call_log": POST_ONLY,
    "mail:mailbox_test": POST_ONLY,
    "mail:mailbox_token": POST_ONLY,
    "mail:log_raw": FILE,
    "mail:log_reprocess": POST_ONLY,
    "mail:spam_release": POST_ONLY,
    "audit:export": FILE,
    "automation:macro_toggle": POST_ONLY,
    "automation:macro_preview": FRAGMENT,
    "automation:macro_apply": POST_ONLY,
    "sla:holiday_add": POST_ONLY,
    "sla:holidays_import": POST_ONLY,
    "sla:holiday_remove": POST_ONLY,
    "sla:policy_toggle": POST_ONLY,
    "sla:policy_move": POST_ONLY,
    "sla:ticket_clocks": FRAGMENT,
    "sla:inbox_clocks": FRAGMENT,
    "rules:routing_move": POST_ONLY,
    "rules:routing_toggle": POST_ONLY,
    "rules:trigger_toggle": POST_ONLY,
    "rules:trigger_move": POST_ONLY,
    "rules:automation_toggle": POST_ONLY,
    "rules:automation_move": POST_ONLY,
    "legal:accept": SIGNED_IN_FLOW,
    "legal:version_new": POST_ONLY,
    "satisfaction:rate_request": POST_ONLY,
    "privacy:export_status": FRAGMENT,
    "privacy:person_export_status": FRAGMENT,
}


def add_page_content() -> None:
    """What the demo content lacks for some page types: a saved view, a notice (shown on every
    page, so its banner is checked everywhere), published privacy and terms (that need no
    acceptance, so signed-in pages are not interrupted), a draft of the next privacy policy,
    and a passkey."""
    from supportal.accounts.models import Passkey, User
    from supportal.helpcenter.services import notice_save
    from supportal.legal import services as legal
    from supportal.tickets.models import SavedView

    agent = User.objects.get(email=PEOPLE["agent"])
    customer = User.objects.get(email=PEOPLE["customer"])
    admin = User.objects.get(email=PEOPLE["admin"])
    SavedView.objects.get_or_create(name="Waiting on me", owner=agent)
    now = timezone.now()
    notice_save(
        notice=None,
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(days=2),
        messages={"en": "Maintenance on Sunday night."},
    )
    for kind in ("privacy", "terms"):
        version = legal.version_draft(kind=kind, actor=admin)
        legal.version_update(
            version=version,
            requires_acceptance=False,
            texts={"en": ("We keep your requests safe.", "")},
        )
        legal.version_publish(version=version)
    legal.version_draft(kind="privacy", actor=admin)
    Passkey.objects.get_or_create(
        user=customer,
        credential_id="page-types-passkey",
        defaults={"name": "Work laptop", "public_key": b"\x00"},
    )


def load_page_content() -> None:
    """The demo content (`supportal demo`) and what it lacks for some page types."""
    import io

    from django.core.management import call_command

    call_command("demo", stdout=io.StringIO())
    add_page_content()


MAIN_PAGE_TYPES = [page for page in PAGE_TYPES if page.main]
