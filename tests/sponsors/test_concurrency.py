"""Two companies race for the last free booth from two connections at once (PostgreSQL row
locks): exactly one gets it, the other gets a clear refusal, and it is sold once."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from convention.billing import services as billing
from convention.billing.models import Order
from convention.extensions import db
from convention.sponsors import services
from convention.sponsors.models import (
    ApplicationStatus,
    Booth,
    BoothClaim,
    ClaimKind,
    SponsorApplication,
    SponsorTier,
)
from tests.factories import make_issuer, make_user
from tests.sponsors.helpers import data, make_booth, make_sponsor_edition, make_tier

pytestmark = pytest.mark.postgres_only


def _race(app, jobs):
    """Run each job in its own thread, app context and database connection, released together."""
    barrier = threading.Barrier(len(jobs))
    results: list = [None] * len(jobs)

    def run(index, job):
        with app.app_context():
            try:
                barrier.wait(timeout=30)
                results[index] = ("ok", job())
            except services.SponsorError as error:
                results[index] = ("refused", str(error))
            except Exception as error:  # the test fails on anything else
                results[index] = ("crashed", f"{type(error).__name__}: {error}")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_two_companies_racing_for_one_booth_get_one_sale_and_one_refusal(app):
    edition = make_sponsor_edition()
    make_issuer()
    booth = make_booth(edition, "C-07")
    organiser = make_user(roles=("organiser",))
    companies = [make_user(email="a@alpha.example"), make_user(email="b@beta.example")]
    edition_id, booth_id = edition.id, booth.id
    user_ids = [u.id for u in companies]
    db.session.commit()

    def applying(user_id, name):
        def job():
            from convention.accounts.models import User
            from convention.events.models import Edition

            user = db.session.get(User, user_id)
            application = services.submit_application(
                user,
                db.session.get(Edition, edition_id),
                data(booths=[db.session.get(Booth, booth_id)], company=name),
            )
            return application.id

        return job

    for _round in range(3):  # several rounds: the barrier does not always line them up
        results = _race(app, [applying(user_ids[0], "Alpha"), applying(user_ids[1], "Beta")])
        assert not [r for r in results if r[0] == "crashed"], results
        outcomes = sorted(r[0] for r in results)
        assert outcomes == ["ok", "refused"], results
        refusal = next(r[1] for r in results if r[0] == "refused")
        assert "Booth C-07 was just taken by another company" in refusal
        winner_id = next(r[1] for r in results if r[0] == "ok")
        winner = db.session.get(SponsorApplication, winner_id)
        if _round < 2:
            services.withdraw(winner)  # free it for the next round
    db.session.expire_all()

    # The winner of the last round is approved, invoiced and paid: one sale.
    services.approve(winner, organiser)
    order = db.session.get(Order, winner.order_id)
    billing.record_payment(order, order.total)
    db.session.expire_all()
    assert db.session.scalar(select(func.count(BoothClaim.id))) == 1
    claim = db.session.scalar(select(BoothClaim))
    assert claim.kind == ClaimKind.SOLD and claim.application_id == winner.id
    paid = db.session.scalar(
        select(func.count(SponsorApplication.id)).where(
            SponsorApplication.status == ApplicationStatus.PAID
        )
    )
    assert paid == 1


def test_two_companies_racing_for_the_last_tier_place(app):
    edition = make_sponsor_edition()
    tier = make_tier(edition, "Platinum", quantity=1)
    users = [make_user(), make_user()]
    edition_id, tier_id = edition.id, tier.id
    user_ids = [u.id for u in users]

    def applying(user_id, name):
        def job():
            from convention.accounts.models import User
            from convention.events.models import Edition

            return services.submit_application(
                db.session.get(User, user_id),
                db.session.get(Edition, edition_id),
                data(db.session.get(SponsorTier, tier_id), company=name),
            ).id

        return job

    results = _race(app, [applying(user_ids[0], "Alpha"), applying(user_ids[1], "Beta")])
    assert sorted(r[0] for r in results) == ["ok", "refused"], results
    assert "The Platinum tier is sold out." in next(r[1] for r in results if r[0] == "refused")
    assert services.taken_count(db.session.get(SponsorTier, tier_id)) == 1


def test_two_companies_clicking_the_same_booth_on_the_map_at_once(app):
    edition = make_sponsor_edition()
    booth = make_booth(edition, "D-01")
    user_ids = [make_user().id, make_user().id]
    booth_id = booth.id

    def holding(user_id):
        def job():
            from convention.accounts.models import User

            return services.hold_booth(
                db.session.get(User, user_id), db.session.get(Booth, booth_id)
            ).user_id

        return job

    results = _race(app, [holding(user_ids[0]), holding(user_ids[1])])
    assert sorted(r[0] for r in results) == ["ok", "refused"], results
    winner = next(r[1] for r in results if r[0] == "ok")
    claim = db.session.scalar(select(BoothClaim))
    assert claim.user_id == winner and claim.kind == ClaimKind.HOLD
