"""Account rules: sign-up, verification, log-in, password reset, profile, roles."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from convention.accounts.models import ParticipantCategory, Role, User, UserRole, email_key
from convention.extensions import db
from convention.mail import services as mail
from convention.refusals import Refusal
from convention.timeutil import utcnow

VERIFY_MAX_AGE = 7 * 24 * 3600
RESET_MAX_AGE = 2 * 3600
MIN_PASSWORD_LENGTH = 10


@cache
def _hasher_for(profile: str) -> tuple[PasswordHasher, str]:
    """Argon2id with a named parameter set of argon2.profiles, plus a dummy hash that is
    verified for unknown e-mails too, so log-in time does not reveal who has an account."""
    hasher = PasswordHasher.from_parameters(getattr(profiles, profile))
    return hasher, hasher.hash("not-a-real-password")


def _hasher() -> tuple[PasswordHasher, str]:
    # RFC_9106_LOW_MEMORY (the library default) in real use; the test suite picks CHEAPEST.
    return _hasher_for(current_app.config["PASSWORD_HASH_PROFILE"])


class AccountError(Refusal):
    """A rule refused the change; `field` names the form field the message belongs to."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def _too_short():
    return _l("Use at least %(count)d characters.", count=MIN_PASSWORD_LENGTH)


def hash_password(password: str) -> str:
    return _hasher()[0].hash(password)


def password_matches(user: User | None, password: str) -> bool:
    hasher, dummy = _hasher()
    try:
        hasher.verify(user.password_hash if user and user.password_hash else dummy, password)
    except (VerificationError, InvalidHashError):
        return False
    return user is not None and user.password_hash is not None


def find_user(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == email_key(email)))


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"accounts.{purpose}")


def make_token(user: User, purpose: str) -> str:
    return _serializer(purpose).dumps({"user": user.id, "stamp": user.security_stamp})


def user_from_token(token: str, purpose: str, max_age: int) -> User | None:
    """The user a token was made for, if it is genuine, fresh and not yet used up."""
    try:
        data = _serializer(purpose).loads(token, max_age=max_age)
    except (BadSignature, SignatureExpired):
        return None
    if not isinstance(data, dict):
        return None
    user = db.session.get(User, data.get("user"))
    if user is None or user.security_stamp != data.get("stamp"):
        return None
    return user


@dataclass
class SignUp:
    email: str
    password: str
    name: str
    organization: str = ""
    country: str = "JP"
    category: ParticipantCategory = ParticipantCategory.GENERAL
    language: str = "ja"


def sign_up(data: SignUp) -> User | None:
    """Create an unverified account and mail the verification link.

    An address that already has an account gets a notice instead, and the caller shows
    the same message either way, so sign-up does not reveal who is registered.
    """
    if len(data.password) < MIN_PASSWORD_LENGTH:
        raise AccountError(_too_short(), field="password")
    existing = find_user(data.email)
    if existing is not None:
        mail.queue(
            existing.email,
            "accounts/already_registered",
            language=existing.language,
            user=existing,
            login_url=mail.absolute_url("accounts.login"),
            reset_url=mail.absolute_url("accounts.forgot_password"),
        )
        db.session.commit()
        return None
    user = User(
        email=email_key(data.email),
        password_hash=hash_password(data.password),
        name=data.name.strip(),
        organization=data.organization.strip(),
        country=data.country,
        category=data.category,
        language=data.language,
    )
    db.session.add(user)
    try:
        db.session.flush()
    except IntegrityError:
        # The same address signed up a moment ago (a double click): that sign-up stands.
        db.session.rollback()
        return None
    send_verification(user)
    db.session.commit()
    return user


def send_verification(user: User) -> None:
    mail.queue(
        user.email,
        "accounts/verify_email",
        language=user.language,
        user=user,
        verify_url=mail.absolute_url("accounts.verify_email", token=make_token(user, "verify")),
    )


def verify_email(token: str) -> User | None:
    """Confirm the address and return the user, once: the link also logs the person in,
    so a used link must not keep working from an old mailbox."""
    user = user_from_token(token, "verify", VERIFY_MAX_AGE)
    if user is None or user.email_verified_at is not None:
        return None
    user.email_verified_at = utcnow()
    db.session.commit()
    return user


def authenticate(email: str, password: str) -> User | None:
    user = find_user(email)
    if not password_matches(user, password):
        return None
    if _hasher()[0].check_needs_rehash(user.password_hash):
        # Stronger parameters since this hash was made: upgrade it while we know the password.
        user.password_hash = hash_password(password)
        db.session.commit()
    return user


def request_password_reset(email: str) -> None:
    """Mail a reset link if the account exists; say nothing either way."""
    user = find_user(email)
    if user is None:
        return
    mail.queue(
        user.email,
        "accounts/reset_password",
        language=user.language,
        user=user,
        reset_url=mail.absolute_url("accounts.reset_password", token=make_token(user, "reset")),
    )
    db.session.commit()


def set_password(user: User, password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(_too_short(), field="password")
    user.password_hash = hash_password(password)
    user.security_stamp += 1
    # Following an emailed reset link proves the address belongs to the user.
    user.email_verified_at = user.email_verified_at or utcnow()
    db.session.commit()


def reset_password(token: str, password: str) -> User | None:
    user = user_from_token(token, "reset", RESET_MAX_AGE)
    if user is None:
        return None
    set_password(user, password)
    return user


def change_password(user: User, current_password: str, new_password: str) -> None:
    if not password_matches(user, current_password):
        raise AccountError(_l("That is not your current password."), field="current_password")
    set_password(user, new_password)


def grant_role(user: User, role: Role) -> None:
    if role not in user.roles:
        user.role_rows.append(UserRole(role=role))


def create_staff_user(email: str, password: str, name: str, *roles: Role) -> User:
    """An account for the organisers' own people: verified, with the given roles."""
    user = find_user(email)
    if user is None:
        user = User(email=email_key(email), name=name)
        db.session.add(user)
    user.password_hash = hash_password(password)
    user.email_verified_at = user.email_verified_at or utcnow()
    for role in roles:
        grant_role(user, role)
    db.session.commit()
    return user
