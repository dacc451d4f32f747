from __future__ import annotations

import enum

from django.contrib.auth.hashers import make_password
from django.db import IntegrityError, models, transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone, translation

from supportal.accounts.models import Organization, Role, User, normalize_email
from supportal.accounts.tokens import (
    EMAIL_CHANGE_MAX_AGE,
    EmailChangeClaim,
    VerifyClaim,
    VerifyOutcome,
    make_email_change_token,
    make_verification_token,
    read_email_change_token,
    read_verification_token,
)
from supportal.audit.services import audit_record
from supportal.core.services import email_send


def user_create(
    *,
    email: str,
    name: str,
    password: str | None,
    role: str = Role.CUSTOMER,
    language: str,
    time_zone: str,
    organization: Organization | None = None,
    verified: bool = False,
) -> User:
    return User.objects.create_user(
        email=email,
        password=password,
        name=name,
        role=role,
        language=language,
        time_zone=time_zone,
        organization=organization,
        email_verified_at=timezone.now() if verified else None,
    )


def verification_email_send(*, user: User) -> None:
    token = make_verification_token(user_id=user.pk, email=user.email)
    with translation.override(user.language):
        path = reverse("accounts:verify", kwargs={"token": token})
    email_send(
        to=user.email,
        template="accounts/email/verify",
        context={"user": user, "path": path},
        language=user.language,
    )


@transaction.atomic
def user_signup(
    *, email: str, name: str, password: str, language: str, time_zone: str
) -> User | None:
    """A customer signs up: the account exists at once, sign-in waits for the emailed link.

    An address that already has an account gets a note instead ("someone tried to sign up
    with your address") and None comes back; the page says the same either way, so sign-up
    cannot be used to learn who has an account.
    """
    existing = User.objects.filter(email=normalize_email(email)).first()
    if existing is None:
        try:
            with transaction.atomic():
                user = user_create(
                    email=email,
                    name=name,
                    password=password,
                    language=language,
                    time_zone=time_zone,
                )
        except IntegrityError:  # the same address signed up a moment ago
            existing = User.objects.filter(email=normalize_email(email)).first()
        else:
            verification_email_send(user=user)
            return user
    make_password(password)  # the work a new account costs, so the answer takes as long
    if existing is not None and existing.is_active:
        signup_existing_notice_send(user=existing)
    return None


def signup_existing_notice_send(*, user: User) -> None:
    """Tells an account's owner that someone tried to sign up with their address; an account
    still waiting for confirmation gets a fresh confirmation link in the note."""
    verify_path = ""
    with translation.override(user.language):
        if not user.email_verified:
            token = make_verification_token(user_id=user.pk, email=user.email)
            verify_path = reverse("accounts:verify", kwargs={"token": token})
        login_path = reverse("accounts:login")
        reset_path = reverse("accounts:password_reset")
    email_send(
        to=user.email,
        template="accounts/email/signup_exists",
        context={
            "user": user,
            "login_path": login_path,
            "reset_path": reset_path,
            "verify_path": verify_path,
        },
        language=user.language,
    )


def verification_resend(*, email: str) -> None:
    """Sends a new link when an unverified account has this email; silent otherwise."""
    user = User.objects.filter(
        email=normalize_email(email), is_active=True, email_verified_at__isnull=True
    ).first()
    if user is not None:
        verification_email_send(user=user)


@transaction.atomic
def user_verify_email(*, token: str) -> VerifyOutcome:
    claim = read_verification_token(token)
    if not isinstance(claim, VerifyClaim):
        return claim
    user = User.objects.select_for_update().filter(pk=claim.user_id, is_active=True).first()
    # A token for an address the user no longer has is as good as forged.
    if user is None or user.email != claim.email:
        return VerifyOutcome.INVALID
    if user.email_verified:
        return VerifyOutcome.ALREADY
    user.email_verified_at = timezone.now()
    user.save(update_fields=["email_verified_at"])
    return VerifyOutcome.VERIFIED


def user_update_profile(
    *,
    user: User,
    name: str,
    language: str,
    time_zone: str,
    phone: str | None = None,
    keyboard_shortcuts: bool | None = None,
) -> None:
    """The person's own profile; `phone` (already normalised, "" to remove) and
    `keyboard_shortcuts` (agents only) None: unchanged."""
    user.name = name
    user.language = language
    user.time_zone = time_zone
    fields = ["name", "language", "time_zone"]
    if phone is not None:
        user.phone = phone
        fields.append("phone")
    if keyboard_shortcuts is not None:
        user.keyboard_shortcuts = keyboard_shortcuts
        fields.append("keyboard_shortcuts")
    user.save(update_fields=fields)


def user_set_language(*, user: User, language: str) -> None:
    if user.language != language:
        user.language = language
        user.save(update_fields=["language"])


# --- Changing one's email address ----------------------------------------------------------------


@transaction.atomic
def email_change_request(*, user: User, new_email: str) -> None:
    """Starts changing `user`'s address to `new_email`: a signed link that expires goes to the new
    address, a notice to the current one. The change waits for the link.

    An address another account already uses gets no link and nothing else (the person asking
    sees the same "we sent a link" page), so this cannot be used to learn who has an account.
    """
    new_email = normalize_email(new_email)
    old_email = user.email
    if new_email == old_email:
        return
    with translation.override(user.language):
        if not User.objects.filter(email=new_email).exists():
            token = make_email_change_token(
                user_id=user.pk, old_email=old_email, new_email=new_email
            )
            email_send(
                to=new_email,
                template="accounts/email/email_change_confirm",
                context={
                    "user": user,
                    "path": reverse("accounts:email_change_confirm", kwargs={"token": token}),
                    "hours": EMAIL_CHANGE_MAX_AGE // 3600,
                },
                language=user.language,
            )
        email_send(
            to=old_email,
            template="accounts/email/email_change_notice",
            context={
                "user": user,
                "new_email": new_email,
                "reset_path": reverse("accounts:password_reset"),
            },
            language=user.language,
        )


class EmailChangeOutcome(enum.Enum):
    CHANGED = "changed"
    ALREADY = "already"  # the link was followed before
    TAKEN = "taken"  # another account took the address after the link was sent
    EXPIRED = "expired"
    INVALID = "invalid"


def email_change_check(*, token: str) -> tuple[EmailChangeOutcome, EmailChangeClaim | None]:
    """What following the link would do, without doing it (the page asks to confirm)."""
    claim = read_email_change_token(token)
    if not isinstance(claim, EmailChangeClaim):
        return EmailChangeOutcome(claim.value), None
    user = User.objects.filter(pk=claim.user_id, is_active=True).first()
    if user is None:
        return EmailChangeOutcome.INVALID, None
    if user.email == claim.new_email:
        return EmailChangeOutcome.ALREADY, claim
    if user.email != claim.old_email:
        return EmailChangeOutcome.INVALID, None
    if User.objects.filter(email=claim.new_email).exclude(pk=user.pk).exists():
        return EmailChangeOutcome.TAKEN, claim
    return EmailChangeOutcome.CHANGED, claim


@transaction.atomic
def email_change_confirm(
    *, token: str, request: HttpRequest | None = None
) -> tuple[EmailChangeOutcome, User | None]:
    """Follows the link: the account's address becomes the new one (confirmed, since the link
    reached it), recorded in the audit log. Works once: afterwards the account's address is no
    longer the one the link was made for."""
    outcome, claim = email_change_check(token=token)
    if outcome is not EmailChangeOutcome.CHANGED or claim is None:
        return outcome, None
    user = User.objects.select_for_update().get(pk=claim.user_id)
    if user.email != claim.old_email:
        return EmailChangeOutcome.INVALID, None
    user.email = claim.new_email
    user.email_verified_at = timezone.now()
    try:
        with transaction.atomic():
            user.save(update_fields=["email", "email_verified_at"])
    except IntegrityError:
        return EmailChangeOutcome.TAKEN, None
    audit_record(
        action="account.email_change",
        request=request,
        actor=user,
        target=user,
        before={"email": claim.old_email},
        after={"email": claim.new_email},
    )
    return EmailChangeOutcome.CHANGED, user


# --- People, changed by an admin (Settings → People) ----------------------------------------------


def _active_admins() -> models.QuerySet[User]:
    return User.objects.filter(
        models.Q(role=Role.ADMIN) | models.Q(is_superuser=True), is_active=True
    )


@transaction.atomic
def user_update_by_admin(
    *,
    user: User,
    actor: User,
    role: str,
    is_active: bool,
    organization: Organization | None,
    phone: str | None = None,
    request: HttpRequest | None = None,
) -> User:
    """An admin changes someone's role, active flag, organization or phone number (already
    normalised; None leaves it); recorded as "user.change" with the values before and after.
    Nobody can take away their own admin role or account, nor leave the site without an active
    admin (ValidationError, nothing changed)."""
    from django.core.exceptions import ValidationError
    from django.utils.translation import gettext as _

    from supportal.audit.tracking import paused

    if role not in Role.values:
        raise ValidationError(_("Choose a valid role."), code="role")
    # Locks the admins' rows, so two admins demoting each other at once cannot both succeed.
    admin_ids = set(_active_admins().select_for_update().values_list("pk", flat=True))
    target = User.objects.select_for_update().get(pk=user.pk)
    stays_admin = is_active and (role == Role.ADMIN or target.is_superuser)
    if target.pk in admin_ids and not stays_admin:
        if target.pk == actor.pk:
            raise ValidationError(
                _("You cannot remove your own administrator role or deactivate your own account."),
                code="self",
            )
        if not admin_ids - {target.pk}:
            raise ValidationError(
                _(
                    "This is the last active administrator. "
                    "Make someone else an administrator first."
                ),
                code="last_admin",
            )
    fields: dict[str, object] = {"role": role, "is_active": is_active, "organization": organization}
    if phone is not None:
        fields["phone"] = phone
    before: dict[str, object] = {}
    after: dict[str, object] = {}
    for name, value in fields.items():
        old = getattr(target, name)
        if old != value:
            before[name] = str(old) if isinstance(old, Organization) else old
            after[name] = str(value) if isinstance(value, Organization) else value
            setattr(target, name, value)
    if not after:
        return target
    with paused():
        target.save(update_fields=list(after))
    audit_record(
        action="user.change",
        request=request,
        actor=actor,
        target=target,
        before=before,
        after=after,
    )
    return target
