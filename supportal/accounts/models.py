from __future__ import annotations

import functools
import zoneinfo
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_otp.models import Device, ThrottlingMixin, TimestampMixin

from supportal.lib.phone import MAX_LENGTH as PHONE_MAX_LENGTH


class Organization(models.Model):
    name = models.CharField(pgettext_lazy("thing", "name"), max_length=200, unique=True)
    shares_requests = models.BooleanField(
        _("members see each other's requests"),
        default=False,
        help_text=_("When on, every member of the organization can follow its members' requests."),
    )
    email_domains = models.CharField(
        _("email domains"),
        max_length=500,
        blank=True,
        help_text=_(
            "People who write in from these domains (separated by spaces or commas, e.g. "
            "“acme.com acme.co.kr”) join this organization."
        ),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering: ClassVar = ["name"]
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")

    def __str__(self) -> str:
        return self.name

    @property
    def domain_list(self) -> list[str]:
        return [d.strip().lower().lstrip("@") for d in self.email_domains.replace(",", " ").split()]


class Role(models.TextChoices):
    CUSTOMER = "customer", _("Customer")
    AGENT = "agent", _("Agent")
    ADMIN = "admin", _("Administrator")


def normalize_email(email: str) -> str:
    """Emails are compared case-insensitively; we store them lower-cased and trimmed."""
    return email.strip().lower()


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(email=normalize_email(username or ""))

    def create_user(self, email: str, password: str | None = None, **fields: Any) -> User:
        fields.pop("is_staff", None)  # staff-ness follows superuser status
        user = self.model(email=normalize_email(email), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def agents(self) -> models.QuerySet[User]:
        """Active agents and admins by name: the people requests can be assigned to."""
        return self.filter(
            models.Q(role__in=(Role.AGENT, Role.ADMIN)) | models.Q(is_superuser=True),
            is_active=True,
        ).order_by("name", "pk")

    def create_superuser(self, email: str, password: str | None = None, **fields: Any) -> User:
        fields.setdefault("role", Role.ADMIN)
        fields.setdefault("email_verified_at", timezone.now())
        return self.create_user(email, password, is_superuser=True, **fields)


@functools.cache
def time_zone_choices() -> list[tuple[str, str]]:
    return [(name, name.replace("_", " ")) for name in sorted(zoneinfo.available_timezones())]


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField(_("email address"), max_length=254, unique=True)
    name = models.CharField(pgettext_lazy("person", "name"), max_length=150)
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.CUSTOMER)
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organization"),
        related_name="members",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    manages_organization = models.BooleanField(
        _("organization manager"),
        default=False,
        help_text=_("Organization managers see every request of their organization."),
    )
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    time_zone = models.CharField(_("time zone"), max_length=64, default=settings.TIME_ZONE)
    # Stored normalised (supportal.lib.phone): "+821012345678", so a call from a number finds
    # its owner however either was written.
    phone = models.CharField(_("phone number"), max_length=PHONE_MAX_LENGTH, blank=True, default="")
    # Agents' single-key shortcuts (agent-keys.js); off for speech input (WCAG 2.1.4).
    keyboard_shortcuts = models.BooleanField(_("keyboard shortcuts"), default=True)
    is_active = models.BooleanField(_("active"), default=True)
    email_verified_at = models.DateTimeField(_("email verified"), null=True, blank=True)
    date_joined = models.DateTimeField(_("joined"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar = ["name"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints: ClassVar = [
            models.UniqueConstraint(Lower("email"), name="user_email_unique_ci"),
        ]
        indexes: ClassVar = [
            models.Index(fields=["role"], name="user_role_idx"),
            # UserManager.agents(): without it PostgreSQL scanned every customer (100,000 of
            # them: 15-20 ms on each inbox and request page).
            models.Index(
                fields=["name", "id"],
                condition=models.Q(role__in=("agent", "admin")) | models.Q(is_superuser=True),
                name="user_staff_idx",
            ),
            # A call from a known number finds the customer (supportal/phone).
            models.Index(fields=["phone"], name="user_phone_idx"),
        ]

    def __str__(self) -> str:
        return self.name or self.email

    def clean(self) -> None:
        super().clean()
        self.email = normalize_email(self.email)

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.email = normalize_email(self.email)
        super().save(*args, **kwargs)

    @property
    def is_staff(self) -> bool:
        """Django's admin site is for superusers only."""
        return self.is_superuser

    @property
    def is_agent(self) -> bool:
        """Agents and admins work requests."""
        return self.role in (Role.AGENT, Role.ADMIN) or self.is_superuser

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN or self.is_superuser

    @property
    def is_customer(self) -> bool:
        return self.role == Role.CUSTOMER and not self.is_superuser

    @property
    def sees_organization_requests(self) -> bool:
        """Members of an organization that shares requests, and its managers, follow all of
        its requests."""
        organization = self.organization if self.organization_id else None
        return bool(organization and (organization.shares_requests or self.manages_organization))

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None

    def get_full_name(self) -> str:
        return self.name

    def get_short_name(self) -> str:
        return self.name


# --- Sign-in security (issue 10) -------------------------------------------------------------


class SecurityPolicy(models.Model):
    """The site's sign-in policy: one row, edited by admins (Settings → Security)."""

    require_two_factor_for_staff = models.BooleanField(
        _("require two-factor authentication for agents and admins"),
        default=False,
        help_text=_("Agents and admins without it must set it up at their next sign-in."),
    )
    session_idle_minutes = models.PositiveIntegerField(
        _("sign out after this many minutes without activity"),
        default=0,
        help_text=_("0 keeps people signed in until the session ends (two weeks)."),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("security policy")
        verbose_name_plural = _("security policies")

    def __str__(self) -> str:
        return str(_("Security policy"))

    @classmethod
    def current(cls) -> SecurityPolicy:
        policy, _created = cls.objects.get_or_create(pk=1)
        return policy


class TOTPDevice(TimestampMixin, ThrottlingMixin, Device):
    """An authenticator app's shared secret, encrypted at rest (supportal.core.crypto)."""

    encrypted_key = models.TextField()
    digits = models.PositiveSmallIntegerField(default=6)
    step = models.PositiveSmallIntegerField(default=30)
    # The last time step accepted: a code is never accepted twice.
    last_t = models.BigIntegerField(default=-1)

    class Meta(Device.Meta):
        verbose_name = _("authenticator app")
        verbose_name_plural = _("authenticator apps")

    def get_throttle_factor(self) -> int:
        """ThrottlingMixin: after n failed codes, wait 2**(n-1) seconds (supportal/accounts/
        twofactor.py does the verifying)."""
        return 1


class RecoveryCode(models.Model):
    """One of the single-use codes shown once when two-factor sign-in is set up; stored hashed."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="recovery_codes"
    )
    code_hash = models.CharField(max_length=64)
    used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes: ClassVar = [models.Index(fields=["user", "code_hash"], name="recovery_user_idx")]

    def __str__(self) -> str:
        return f"recovery code {self.pk}"


class TrustedBrowser(models.Model):
    """ "Remember this browser": a second factor is not asked again here until `expires_at`.
    The cookie holds the token; the row holds its SHA-256."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="trusted_browsers"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    user_agent = models.CharField(max_length=400, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"trusted browser {self.pk}"


class Passkey(models.Model):
    """A WebAuthn credential: signs in without a password or code."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="passkeys"
    )
    name = models.CharField(pgettext_lazy("thing", "name"), max_length=100)
    credential_id = models.CharField(max_length=512, unique=True)  # base64url
    public_key = models.BinaryField()
    sign_count = models.BigIntegerField(default=0)
    transports = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(_("added"), default=timezone.now)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["created_at", "id"]
        verbose_name = _("passkey")
        verbose_name_plural = _("passkeys")

    def __str__(self) -> str:
        return self.name


class UserSession(models.Model):
    """A signed-in browser, for the user's list of sessions: the session key is stored hashed,
    so this table cannot be used to take over a session."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="signed_in_sessions"
    )
    key_hash = models.CharField(max_length=64, unique=True)
    # The session store's key, encrypted: needed to end the session in the store.
    encrypted_key = models.TextField()
    user_agent = models.CharField(max_length=400, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar = ["-last_seen_at", "-id"]
        indexes: ClassVar = [
            models.Index(fields=["user", "-last_seen_at"], name="session_user_idx")
        ]

    def __str__(self) -> str:
        return f"session {self.pk}"
