from __future__ import annotations

import enum
import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Enum, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from convention.extensions import db
from convention.timeutil import UTCDateTime, utcnow


class Role(enum.StrEnum):
    ORGANISER = "organiser"
    DOOR_STAFF = "door_staff"
    REVIEWER = "reviewer"


class ParticipantCategory(enum.StrEnum):
    GENERAL = "general"
    BUSINESS = "business"
    GOVERNMENT = "government"
    INTERNATIONAL_ORGANISATION = "international_organisation"
    PRESS = "press"
    STUDENT = "student"
    SPONSOR_STAFF = "sponsor_staff"
    EXHIBITOR = "exhibitor"


def enum_column(enum_class: type[enum.Enum], **kwargs):
    """Store an enum by its value in a portable VARCHAR with a CHECK constraint."""
    return Enum(
        enum_class,
        native_enum=False,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
        length=40,
        **kwargs,
    )


class User(UserMixin, db.Model):
    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(120), default="")
    organization: Mapped[str] = mapped_column(String(200), default="")
    country: Mapped[str] = mapped_column(String(2), default="JP")
    category: Mapped[ParticipantCategory] = mapped_column(
        enum_column(ParticipantCategory, name="participant_category"),
        default=ParticipantCategory.GENERAL,
    )
    language: Mapped[str] = mapped_column(String(5), default="ja")
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Bumped on password change so emailed reset links and old sessions stop working.
    security_stamp: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    deletion_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    role_rows: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def roles(self) -> set[Role]:
        return {row.role for row in self.role_rows}

    def has_role(self, *roles: Role) -> bool:
        """Organisers may do everything a door volunteer or reviewer may."""
        mine = self.roles
        return Role.ORGANISER in mine or any(role in mine for role in roles)

    @property
    def is_organiser(self) -> bool:
        return Role.ORGANISER in self.roles

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None

    @property
    def contact_email(self) -> str | None:
        """The address to write to and to show; None for someone who gave none (a walk-in)."""
        return None if self.email.endswith(NO_ADDRESS_DOMAIN) else self.email

    def get_id(self) -> str:
        # The stamp in the session id logs out other sessions after a password change.
        return f"{self.id}:{self.security_stamp}"

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"


class UserRole(db.Model):
    __tablename__ = "user_role"
    __table_args__ = (UniqueConstraint("user_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(enum_column(Role, name="role"))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user: Mapped[User] = relationship(back_populates="role_rows")


def email_key(email: str) -> str:
    return email.strip().lower()


# A reserved name (RFC 2606) that can never receive mail: the unique email column still needs
# a value for a person registered at the door without an address.
NO_ADDRESS_DOMAIN = "@walk-in.invalid"


def address_for_someone_without_one() -> str:
    return f"walk-in-{secrets.token_hex(8)}{NO_ADDRESS_DOMAIN}"


__all__ = [
    "NO_ADDRESS_DOMAIN",
    "ParticipantCategory",
    "Role",
    "User",
    "UserRole",
    "address_for_someone_without_one",
    "email_key",
]
