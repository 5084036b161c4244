from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from convention.checkin import services
from convention.checkin.models import (
    Admission,
    ListKind,
    Presence,
    Scan,
    ScanDirection,
    ScanReason,
)
from convention.events.models import SessionKind
from convention.extensions import db
from convention.registration.models import RegistrationStatus, SignupStatus
from tests.checkin.factories import make_list, make_registration
from tests.factories import jst, make_edition, make_session, make_user


@pytest.fixture
def edition(app):
    return make_edition(is_current=True)


@pytest.fixture
def door(edition):
    return make_list(edition, valid_from=edition.start_date, valid_until=edition.end_date)


@pytest.fixture
def morning(edition):
    return jst(edition.start_date, "09:30")


def scan(token, checkin_list, at, **kwargs):
    return services.scan(token, checkin_list.slug, scanned_at=at, **kwargs)


def scan_count() -> int:
    return db.session.scalar(select(func.count(Scan.id)))


def test_first_scan_is_ok_and_stored(door, morning):
    registration = make_registration(door.edition, name="山田 太郎", organization="横浜市")
    outcome = scan(registration.badge_token, door, morning, nonce="n-1")
    assert outcome.ok
    assert outcome.reason is None
    assert outcome.attendee == {
        "name": "山田 太郎",
        "organization": "横浜市",
        "category": "business",
    }
    assert outcome.first_checked_in_at == morning
    row = db.session.get(Scan, outcome.scan_id)
    assert row.registration_id == registration.id
    assert row.result == "ok" and row.nonce == "n-1" and row.edition_id == door.edition_id
    assert services.counters(door) == services.Counters(checked_in=1, registered=1, inside=1)


def test_second_scan_is_already_checked_in_with_the_first_time(door, morning):
    registration = make_registration(door.edition)
    scan(registration.badge_token, door, morning)
    outcome = scan(registration.badge_token, door, morning + timedelta(minutes=40))
    assert not outcome.ok
    assert outcome.reason == ScanReason.ALREADY_CHECKED_IN
    assert outcome.first_checked_in_at == morning
    assert outcome.to_json()["first_checked_in_at"] == morning.isoformat()
    assert outcome.attendee["name"] == "Test Attendee"
    assert scan_count() == 2
    assert services.counters(door).checked_in == 1


MANGLES = {
    "forged": lambda token: "x" * 32,
    "truncated": lambda token: token[:20],
    "tampered": lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"),
    "url": lambda token: "https://evil.example/?" + token,
    "empty": lambda token: "",
    "japanese": lambda token: "短い",
}


def test_unknown_tokens_are_invalid_and_stored(door, morning):
    registration = make_registration(door.edition)
    for name, mangle in MANGLES.items():
        outcome = scan(mangle(registration.badge_token), door, morning)
        assert outcome.reason == ScanReason.INVALID, name
        assert outcome.attendee is None
        assert outcome.to_json()["status"] == "error"
        row = db.session.get(Scan, outcome.scan_id)
        assert row.reason == ScanReason.INVALID and row.registration_id is None
    assert scan_count() == len(MANGLES)


@pytest.mark.parametrize("status", [RegistrationStatus.CANCELLED, RegistrationStatus.REJECTED])
def test_cancelled_badges_are_revoked(door, morning, status):
    registration = make_registration(door.edition, status=status)
    outcome = scan(registration.badge_token, door, morning)
    assert outcome.reason == ScanReason.REVOKED
    assert outcome.attendee["name"] == "Test Attendee"
    assert services.counters(door).checked_in == 0


def test_unpaid_badge(door, morning):
    registration = make_registration(door.edition, status=RegistrationStatus.AWAITING_PAYMENT)
    assert scan(registration.badge_token, door, morning).reason == ScanReason.UNPAID


@pytest.mark.parametrize(
    "status", [RegistrationStatus.WAITLISTED, RegistrationStatus.PENDING_APPROVAL]
)
def test_unconfirmed_badge_is_not_yet_valid(door, morning, status):
    registration = make_registration(door.edition, status=status)
    assert scan(registration.badge_token, door, morning).reason == ScanReason.NOT_YET_VALID


def test_badge_of_another_edition_is_wrong_event(door, morning):
    other = make_edition(start=door.edition.start_date - timedelta(days=365))
    registration = make_registration(other)
    outcome = scan(registration.badge_token, door, morning)
    assert outcome.reason == ScanReason.WRONG_EVENT
    assert outcome.attendee is not None


def test_outside_the_list_dates_is_not_yet_valid(door, edition):
    registration = make_registration(edition)
    before = jst(edition.start_date - timedelta(days=1), "18:00")
    after = jst(edition.end_date + timedelta(days=1), "09:00")
    assert scan(registration.badge_token, door, before).reason == ScanReason.NOT_YET_VALID
    assert scan(registration.badge_token, door, after).reason == ScanReason.NOT_YET_VALID
    assert scan(registration.badge_token, door, jst(edition.end_date, "09:00")).ok


def test_seminar_admits_only_confirmed_signups(edition, morning):
    seminar = make_session(edition, kind=SessionKind.SEMINAR)
    seminar_list = make_list(
        edition,
        slug=seminar.slug,
        kind=ListKind.SESSION,
        session_id=seminar.id,
        admission=Admission.SIGNED_UP,
    )
    signed_up = make_registration(edition, sessions=(seminar,))
    waitlisted = make_registration(
        edition, sessions=(seminar,), signup_status=SignupStatus.WAITLISTED
    )
    stranger = make_registration(edition)
    assert scan(signed_up.badge_token, seminar_list, morning).ok
    assert scan(waitlisted.badge_token, seminar_list, morning).reason == ScanReason.NOT_ON_LIST
    outcome = scan(stranger.badge_token, seminar_list, morning)
    assert outcome.reason == ScanReason.NOT_ON_LIST
    assert outcome.attendee["name"] == "Test Attendee"
    assert services.counters(seminar_list) == services.Counters(1, 1, 1)


def test_exit_and_reentry(edition, morning):
    tables = make_list(edition, slug="tables", kind=ListKind.MATCHING, track_exits=True)
    registration = make_registration(edition)
    token = registration.badge_token
    assert scan(token, tables, morning).ok
    out = scan(token, tables, morning + timedelta(minutes=30), direction="out")
    assert out.ok and out.direction == ScanDirection.OUT
    assert services.counters(tables) == services.Counters(checked_in=1, registered=1, inside=0)
    back = scan(token, tables, morning + timedelta(minutes=45))
    assert back.ok and back.first_checked_in_at == morning
    assert services.counters(tables).inside == 1
    presence = db.session.scalar(select(Presence))
    assert presence.entries == 2


def test_no_reentry_list_refuses_a_second_entry_after_exit(edition, morning):
    visit = make_list(edition, slug="site-visit-bus", allow_reentry=False, track_exits=True)
    token = make_registration(edition).badge_token
    assert scan(token, visit, morning).ok
    assert scan(token, visit, morning, direction="out").ok
    assert scan(token, visit, morning).reason == ScanReason.ALREADY_CHECKED_IN


def test_exit_of_an_invalid_badge_is_refused(door, morning):
    outcome = scan("forged-token-forged-token", door, morning, direction="out")
    assert outcome.reason == ScanReason.INVALID


def test_same_nonce_gives_the_same_answer_and_one_row(door, morning):
    registration = make_registration(door.edition)
    first = scan(registration.badge_token, door, morning, nonce="retry-me")
    again = scan(registration.badge_token, door, morning, nonce="retry-me")
    assert again.ok and again.replayed
    assert again.to_json() == first.to_json()
    assert scan_count() == 1
    # A failure replays too: a forged badge retried stays one row.
    scan("x" * 40, door, morning, nonce="forged-1")
    assert scan("x" * 40, door, morning, nonce="forged-1").reason == ScanReason.INVALID
    assert scan_count() == 2


def test_unknown_list_is_a_lookup_error(door, morning):
    with pytest.raises(LookupError):
        services.scan("x" * 32, "no-such-list", nonce="n")
    assert scan_count() == 0


def test_list_of_the_current_edition_wins(door, morning):
    old = make_edition(start=door.edition.start_date - timedelta(days=365))
    make_list(old, slug="main-door")
    registration = make_registration(door.edition)
    assert scan(registration.badge_token, door, morning).ok


def test_offline_scans_are_marked(door, morning):
    registration = make_registration(door.edition)
    outcome = scan(registration.badge_token, door, morning, offline=True)
    assert outcome.offline
    assert db.session.get(Scan, outcome.scan_id).offline is True


def test_undo_takes_back_a_check_in_and_is_audited(door, morning, door_staff):
    registration = make_registration(door.edition)
    outcome = scan(registration.badge_token, door, morning, staff=door_staff)
    row = db.session.get(Scan, outcome.scan_id)
    services.undo(row, door_staff)
    assert row.undone_at is not None and row.undone_by_id == door_staff.id
    assert services.counters(door).checked_in == 0
    # The person can be checked in again (first time is now the new scan).
    later = morning + timedelta(minutes=5)
    again = scan(registration.badge_token, door, later)
    assert again.ok and again.first_checked_in_at == later
    with pytest.raises(services.CheckinError):
        services.undo(row, door_staff)


def test_undo_of_a_reentry_keeps_the_first_check_in(edition, morning, organiser):
    tables = make_list(edition, slug="tables", track_exits=True)
    token = make_registration(edition).badge_token
    scan(token, tables, morning)
    scan(token, tables, morning + timedelta(minutes=1), direction="out")
    back = scan(token, tables, morning + timedelta(minutes=2))
    services.undo(db.session.get(Scan, back.scan_id), organiser)
    assert services.counters(tables) == services.Counters(checked_in=1, registered=1, inside=0)


def test_failures_cannot_be_undone_and_old_scans_need_an_organiser(door, morning, door_staff):
    token = make_registration(door.edition).badge_token
    failed = scan("y" * 32, door, morning)
    with pytest.raises(services.CheckinError):
        services.undo(db.session.get(Scan, failed.scan_id), door_staff)
    ok = db.session.get(Scan, scan(token, door, morning).scan_id)
    ok.received_at = services.utcnow() - timedelta(hours=2)
    db.session.commit()
    assert not services.can_undo(ok, door_staff)
    with pytest.raises(services.CheckinError):
        services.undo(ok, door_staff)
    organiser = make_user(roles=("organiser",))
    services.undo(ok, organiser)
    assert services.counters(door).checked_in == 0


def test_counters_count_confirmed_registrations(door, morning):
    for _ in range(3):
        make_registration(door.edition)
    make_registration(door.edition, status=RegistrationStatus.CANCELLED)
    assert services.counters(door) == services.Counters(checked_in=0, registered=3, inside=0)


def test_ensure_lists_makes_the_door_and_one_list_per_session(edition):
    opening = make_session(edition, kind=SessionKind.OPENING)
    seminar = make_session(edition, kind=SessionKind.SEMINAR, day=1)
    posters = make_session(edition, kind=SessionKind.POSTER)
    matching = make_session(edition, kind=SessionKind.MATCHING)
    created = services.ensure_lists(edition)
    by_slug = {item.slug: item for item in created}
    assert set(by_slug) == {"main-door", opening.slug, seminar.slug, posters.slug, matching.slug}
    assert by_slug["main-door"].kind == ListKind.MAIN_DOOR
    assert by_slug[seminar.slug].admission == Admission.SIGNED_UP
    assert by_slug[seminar.slug].valid_from == edition.start_date + timedelta(days=1)
    assert by_slug[opening.slug].admission == Admission.EVERYONE
    assert by_slug[posters.slug].kind == ListKind.POSTER
    assert by_slug[matching.slug].kind == ListKind.MATCHING
    assert services.ensure_lists(edition) == []  # idempotent


def test_save_list_refuses_bad_input(edition, door):
    with pytest.raises(services.CheckinError) as error:
        services.save_list(edition, services.ListData(slug="main-door", name_ja="x", name_en="x"))
    assert error.value.field == "slug"
    with pytest.raises(services.CheckinError) as error:
        services.save_list(edition, services.ListData(slug="Bad Slug!", name_ja="x", name_en="x"))
    assert error.value.field == "slug"
    with pytest.raises(services.CheckinError) as error:
        services.save_list(
            edition,
            services.ListData(
                slug="late",
                name_ja="x",
                name_en="x",
                valid_from=edition.end_date,
                valid_until=edition.start_date - timedelta(days=1),
            ),
        )
    assert error.value.field == "valid_until"
    with pytest.raises(services.CheckinError) as error:
        services.save_list(
            edition,
            services.ListData(slug="s", name_ja="x", name_en="x", admission=Admission.SIGNED_UP),
        )
    assert error.value.field == "admission"
    saved = services.save_list(edition, services.ListData(slug="vip", name_ja="V", name_en="V"))
    assert saved.id and services.find_list("vip") == saved


def test_device_tokens_are_stored_hashed_and_revocable(organiser):
    device, token = services.issue_device_token("Door A phone", organiser)
    assert token.startswith("cdv_") and len(token) > 40
    assert device.token_hash != token and token not in device.token_hash
    assert services.device_for_token(token) == device
    assert services.device_for_token(token + "x") is None
    assert services.device_for_token("nonsense") is None
    services.revoke_device(device)
    assert services.device_for_token(token) is None
    with pytest.raises(services.CheckinError):
        services.issue_device_token("   ")


def test_search_finds_by_name_and_organisation(door, morning):
    aiko = make_registration(door.edition, name="Aiko Tanaka", organization="Green Port Co.")
    make_registration(door.edition, name="Ben Smith", organization="Solar Inc.")
    scan(aiko.badge_token, door, morning)
    found = services.search(door, "tanaka")
    assert [(r.user.name, p is not None) for r, p in found] == [("Aiko Tanaka", True)]
    assert [r.user.name for r, _ in services.search(door, "solar")] == ["Ben Smith"]
    assert services.search(door, "a") == []
