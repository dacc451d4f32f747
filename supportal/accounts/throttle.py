"""Failed sign-ins, counted with the site's one rate-limit mechanism (supportal/core/ratelimit.py):
limit "login" per email address, "login_address" per client address (higher: an office behind
one address may mistype many accounts). The sign-in form, the re-authentication page and the
two-factor page use these; each answers with its own form message rather than a 429 page."""

from __future__ import annotations

from django.http import HttpRequest

from supportal.core import ratelimit


def _email(email: str) -> list[str]:
    return [ratelimit.email_identity(email)]


def _address(request: HttpRequest) -> list[str]:
    return [f"address:{ratelimit.client_address(request)}"]


def seconds_locked(request: HttpRequest, email: str) -> int:
    """How long sign-in stays refused for this email/address, 0 when it is allowed."""
    return max(
        ratelimit.seconds_left("login", _email(email)),
        ratelimit.seconds_left("login_address", _address(request)),
    )


def record_failure(request: HttpRequest, email: str) -> None:
    ratelimit.hit("login", _email(email))
    ratelimit.hit("login_address", _address(request))


def clear_failures(request: HttpRequest, email: str) -> None:
    # Only the email's count: the address's keeps counting failures on other accounts.
    ratelimit.reset("login", _email(email))


def rate_limited(request: HttpRequest, action: str) -> bool:
    """Counts one mail-sending `action` (a visitor's request, a CC) from this client address
    under limit "mail_action"; True when it is over the limit and should be refused."""
    return bool(ratelimit.check(request, "mail_action", scope=action))


def twofactor_identities(request: HttpRequest) -> list[str]:
    """Who a code typed on the two-factor page counts against (limit "twofactor"): the client
    address and the account half-way through signing in."""
    from supportal.accounts.twofactor import PENDING_KEY

    found = _address(request)
    pending = request.session.get(PENDING_KEY)
    if isinstance(pending, dict) and pending.get("user"):
        found.append(f"user:{pending['user']}")
    return found
