"""Sponsorship and exhibition rules: tiers, booth holds and sales, applications and their
state machine, invoicing through billing, complimentary passes, leads, the public page and
the revenue view. Plain functions over the database session (no request object).

Invariants: a tier is never sold beyond its quantity (row lock on the tier, count of active
applications); a booth has at most one claim (unique key + row lock on the booth), so it is
never held or sold twice; passes are hidden ticket types whose capacity is the count, so
registration's own row lock keeps them within it; a lead exists only for a checked-in attendee
who agreed to share their contact details with sponsors.
"""

from __future__ import annotations

import io
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from convention.accounts.models import ParticipantCategory, Role, User
from convention.billing import services as billing
from convention.billing import tnumber
from convention.billing.models import BillingError, Order, ProductFamily
from convention.events.models import Edition
from convention.extensions import db
from convention.i18n import localized
from convention.refusals import Refusal
from convention.registration.models import Registration, RegistrationStatus
from convention.registration.services import _lock as lock_row
from convention.sponsors.models import (
    ACTIVE_STATUSES,
    APPLICATION_TRANSITIONS,
    ApplicationBooth,
    ApplicationStatus,
    Booth,
    BoothClaim,
    BoothOption,
    ClaimKind,
    Lead,
    LeadRating,
    SponsorApplication,
    SponsorBudget,
    SponsorPass,
    SponsorTier,
)
from convention.spreadsheet import csv_text
from convention.timeutil import utcnow

SOURCE = "sponsor_application"  # billing's order.source for our orders
HOLD_MINUTES = 15
MAX_HOLDS = 4  # booths one person may hold at a time while filling in the form
LOGO_MAX_BYTES = 2 * 1024 * 1024
LOGO_MAX_SIZE = (1200, 600)  # pixels: bigger logos are scaled down when re-encoded


class SponsorError(Refusal):
    """A refusal with a message for the person (and the form field it concerns)."""

    def __init__(self, message, field: str | None = None):
        super().__init__(str(message))
        self.field = field


STATUS_LABELS = {
    ApplicationStatus.SUBMITTED: _l("submitted, waiting for review"),
    ApplicationStatus.APPROVED: _l("approved, invoice issued"),
    ApplicationStatus.PAID: _l("paid"),
    ApplicationStatus.REJECTED: _l("rejected"),
    ApplicationStatus.WITHDRAWN: _l("withdrawn"),
    ApplicationStatus.CANCELLED: _l("cancelled"),
}


def move(application: SponsorApplication, new: ApplicationStatus) -> None:
    if new not in APPLICATION_TRANSITIONS[application.status]:
        raise SponsorError(
            _l(
                "An application that is %(current)s cannot become %(new)s.",
                current=STATUS_LABELS[application.status],
                new=STATUS_LABELS[new],
            )
        )
    application.status = new


def hold_minutes() -> int:
    return int(current_app.config.get("SPONSOR_HOLD_MINUTES", HOLD_MINUTES))


def logo_max_bytes() -> int:
    return int(current_app.config.get("SPONSOR_LOGO_MAX_BYTES", LOGO_MAX_BYTES))


# ----------------------------------------------------------------------------- tiers and booths


def tiers_of(edition: Edition) -> list[SponsorTier]:
    return db.session.scalars(
        select(SponsorTier)
        .where(SponsorTier.edition_id == edition.id)
        .order_by(SponsorTier.position, SponsorTier.id)
    ).all()


def taken_count(tier: SponsorTier) -> int:
    """Applications that hold a place of the tier (submitted, approved or paid)."""
    return db.session.scalar(
        select(func.count(SponsorApplication.id)).where(
            SponsorApplication.tier_id == tier.id,
            SponsorApplication.status.in_(ACTIVE_STATUSES),
        )
    )


def tier_places_left(tiers: Iterable[SponsorTier]) -> dict[int, int]:
    tiers = list(tiers)
    if not tiers:
        return {}
    counts = dict(
        db.session.execute(
            select(SponsorApplication.tier_id, func.count(SponsorApplication.id))
            .where(
                SponsorApplication.tier_id.in_([t.id for t in tiers]),
                SponsorApplication.status.in_(ACTIVE_STATUSES),
            )
            .group_by(SponsorApplication.tier_id)
        ).all()
    )
    return {t.id: max(t.quantity - counts.get(t.id, 0), 0) for t in tiers}


TIER_FIELDS = (
    "name_ja",
    "name_en",
    "price",
    "quantity",
    "logo_size",
    "complimentary_passes",
    "included_booths",
    "speaking_slot",
    "benefits_ja",
    "benefits_en",
    "position",
)


def save_tier(edition: Edition, values: dict, tier: SponsorTier | None = None) -> SponsorTier:
    """Create or edit a tier. Its quantity cannot drop below the places already taken."""
    try:
        if tier is None:
            tier = SponsorTier(edition_id=edition.id)
            db.session.add(tier)
        else:
            tier = lock_row(SponsorTier, tier.id)
            taken = taken_count(tier)
            if values["quantity"] < taken:
                raise SponsorError(
                    _l(
                        "%(count)d applications already hold this tier: the quantity cannot "
                        "be lower.",
                        count=taken,
                    ),
                    field="quantity",
                )
        for name in TIER_FIELDS:
            setattr(tier, name, values[name])
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return tier


BOOTH_FIELDS = ("code", "zone", "x", "y", "width", "depth", "price", "exhibitor_passes")


def _overlaps(a: Booth | dict, b: Booth) -> bool:
    get = a.get if isinstance(a, dict) else lambda name: getattr(a, name)
    return (
        get("x") < b.x + b.width
        and b.x < get("x") + get("width")
        and get("y") < b.y + b.depth
        and b.y < get("y") + get("depth")
    )


def save_booth(edition: Edition, values: dict, booth: Booth | None = None) -> Booth:
    """Create or edit a booth on the floor plan: a code unique in the edition, a size, a place
    that does not overlap another booth. Applications keep the price they were made at."""
    values = dict(values)
    values["code"] = (values.get("code") or "").strip().upper()
    values["zone"] = (values.get("zone") or "").strip()  # optional; a form may leave it out
    if not values["code"]:
        raise SponsorError(_l("Give the booth a code, e.g. A-01."), field="code")
    for name in ("x", "y", "price", "exhibitor_passes"):
        if values.get(name) is None or values[name] < 0:
            raise SponsorError(_l("This cannot be negative."), field=name)
    for name in ("width", "depth"):
        if values.get(name) is None or values[name] <= 0:
            raise SponsorError(_l("A booth is at least 1 m wide and deep."), field=name)
    others = [b for b in booths_of(edition) if booth is None or b.id != booth.id]
    if any(b.code == values["code"] for b in others):
        raise SponsorError(_l("Booth %(code)s already exists.", code=values["code"]), field="code")
    clash = next((b for b in others if _overlaps(values, b)), None)
    if clash is not None:
        raise SponsorError(
            _l("This place overlaps booth %(code)s on the floor plan.", code=clash.code),
            field="x",
        )
    if booth is None:
        booth = Booth(edition_id=edition.id)
        db.session.add(booth)
    for name in BOOTH_FIELDS:
        setattr(booth, name, values[name])
    db.session.commit()
    return booth


def add_option(edition: Edition, code: str, name_ja: str, name_en: str, price: int):
    code = (code or "").strip().lower()
    if not code or not (name_ja or name_en or "").strip():
        raise SponsorError(_l("Give the option a code and a name."), field="code")
    if price is None or price < 0:
        raise SponsorError(_l("This cannot be negative."), field="price")
    if any(o.code == code for o in options_of(edition)):
        raise SponsorError(_l("This code is already used."), field="code")
    option = BoothOption(
        edition_id=edition.id,
        code=code,
        name_ja=name_ja.strip() or name_en.strip(),
        name_en=name_en.strip() or name_ja.strip(),
        price=price,
    )
    db.session.add(option)
    db.session.commit()
    return option


def booths_of(edition: Edition) -> list[Booth]:
    return db.session.scalars(
        select(Booth).where(Booth.edition_id == edition.id).order_by(Booth.code)
    ).all()


def options_of(edition: Edition) -> list[BoothOption]:
    return db.session.scalars(
        select(BoothOption).where(BoothOption.edition_id == edition.id).order_by(BoothOption.id)
    ).all()


@dataclass
class BoothState:
    booth: Booth
    state: str  # free, held, mine (held by the viewer), sold
    claim: BoothClaim | None = None


def booth_states(edition: Edition, viewer: User | None = None, now=None) -> list[BoothState]:
    """Every booth of the edition with what the viewer should see: expired holds are free."""
    now = now or utcnow()
    booths = booths_of(edition)
    claims = {
        c.booth_id: c
        for c in db.session.scalars(
            select(BoothClaim)
            .where(BoothClaim.booth_id.in_([b.id for b in booths]))
            .options(joinedload(BoothClaim.application))
        )
    }
    viewer_id = getattr(viewer, "id", None)
    states = []
    for booth in booths:
        claim = claims.get(booth.id)
        if claim is not None and claim.kind == ClaimKind.HOLD and claim.held_until <= now:
            claim = None
        if claim is None:
            state = "free"
        elif claim.kind == ClaimKind.SOLD:
            state = "sold"
        elif claim.kind == ClaimKind.HOLD and claim.user_id == viewer_id:
            state = "mine"
        else:
            state = "held"
        states.append(BoothState(booth, state, claim))
    return states


def _taken_message(booth: Booth) -> str:
    return str(
        _l(
            "Booth %(code)s was just taken by another company. Please choose another booth.",
            code=booth.code,
        )
    )


def _claim(
    booth: Booth,
    user: User,
    kind: ClaimKind,
    *,
    application: SponsorApplication | None = None,
    now: datetime | None = None,
) -> BoothClaim:
    """Take the booth for `user` under a row lock on it (no commit). The user's own hold is
    turned into `kind`; anyone else's live hold, reservation or sale is a refusal."""
    now = now or utcnow()
    lock_row(Booth, booth.id)
    claim = db.session.scalar(
        select(BoothClaim)
        .where(BoothClaim.booth_id == booth.id)
        .execution_options(populate_existing=True)
    )
    if claim is not None and claim.kind == ClaimKind.HOLD and claim.held_until <= now:
        db.session.delete(claim)
        db.session.flush()
        claim = None
    if claim is None:
        claim = BoothClaim(booth_id=booth.id, user_id=user.id)
        db.session.add(claim)
    elif not (claim.user_id == user.id and claim.kind == ClaimKind.HOLD):
        raise SponsorError(_taken_message(booth), field="booths")
    claim.kind = kind
    claim.application_id = application.id if application is not None else None
    claim.held_until = now + timedelta(minutes=hold_minutes()) if kind == ClaimKind.HOLD else None
    db.session.flush()
    return claim


def hold_booth(user: User, booth: Booth, now: datetime | None = None) -> BoothClaim:
    """Pick a booth on the map: it is held for the user for SPONSOR_HOLD_MINUTES. Nobody holds
    more than SPONSOR_MAX_HOLDS booths at once (the map is not a place to park the hall)."""
    limit = int(current_app.config.get("SPONSOR_MAX_HOLDS", MAX_HOLDS))
    if len(held_by(user, booth.edition, now)) >= limit:
        raise SponsorError(
            _l("You can hold at most %(count)d booths at a time.", count=limit), field="booths"
        )
    try:
        claim = _claim(booth, user, ClaimKind.HOLD, now=now)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise SponsorError(_taken_message(booth), field="booths") from None
    except BaseException:
        db.session.rollback()
        raise
    return claim


def release_booth(user: User, booth: Booth) -> bool:
    """Let go of one's own hold (a reservation or sale is never released this way)."""
    result = db.session.execute(
        delete(BoothClaim).where(
            BoothClaim.booth_id == booth.id,
            BoothClaim.user_id == user.id,
            BoothClaim.kind == ClaimKind.HOLD,
        )
    )
    db.session.commit()
    return bool(result.rowcount)


def held_by(user: User, edition: Edition, now: datetime | None = None) -> list[Booth]:
    now = now or utcnow()
    return db.session.scalars(
        select(Booth)
        .join(BoothClaim, BoothClaim.booth_id == Booth.id)
        .where(
            Booth.edition_id == edition.id,
            BoothClaim.user_id == user.id,
            BoothClaim.kind == ClaimKind.HOLD,
            BoothClaim.held_until > now,
        )
        .order_by(Booth.code)
    ).all()


# ----------------------------------------------------------------------------- applications


@dataclass
class ApplicationData:
    company_name_ja: str
    contact_name: str
    contact_email: str
    company_name_en: str = ""
    registration_number: str = ""
    postal_code: str = ""
    billing_address: str = ""
    contact_phone: str = ""
    tier_id: int | None = None
    booth_ids: list[int] = field(default_factory=list)
    options: dict[int, list[int]] = field(default_factory=dict)  # booth id -> option ids
    language: str = "ja"


def clean_registration_number(value: str) -> str:
    """'' or a valid T-number (normalised); anything else is refused beside the field."""
    number = tnumber.normalize(value or "")
    if not number:
        return ""
    if not tnumber.is_valid(number):
        raise SponsorError(
            _l(
                "A registration number is T followed by 13 digits with a valid check digit "
                "(e.g. T7000012050002)."
            ),
            field="registration_number",
        )
    return number


def _check(data: ApplicationData) -> None:
    if not data.company_name_ja.strip() and not data.company_name_en.strip():
        raise SponsorError(_l("Enter the company's name."), field="company_name_ja")
    if not data.contact_name.strip():
        raise SponsorError(_l("Enter the contact person's name."), field="contact_name")
    if "@" not in (data.contact_email or ""):
        raise SponsorError(_l("Enter the contact's email address."), field="contact_email")
    if not data.billing_address.strip():
        raise SponsorError(_l("Enter the billing address."), field="billing_address")
    if data.tier_id is None and not data.booth_ids:
        raise SponsorError(_l("Choose a sponsorship tier, a booth, or both."), field="tier")


def submit_application(user: User, edition: Edition, data: ApplicationData) -> SponsorApplication:
    """Apply for a tier and/or booths. The tier place and the booths are taken at once (row
    locks), or nothing is: a sold-out tier or a booth someone else has is a clear refusal."""
    _check(data)
    number = clean_registration_number(data.registration_number)
    now = utcnow()
    try:
        tier = None
        if data.tier_id is not None:
            found = db.session.get(SponsorTier, data.tier_id)
            if found is None or found.edition_id != edition.id:
                raise SponsorError(_l("Choose one of the tiers on offer."), field="tier")
            tier = lock_row(SponsorTier, found.id)
            if taken_count(tier) >= tier.quantity:
                raise SponsorError(
                    _l("The %(tier)s tier is sold out.", tier=localized(tier, "name")),
                    field="tier",
                )
        booths = []
        for booth_id in sorted(set(data.booth_ids)):  # one lock order: no deadlocks
            booth = db.session.get(Booth, booth_id)
            if booth is None or booth.edition_id != edition.id:
                raise SponsorError(_l("Choose booths from the floor plan."), field="booths")
            booths.append(booth)
        application = SponsorApplication(
            edition_id=edition.id,
            user_id=user.id,
            tier_id=tier.id if tier else None,
            status=ApplicationStatus.SUBMITTED,
            company_name_ja=data.company_name_ja.strip() or data.company_name_en.strip(),
            company_name_en=data.company_name_en.strip(),
            registration_number=number,
            postal_code=data.postal_code.strip(),
            billing_address=data.billing_address.strip(),
            contact_name=data.contact_name.strip(),
            contact_email=data.contact_email.strip(),
            contact_phone=data.contact_phone.strip(),
            language=data.language if data.language in ("ja", "en") else "ja",
            tier_price=tier.price if tier else 0,
            submitted_at=now,
        )
        db.session.add(application)
        db.session.flush()
        options = {o.id: o for o in options_of(edition)}
        included = tier.included_booths if tier else 0
        for position, booth in enumerate(booths):
            _claim(booth, user, ClaimKind.RESERVED, application=application, now=now)
            chosen = [options[i] for i in data.options.get(booth.id, []) if i in options]
            application.booths.append(
                ApplicationBooth(
                    booth_id=booth.id,
                    price=0 if position < included else booth.price,
                    included=position < included,
                    options=[
                        {
                            "code": o.code,
                            "name_ja": o.name_ja,
                            "name_en": o.name_en,
                            "price": o.price,
                        }
                        for o in chosen
                    ],
                )
            )
        db.session.flush()
        _mail(application, "sponsors/submitted")
        _mail_organisers(application)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise SponsorError(
            _l("One of the booths was just taken by another company. Please choose again."),
            field="booths",
        ) from None
    except BaseException:
        db.session.rollback()
        raise
    return application


def _release_claims(application: SponsorApplication) -> None:
    db.session.execute(delete(BoothClaim).where(BoothClaim.application_id == application.id))


def reject(application: SponsorApplication, reason: str, organiser: User) -> SponsorApplication:
    reason = (reason or "").strip()
    if not reason:
        raise SponsorError(_l("Give the applicant a reason."), field="reason")
    try:
        application = lock_row(SponsorApplication, application.id)
        move(application, ApplicationStatus.REJECTED)
        application.rejection_reason = reason
        application.decided_at = utcnow()
        application.decided_by_id = organiser.id
        _release_claims(application)
        _mail(application, "sponsors/rejected")
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return application


def withdraw(application: SponsorApplication) -> SponsorApplication:
    try:
        application = lock_row(SponsorApplication, application.id)
        move(application, ApplicationStatus.WITHDRAWN)
        _release_claims(application)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return application


def order_lines(application: SponsorApplication) -> list[billing.Line]:
    lines = []
    tier = application.tier
    if tier is not None:
        included = [b.booth.code for b in application.booths if b.included]
        name_ja = f"{tier.name_ja}スポンサー協賛金"
        name_en = f"{tier.name_en} sponsorship"
        if included:
            name_ja += f"（ブース {', '.join(included)} 含む）"
            name_en += f" (incl. booth {', '.join(included)})"
        lines.append(billing.Line(name_ja, name_en, application.tier_price))
    for item in application.booths:
        booth = item.booth
        if not item.included:
            lines.append(
                billing.Line(
                    f"展示ブース {booth.code}（{booth.width}m×{booth.depth}m）",
                    f"Exhibition booth {booth.code} ({booth.width} m × {booth.depth} m)",
                    item.price,
                )
            )
        for option in item.options or []:
            lines.append(
                billing.Line(
                    f"{option['name_ja']}（ブース {booth.code}）",
                    f"{option['name_en']} (booth {booth.code})",
                    int(option["price"]),
                )
            )
    return lines


def approve(
    application: SponsorApplication, organiser: User, *, now=None, due_date=None
) -> SponsorApplication:
    """Approve: the booths become sold and the qualified invoice is issued through billing, in
    one transaction. Refused (nothing changed) when billing cannot issue the invoice."""
    try:
        application = lock_row(SponsorApplication, application.id)
        move(application, ApplicationStatus.APPROVED)
        if application.tier_id is not None:
            tier = lock_row(SponsorTier, application.tier_id)
            approved = db.session.scalar(
                select(func.count(SponsorApplication.id)).where(
                    SponsorApplication.tier_id == tier.id,
                    SponsorApplication.status.in_(
                        (ApplicationStatus.APPROVED, ApplicationStatus.PAID)
                    ),
                    SponsorApplication.id != application.id,
                )
            )
            if approved >= tier.quantity:
                raise SponsorError(
                    _l("The %(tier)s tier is sold out.", tier=localized(tier, "name"))
                )
        for item in application.booths:
            claim = db.session.scalar(
                select(BoothClaim).where(BoothClaim.booth_id == item.booth_id)
            )
            if claim is None or claim.application_id != application.id:
                raise SponsorError(_taken_message(item.booth))
            claim.kind = ClaimKind.SOLD
        application.decided_at = now or utcnow()
        application.decided_by_id = organiser.id
        lines = order_lines(application)
        if not any(line.unit_price for line in lines):
            # An in-kind partner or a free booth: nothing to invoice, it is settled at once.
            move(application, ApplicationStatus.PAID)
            application.paid_at = application.decided_at
            _mail(application, "sponsors/approved")
            db.session.commit()
            return application
        user = application.user
        order = billing.create_order(
            billing.Buyer(
                name=application.contact_name,
                email=application.contact_email,
                organisation=application.company_name_ja,
                address=" ".join(
                    part for part in (application.postal_code, application.billing_address) if part
                ),
                user_id=user.id,
                language=application.language,
            ),
            ProductFamily.SPONSORSHIP if application.tier_id else ProductFamily.BOOTH,
            lines,
            edition=application.edition,
            source=SOURCE,
            source_id=application.id,
            commit=False,
        )
        application.order_id = order.id
        _mail(application, "sponsors/approved")
        invoice = billing.issue_invoice(  # commits all of the above, or none of it
            order, language=application.language, now=now, due_date=due_date
        )
    except BillingError as error:
        db.session.rollback()
        raise SponsorError(str(error)) from None
    except BaseException:
        db.session.rollback()
        raise
    billing.send_invoice(invoice)
    return application


def on_order_paid(order: Order) -> None:
    """Billing calls this inside the payment's transaction (no commit here)."""
    if order.source != SOURCE:
        return
    application = db.session.get(SponsorApplication, order.source_id or 0)
    if application is None or application.status != ApplicationStatus.APPROVED:
        return
    move(application, ApplicationStatus.PAID)
    application.paid_at = utcnow()
    _mail(application, "sponsors/paid")


def on_order_cancelled(order: Order) -> None:
    """The invoice was cancelled or the payment refunded: the booths are free again."""
    if order.source != SOURCE:
        return
    application = db.session.get(SponsorApplication, order.source_id or 0)
    if application is None or application.status not in (
        ApplicationStatus.APPROVED,
        ApplicationStatus.PAID,
    ):
        return
    move(application, ApplicationStatus.CANCELLED)
    _release_claims(application)
    _mail(application, "sponsors/cancelled")
    close_passes(application)


def close_passes(application: SponsorApplication, now: datetime | None = None) -> None:
    """A cancelled sponsorship's pass codes stop opening registration (their sales end now),
    inside the caller's transaction. Staff already registered keep their places: the organisers
    cancel them if they must."""
    from convention.registration import services as registration
    from convention.registration.models import TicketType

    for item in application.passes:
        ticket_type = db.session.get(TicketType, item.ticket_type_id or 0)
        if ticket_type is not None:
            registration.end_sales(ticket_type, now)


def order_of(application: SponsorApplication) -> Order | None:
    return db.session.get(Order, application.order_id) if application.order_id else None


# What the lists show per application (tier, booth codes), loaded in one query per relation
# instead of one per row.
_LISTED = (
    selectinload(SponsorApplication.tier),
    selectinload(SponsorApplication.booths).selectinload(ApplicationBooth.booth),
)


def applications_of(user: User, edition: Edition | None = None) -> list[SponsorApplication]:
    query = (
        select(SponsorApplication).where(SponsorApplication.user_id == user.id).options(*_LISTED)
    )
    if edition is not None:
        query = query.where(SponsorApplication.edition_id == edition.id)
    return db.session.scalars(query.order_by(SponsorApplication.id.desc())).all()


def applications(edition: Edition, status: ApplicationStatus | None = None):
    query = (
        select(SponsorApplication)
        .where(SponsorApplication.edition_id == edition.id)
        .options(*_LISTED)
    )
    if status is not None:
        query = query.where(SponsorApplication.status == status)
    return db.session.scalars(
        query.order_by(SponsorApplication.submitted_at, SponsorApplication.id)
    ).all()


def status_counts(edition: Edition) -> dict[ApplicationStatus, int]:
    rows = db.session.execute(
        select(SponsorApplication.status, func.count(SponsorApplication.id))
        .where(SponsorApplication.edition_id == edition.id)
        .group_by(SponsorApplication.status)
    ).all()
    counts = dict.fromkeys(ApplicationStatus, 0)
    counts.update(dict(rows))
    return counts


def has_portal(user: User) -> bool:
    """Has applied, or works at a sponsor's booth (registered with its pass code)."""
    applied = db.session.scalar(
        select(SponsorApplication.id).where(SponsorApplication.user_id == user.id).limit(1)
    )
    if applied is not None:
        return True
    staff = db.session.scalar(
        select(Registration.id)
        .join(SponsorPass, SponsorPass.ticket_type_id == Registration.ticket_type_id)
        .where(
            Registration.user_id == user.id,
            Registration.status == RegistrationStatus.CONFIRMED,
        )
        .limit(1)
    )
    return staff is not None


def can_manage(user: User, application: SponsorApplication) -> bool:
    """The applicant and the organisers; nobody else learns the application exists."""
    return bool(
        user.is_authenticated and (application.user_id == user.id or user.has_role(Role.ORGANISER))
    )


# ----------------------------------------------------------------------------- mail


def _mail(application: SponsorApplication, template: str) -> None:
    from convention.mail import services as mail

    mail.queue(
        application.contact_email,
        template,
        language=application.language,
        application=application,
        status_label=STATUS_LABELS[application.status],
        portal_url=mail.absolute_url("sponsors.portal", application_id=application.id),
    )


def _mail_organisers(application: SponsorApplication) -> None:
    from convention.accounts.models import UserRole
    from convention.mail import services as mail

    organisers = db.session.scalars(
        select(User)
        .join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == Role.ORGANISER)
    ).all()
    for organiser in organisers:
        mail.queue(
            organiser.email,
            "sponsors/new_application",
            language=organiser.language,
            application=application,
            review_url=mail.absolute_url(
                "sponsors_admin.application", application_id=application.id
            ),
        )


# ----------------------------------------------------------------------------- passes

PASS_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: codes are typed by hand


def new_pass_code() -> str:
    body = "".join(secrets.choice(PASS_ALPHABET) for _ in range(12))
    return f"SP-{body[:4]}-{body[4:8]}-{body[8:]}"


def pass_quantities(application: SponsorApplication) -> dict[ParticipantCategory, int]:
    """Sponsor-staff passes come with the tier, exhibitor passes with each booth."""
    wanted = {}
    if application.tier is not None and application.tier.complimentary_passes > 0:
        wanted[ParticipantCategory.SPONSOR_STAFF] = application.tier.complimentary_passes
    exhibitors = sum(item.booth.exhibitor_passes for item in application.booths)
    if exhibitors > 0:
        wanted[ParticipantCategory.EXHIBITOR] = exhibitors
    return wanted


def ensure_passes(application: SponsorApplication) -> list[SponsorPass]:
    """The passes of a paid application, made on first use: a hidden free ticket type per
    category (registration's services make it), opened by the pass code, capacity = count."""
    from convention.registration import services as registration

    if application.status != ApplicationStatus.PAID:
        return []
    if len(application.passes) >= len(pass_quantities(application)) and all(
        p.ticket_type_id for p in application.passes
    ):
        return list(application.passes)
    try:
        application = lock_row(SponsorApplication, application.id)
        db.session.expire(application, ["passes"])  # another request may have made them
        have = {p.category for p in application.passes}
        created = []
        for category, quantity in pass_quantities(application).items():
            if category not in have:
                item = SponsorPass(category=category, quantity=quantity, code=new_pass_code())
                application.passes.append(item)
                created.append(item)
        db.session.flush()
        waiting = [p for p in application.passes if p.ticket_type_id is None]
        for item in waiting:
            staff = item.category == ParticipantCategory.SPONSOR_STAFF
            label_ja = "スポンサー" if staff else "出展者"
            label_en = "sponsor staff" if staff else "exhibitor"
            ticket_type = registration.save_ticket_type(  # commits (our pass rows too)
                application.edition,
                registration.TicketTypeData(
                    name_ja=f"{application.company_name_ja} {label_ja}招待パス",
                    name_en=f"{application.company_name_en or application.company_name_ja} "
                    f"{label_en} pass",
                    category=item.category,
                    price=0,
                    capacity=item.quantity,
                    access_code=item.code,
                    position=900,
                ),
            )
            item.ticket_type_id = ticket_type.id
        db.session.commit()
    except IntegrityError:  # made at the same moment by another request: theirs stand
        db.session.rollback()
        db.session.expire(application, ["passes"])
    except BaseException:
        db.session.rollback()
        raise
    return list(application.passes)


def pass_usage(application: SponsorApplication) -> list[tuple[SponsorPass, list[Registration]]]:
    """Each pass with the registrations made with it (those holding a place first)."""
    result = []
    for item in application.passes:
        registrations = []
        if item.ticket_type_id:
            registrations = db.session.scalars(
                select(Registration)
                .where(Registration.ticket_type_id == item.ticket_type_id)
                .order_by(Registration.created_at)
            ).all()
        result.append((item, registrations))
    return result


def pass_ticket_type_ids(application: SponsorApplication) -> list[int]:
    return [p.ticket_type_id for p in application.passes if p.ticket_type_id]


# ----------------------------------------------------------------------------- leads


def can_scan(user: User, application: SponsorApplication) -> bool:
    """The applicant, the organisers, and the company's staff registered with its passes."""
    if not user.is_authenticated:
        return False
    if can_manage(user, application):
        return True
    ids = pass_ticket_type_ids(application)
    if not ids:
        return False
    return (
        db.session.scalar(
            select(Registration.id).where(
                Registration.user_id == user.id,
                Registration.ticket_type_id.in_(ids),
                Registration.status == RegistrationStatus.CONFIRMED,
            )
        )
        is not None
    )


def scannable_applications(user: User, edition: Edition) -> list[SponsorApplication]:
    """The paid applications whose booth this person may scan for."""
    paid = db.session.scalars(
        select(SponsorApplication).where(
            SponsorApplication.edition_id == edition.id,
            SponsorApplication.status == ApplicationStatus.PAID,
        )
    ).all()
    return [a for a in paid if a.user_id == user.id or can_scan(user, a)]


@dataclass
class LeadOutcome:
    ok: bool
    reason: str = ""
    message: str = ""
    lead: Lead | None = None
    updated: bool = False
    registration: Registration | None = None

    def as_json(self) -> dict:
        from convention.checkin.services import attendee_of

        data = {"status": "ok" if self.ok else "error", "message": self.message}
        if not self.ok:
            data["reason"] = self.reason
        if self.updated:
            # The door scanner's component shows its "out" wording: here, "Lead updated".
            data["direction"] = "out"
        if self.registration is not None and self.ok:
            data["attendee"] = attendee_of(self.registration)
        if self.lead is not None:
            data["lead_id"] = self.lead.id
        return data


def _checked_in(registration: Registration) -> bool:
    from convention.checkin.models import Presence

    return (
        db.session.scalar(
            select(Presence.id).where(Presence.registration_id == registration.id).limit(1)
        )
        is not None
    )


def scan_lead(
    application: SponsorApplication, token: str, staff: User | None, nonce: str = ""
) -> LeadOutcome:
    """Record an attendee's badge scanned at the booth. Stored only for a checked-in attendee
    who consented to share contact details with sponsors; a repeat scan updates the lead."""
    from convention.checkin.services import find_registration

    if application.status != ApplicationStatus.PAID:
        return LeadOutcome(
            False, "not_active", str(_l("Lead scanning opens once the sponsorship is paid."))
        )
    registration = find_registration((token or "").strip())
    if registration is None or registration.edition_id != application.edition_id:
        return LeadOutcome(False, "invalid", str(_l("This badge is not known at this convention.")))
    if registration.status != RegistrationStatus.CONFIRMED:
        return LeadOutcome(False, "revoked", str(_l("This badge is not valid.")))
    if not _checked_in(registration):
        return LeadOutcome(
            False,
            "not_checked_in",
            str(_l("This attendee has not been checked in at the convention: nothing was stored.")),
        )
    if not registration.consent_share_with_sponsors:
        return LeadOutcome(
            False,
            "no_consent",
            str(
                _l(
                    "This attendee did not agree to share contact details with sponsors: "
                    "nothing was stored."
                )
            ),
        )
    now = utcnow()
    nonce = (nonce or "")[:64]
    for _attempt in range(2):
        lead = db.session.scalar(
            select(Lead).where(
                Lead.application_id == application.id, Lead.registration_id == registration.id
            )
        )
        updated = lead is not None
        if lead is None:
            lead = Lead(
                application_id=application.id,
                registration_id=registration.id,
                first_scanned_at=now,
                last_scanned_at=now,
                scan_count=1,
                last_nonce=nonce,
                scanned_by_id=getattr(staff, "id", None),
            )
            db.session.add(lead)
        else:
            if not nonce or nonce != lead.last_nonce:  # a resent scan counts once
                lead.scan_count += 1
            lead.last_scanned_at = now
            lead.last_nonce = nonce
            lead.scanned_by_id = getattr(staff, "id", None)
        try:
            db.session.commit()
        except IntegrityError:  # the same badge scanned at the same booth twice at once
            db.session.rollback()
            continue
        message = _l("Lead updated") if updated else _l("Lead saved")
        return LeadOutcome(True, "", str(message), lead, updated, registration)
    return LeadOutcome(False, "invalid", str(_l("Please scan again.")))


def leads_of(application: SponsorApplication) -> list[Lead]:
    """The sponsor's leads whose attendees still consent: withdrawing the consent later hides
    the person from the list and the export (APPI: sharing only while they agree)."""
    return db.session.scalars(
        select(Lead)
        .join(Registration, Registration.id == Lead.registration_id)
        .where(
            Lead.application_id == application.id,
            Registration.consent_share_with_sponsors.is_(True),
        )
        .options(contains_eager(Lead.registration).joinedload(Registration.user))
        .order_by(Lead.last_scanned_at.desc(), Lead.id.desc())
    ).all()


def update_lead(lead: Lead, rating: str | None, notes: str) -> Lead:
    if rating:
        try:
            lead.rating = LeadRating(rating)
        except ValueError:
            raise SponsorError(_l("Choose hot, warm or cold."), field="rating") from None
    else:
        lead.rating = None
    notes = (notes or "").strip()
    if len(notes) > 4000:
        raise SponsorError(_l("Notes are at most 4,000 characters."), field="notes")
    lead.notes = notes
    db.session.commit()
    return lead


RATING_LABELS = {
    LeadRating.HOT: _l("hot"),
    LeadRating.WARM: _l("warm"),
    LeadRating.COLD: _l("cold"),
}


def leads_csv(application: SponsorApplication) -> str:
    from convention.timeutil import local

    def rows():
        yield [
            str(_l("Name")),
            str(_l("Email")),
            str(_l("Organisation")),
            str(_l("Department")),
            str(_l("Job title")),
            str(_l("Country")),
            str(_l("Rating")),
            str(_l("Notes")),
            str(_l("First scanned")),
            str(_l("Last scanned")),
            str(_l("Scans")),
        ]
        for lead in leads_of(application):
            registration = lead.registration
            user = registration.user
            yield [
                user.name,
                user.contact_email or "",
                registration.organization or user.organization,
                registration.department,
                registration.job_title,
                registration.country,
                str(RATING_LABELS[lead.rating]) if lead.rating else "",
                lead.notes,
                local(lead.first_scanned_at).strftime("%Y-%m-%d %H:%M"),
                local(lead.last_scanned_at).strftime("%Y-%m-%d %H:%M"),
                lead.scan_count,
            ]

    return csv_text(rows())


# ----------------------------------------------------------------------------- profile and logo


def clean_logo(data: bytes) -> tuple[bytes, str]:
    """A PNG or JPEG, decoded and re-encoded (metadata and anything hidden dropped, scaled to
    fit LOGO_MAX_SIZE). SVG and everything that is not a PNG or JPEG image is refused."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    head = data[:512].lstrip().lower()
    if head.startswith((b"<?xml", b"<svg", b"<!doctype svg")) or b"<svg" in head:
        raise SponsorError(
            _l("SVG files are not accepted: upload the logo as PNG or JPEG."), field="logo"
        )
    not_image = SponsorError(
        _l("This file is not a PNG or JPEG image. Upload the logo as PNG or JPEG."), field="logo"
    )
    try:
        with Image.open(io.BytesIO(data)) as probe:
            kind = probe.format
            probe.verify()
        if kind not in ("PNG", "JPEG"):
            raise not_image
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            image = ImageOps.exif_transpose(image)
            image.thumbnail(LOGO_MAX_SIZE)
            out = io.BytesIO()
            if kind == "PNG":
                if image.mode not in ("RGB", "RGBA", "L", "LA"):
                    image = image.convert("RGBA")
                image.save(out, format="PNG", optimize=True)
                return out.getvalue(), "png"
            image = image.convert("RGB")
            image.save(out, format="JPEG", quality=90)
            return out.getvalue(), "jpg"
    except SponsorError:
        raise
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        raise not_image from None


def save_profile(
    application: SponsorApplication,
    *,
    company_name_ja: str,
    company_name_en: str,
    website: str,
    description_ja: str,
    description_en: str,
    logo_stream=None,
) -> SponsorApplication:
    """Edit the public profile; a new logo replaces the old one. Refused: nothing changes."""
    from convention import storage

    website = (website or "").strip()
    if website and not website.startswith(("https://", "http://")):
        raise SponsorError(_l("A website address starts with https://."), field="website")
    if not (company_name_ja or company_name_en or "").strip():
        raise SponsorError(_l("Enter the company's name."), field="company_name_ja")
    new_key = None
    if logo_stream is not None:
        try:
            data = storage.read_limited(logo_stream, logo_max_bytes())
        except storage.UploadTooLarge:
            raise SponsorError(
                _l(
                    "The logo is larger than %(size)s MB. Upload a smaller PNG or JPEG.",
                    size=f"{logo_max_bytes() / 1024 / 1024:g}",
                ),
                field="logo",
            ) from None
        if data:
            cleaned, extension = clean_logo(data)
            new_key = storage.save("sponsors/logos", cleaned, extension)
    old_key = application.logo_key
    application.company_name_ja = company_name_ja.strip() or company_name_en.strip()
    application.company_name_en = company_name_en.strip()
    application.website = website[:300]
    application.description_ja = (description_ja or "").strip()[:2000]
    application.description_en = (description_en or "").strip()[:2000]
    if new_key:
        application.logo_key = new_key
    db.session.commit()
    if new_key and old_key:
        storage.delete(old_key)
    return application


# ----------------------------------------------------------------------------- public page


PUBLIC_STATUSES = (ApplicationStatus.APPROVED, ApplicationStatus.PAID)


def public_sponsors(edition: Edition) -> list[tuple[SponsorTier | None, list[SponsorApplication]]]:
    """Approved and paid sponsors by tier (highest first), then the exhibitors without a tier."""
    listed = db.session.scalars(
        select(SponsorApplication)
        .where(
            SponsorApplication.edition_id == edition.id,
            SponsorApplication.status.in_(PUBLIC_STATUSES),
        )
        .options(*_LISTED)
        .order_by(SponsorApplication.company_name_en, SponsorApplication.id)
    ).all()
    groups = []
    for tier in tiers_of(edition):
        members = [a for a in listed if a.tier_id == tier.id]
        if members:
            groups.append((tier, members))
    exhibitors = [a for a in listed if a.tier_id is None]
    if exhibitors:
        groups.append((None, exhibitors))
    return groups


def logo_is_public(application: SponsorApplication) -> bool:
    return application.status in PUBLIC_STATUSES and bool(application.logo_key)


# ----------------------------------------------------------------------------- revenue


def budget_of(edition: Edition) -> SponsorBudget:
    budget = db.session.scalar(select(SponsorBudget).where(SponsorBudget.edition_id == edition.id))
    return budget or SponsorBudget(
        edition_id=edition.id, convention_cost=0, sponsorship_target=0, exhibition_target=0
    )


def save_budget(edition: Edition, cost: int, sponsorship: int, exhibition: int) -> SponsorBudget:
    for name, value in (
        ("convention_cost", cost),
        ("sponsorship_target", sponsorship),
        ("exhibition_target", exhibition),
    ):
        if value is None or value < 0:
            raise SponsorError(_l("Amounts are whole yen, zero or more."), field=name)
    budget = db.session.scalar(select(SponsorBudget).where(SponsorBudget.edition_id == edition.id))
    if budget is None:
        budget = SponsorBudget(edition_id=edition.id)
        db.session.add(budget)
    budget.convention_cost = cost
    budget.sponsorship_target = sponsorship
    budget.exhibition_target = exhibition
    db.session.commit()
    return budget


@dataclass
class RevenueRow:
    label_ja: str
    label_en: str
    quantity: int = 0  # for sale (tiers) or 1 (booths)
    sold: int = 0
    invoiced: int = 0  # net yen of approved (invoiced, unpaid) applications
    paid: int = 0  # net yen of paid applications
    pending: int = 0  # net yen of submitted applications
    state: str = ""

    @property
    def committed(self) -> int:
        return self.invoiced + self.paid


def revenue(edition: Edition) -> dict:
    """Net (tax-excluded) yen from sponsorship tiers and booths: paid, invoiced and still under
    review, against the edition's budget. What the city reads as "does it pay for itself"."""
    apps = db.session.scalars(
        select(SponsorApplication)
        .where(
            SponsorApplication.edition_id == edition.id,
            SponsorApplication.status.in_(ACTIVE_STATUSES),
        )
        .options(selectinload(SponsorApplication.booths))
    ).all()

    def bucket(row: RevenueRow, application: SponsorApplication, amount: int) -> None:
        if application.status == ApplicationStatus.PAID:
            row.paid += amount
        elif application.status == ApplicationStatus.APPROVED:
            row.invoiced += amount
        else:
            row.pending += amount

    tiers = []
    for tier in tiers_of(edition):
        row = RevenueRow(tier.name_ja, tier.name_en, quantity=tier.quantity)
        for application in apps:
            if application.tier_id == tier.id:
                row.sold += application.status != ApplicationStatus.SUBMITTED
                bucket(row, application, application.tier_price)
        tiers.append(row)
    booth_rows = {}
    for state in booth_states(edition):
        booth = state.booth
        booth_rows[booth.id] = RevenueRow(
            f"{booth.code}（{booth.zone}）", f"{booth.code} ({booth.zone})", 1, state=state.state
        )
    for application in apps:
        for item in application.booths:
            row = booth_rows.get(item.booth_id)
            if row is not None:
                row.sold = int(application.status != ApplicationStatus.SUBMITTED)
                bucket(row, application, item.price + item.options_total)
    booths = list(booth_rows.values())
    budget = budget_of(edition)

    def total(rows):
        return RevenueRow(
            "",
            "",
            quantity=sum(r.quantity for r in rows),
            sold=sum(r.sold for r in rows),
            invoiced=sum(r.invoiced for r in rows),
            paid=sum(r.paid for r in rows),
            pending=sum(r.pending for r in rows),
        )

    tier_total, booth_total = total(tiers), total(booths)
    committed = tier_total.committed + booth_total.committed
    return {
        "tiers": tiers,
        "booths": booths,
        "tier_total": tier_total,
        "booth_total": booth_total,
        "budget": budget,
        "committed": committed,
        "paid": tier_total.paid + booth_total.paid,
        "pending": tier_total.pending + booth_total.pending,
        "coverage": (
            round(100 * committed / budget.convention_cost) if budget.convention_cost else None
        ),
    }


def revenue_csv(edition: Edition) -> str:
    """The revenue view as a spreadsheet for the city's report (net yen, UTF-8 with BOM)."""
    figures = revenue(edition)
    budget = figures["budget"]

    def rows():
        yield [
            str(_l("Kind")),
            str(_l("Name")),
            str(_l("Sold")),
            str(_l("For sale")),
            str(_l("Invoiced, unpaid")),
            str(_l("Paid")),
            str(_l("Under review")),
        ]
        for kind, lines in ((_l("Tier"), figures["tiers"]), (_l("Booth"), figures["booths"])):
            for row in lines:
                yield [
                    str(kind),
                    localized(row, "label"),
                    row.sold,
                    row.quantity,
                    row.invoiced,
                    row.paid,
                    row.pending,
                ]
        yield []
        yield [str(_l("Committed")), figures["committed"]]
        yield [str(_l("Paid")), figures["paid"]]
        yield [str(_l("What the convention costs (yen)")), budget.convention_cost]
        yield [str(_l("Sponsorship target (yen, tax excluded)")), budget.sponsorship_target]
        yield [str(_l("Exhibition target (yen, tax excluded)")), budget.exhibition_target]

    return csv_text(rows())
