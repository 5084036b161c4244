"""POST /api/checkin/scan, exactly as the contract in DESIGN.md says."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from convention.checkin import services
from convention.checkin.models import Admission, ListKind, Scan
from convention.events.models import SessionKind
from convention.extensions import db
from convention.registration.models import RegistrationStatus
from tests.checkin.factories import make_list, make_registration
from tests.conftest import login
from tests.factories import jst, make_edition, make_session, make_user

URL = "/api/checkin/scan"


@pytest.fixture
def edition(app):
    return make_edition(is_current=True)


@pytest.fixture
def door(edition):
    return make_list(edition, valid_from=edition.start_date, valid_until=edition.end_date)


@pytest.fixture
def device_token(organiser):
    return services.issue_device_token("Door A", organiser)[1]


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def body(token: str, slug: str = "main-door", **extra) -> dict:
    data = {
        "token": token,
        "list": slug,
        "direction": "in",
        "nonce": str(uuid.uuid4()),
        "scanned_at": jst_iso(extra.pop("at", "09:30")),
    }
    data.update(extra)
    return data


_edition_start = {}


def jst_iso(hhmm: str) -> str:
    return jst(_edition_start["day"], hhmm).isoformat()


@pytest.fixture(autouse=True)
def _remember_day(edition):
    _edition_start["day"] = edition.start_date


def rows() -> int:
    return db.session.scalar(select(func.count(Scan.id)))


def test_ok_answer_has_the_contract_fields(client, door, device_token):
    registration = make_registration(door.edition, name="佐藤 花子", organization="横浜市")
    response = client.post(
        URL,
        json=body(registration.badge_token),
        headers={**bearer(device_token), "Accept-Language": "en"},
    )
    assert response.status_code == 200
    data = response.get_json()
    assert data["status"] == "ok"
    assert "reason" not in data
    assert data["attendee"] == {
        "name": "佐藤 花子",
        "organization": "横浜市",
        "category": "business",
        "category_label": "Business",
    }
    assert data["message"] == "OK"
    assert data["first_checked_in_at"].startswith(f"{door.edition.start_date}T09:30:00")
    assert data["first_checked_in_at"].endswith("+09:00")
    row = db.session.get(Scan, data["scan_id"])
    assert row.device.name == "Door A" and row.staff_user_id is None
    assert row.device.last_used_at is not None


def _reason(client, token, device_token, **extra):
    response = client.post(URL, json=body(token, **extra), headers=bearer(device_token))
    assert response.status_code == 200
    return response.get_json()


def test_every_reason_code_through_the_api(client, edition, door, device_token):
    ok = make_registration(edition)
    cancelled = make_registration(edition, status=RegistrationStatus.CANCELLED)
    unpaid = make_registration(edition, status=RegistrationStatus.AWAITING_PAYMENT)
    other = make_registration(make_edition(start=edition.start_date - timedelta(days=365)))
    seminar = make_session(edition, kind=SessionKind.SEMINAR)
    make_list(
        edition,
        slug="seminar",
        kind=ListKind.SESSION,
        session_id=seminar.id,
        admission=Admission.SIGNED_UP,
    )
    token = ok.badge_token

    assert _reason(client, token, device_token)["status"] == "ok"
    again = _reason(client, token, device_token, at="10:15")
    assert again["reason"] == "already_checked_in"
    assert again["first_checked_in_at"].endswith("T09:30:00+09:00")
    assert again["attendee"]["name"] == "Test Attendee"
    assert _reason(client, token[:-3], device_token)["reason"] == "invalid"
    assert _reason(client, "A" * len(token), device_token)["reason"] == "invalid"
    invalid = _reason(client, "<script>alert(1)</script>", device_token)
    assert invalid["reason"] == "invalid" and "attendee" not in invalid
    assert _reason(client, cancelled.badge_token, device_token)["reason"] == "revoked"
    assert _reason(client, unpaid.badge_token, device_token)["reason"] == "unpaid"
    assert _reason(client, other.badge_token, device_token)["reason"] == "wrong_event"
    assert _reason(client, token, device_token, slug="seminar")["reason"] == "not_on_list"
    next_year = (edition.start_date + timedelta(days=400)).isoformat() + "T09:00:00+09:00"
    assert (
        _reason(client, token, device_token, scanned_at=next_year, slug="seminar")["reason"]
        == "not_on_list"
    )
    late = make_registration(edition)
    day_before = (edition.start_date - timedelta(days=1)).isoformat() + "T18:00:00+09:00"
    assert _reason(client, late.badge_token, device_token, scanned_at=day_before)["reason"] == (
        "not_yet_valid"
    )
    # Every scan is a row, failures included.
    assert rows() == 11


def test_same_nonce_twice_gives_the_same_answer_and_one_row(client, door, device_token):
    registration = make_registration(door.edition)
    data = body(registration.badge_token)
    first = client.post(URL, json=data, headers=bearer(device_token)).get_json()
    second = client.post(URL, json=data, headers=bearer(device_token)).get_json()
    assert first == second and first["status"] == "ok"
    assert rows() == 1


def test_offline_upload_is_marked(client, door, device_token):
    registration = make_registration(door.edition)
    data = client.post(
        URL, json=body(registration.badge_token, offline=True), headers=bearer(device_token)
    ).get_json()
    assert data["offline"] is True
    assert db.session.get(Scan, data["scan_id"]).offline is True


def test_door_staff_session_can_scan(door_client, door, door_staff):
    registration = make_registration(door.edition)
    data = door_client.post(URL, json=body(registration.badge_token)).get_json()
    assert data["status"] == "ok"
    assert db.session.get(Scan, data["scan_id"]).staff_user_id == door_staff.id


def test_unauthenticated_is_401_json(client, door):
    for headers in (
        {},
        {"Authorization": "Bearer cdv_not-a-real-token"},
        {"Authorization": "Bearer "},
        {"Authorization": "Basic abc"},
    ):
        response = client.post(URL, json=body("x" * 32), headers=headers)
        assert response.status_code == 401, headers
        assert response.is_json and response.get_json()["status"] == "error"
    assert rows() == 0


def test_revoked_device_is_401(client, door, organiser):
    device, token = services.issue_device_token("Lost phone", organiser)
    registration = make_registration(door.edition)
    assert (
        client.post(URL, json=body(registration.badge_token), headers=bearer(token)).status_code
        == 200
    )
    services.revoke_device(device)
    response = client.post(URL, json=body(registration.badge_token), headers=bearer(token))
    assert response.status_code == 401 and response.is_json


def test_other_roles_may_not_scan(app, door):
    for user in (make_user(roles=("reviewer",)), make_user()):
        client = login(app.test_client(), user)
        response = client.post(URL, json=body("x" * 32))
        assert response.status_code == 403 and response.is_json
    assert rows() == 0


BAD_REQUESTS = [
    ("not json", "body"),
    ([1, 2], "body"),
    ({"list": "main-door", "nonce": "n1"}, "token"),
    ({"token": "abc", "nonce": "n1"}, "list"),
    ({"token": "abc", "list": "main-door"}, "nonce"),
    ({"token": 12, "list": "main-door", "nonce": "n1"}, "token"),
    ({"token": "abc", "list": "main-door", "nonce": "n" * 65}, "nonce"),
    ({"token": "abc", "list": "main-door", "nonce": "n1", "direction": "up"}, "direction"),
    (
        {"token": "abc", "list": "main-door", "nonce": "n1", "scanned_at": "yesterday"},
        "scanned_at",
    ),
    ({"token": "abc", "list": "main-door", "nonce": "n1", "offline": "yes"}, "offline"),
    # No scanner sends a NUL, and PostgreSQL can neither store nor compare one.
    ({"token": "abc", "list": "main-door", "nonce": "n\u0000"}, "nonce"),
    ({"token": "abc", "list": "main\u0000door", "nonce": "n1"}, "list"),
    ({"token": "abc\u0000", "list": "main-door", "nonce": "n1"}, "token"),
]


def test_bad_requests_are_400_json(client, door, device_token):
    for payload, field in BAD_REQUESTS:
        if isinstance(payload, str):
            response = client.post(
                URL, data=payload, content_type="application/json", headers=bearer(device_token)
            )
        else:
            response = client.post(URL, json=payload, headers=bearer(device_token))
        assert response.status_code == 400, payload
        data = response.get_json()
        assert data["status"] == "error" and data["field"] == field, payload
    assert rows() == 0


def test_unknown_list_is_404_json(client, door, device_token):
    response = client.post(URL, json=body("x" * 32, slug="nowhere"), headers=bearer(device_token))
    assert response.status_code == 404
    assert response.get_json()["error"] == "unknown_list"


def test_get_is_405_json(client, door):
    response = client.get(URL)
    assert response.status_code == 405 and response.is_json


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}])
def test_session_scans_need_csrf_but_bearer_scans_do_not(app, door, door_staff, organiser):
    registration = make_registration(door.edition)
    staff_client = login(app.test_client(), door_staff)
    refused = staff_client.post(URL, json=body(registration.badge_token))
    assert refused.status_code == 400 and refused.is_json
    # The scanner page gives the token (meta tag); with it the scan goes through.
    page = staff_client.get("/checkin/scan?list=main-door")
    token = page.text.split('name="csrf-token" content="')[1].split('"')[0]
    accepted = staff_client.post(
        URL, json=body(registration.badge_token), headers={"X-CSRFToken": token}
    )
    assert accepted.status_code == 200 and accepted.get_json()["status"] == "ok"
    _, device_token = services.issue_device_token("App", organiser)
    other = make_registration(door.edition)
    response = app.test_client().post(
        URL, json=body(other.badge_token), headers=bearer(device_token)
    )
    assert response.status_code == 200 and response.get_json()["status"] == "ok"


@pytest.mark.parametrize(
    "app_config", [{"RATELIMIT_ENABLED": True, "CHECKIN_SCAN_RATE_LIMIT": "3 per minute"}]
)
def test_scans_are_rate_limited_per_device(app, door, organiser):
    _, first = services.issue_device_token("Door A", organiser)
    _, second = services.issue_device_token("Door B", organiser)
    client = app.test_client()
    statuses = [
        client.post(URL, json=body("x" * 32), headers=bearer(first)).status_code for _ in range(4)
    ]
    assert statuses == [200, 200, 200, 429]
    limited = client.post(URL, json=body("x" * 32), headers=bearer(first))
    assert limited.is_json and limited.get_json()["status"] == "error"
    # Another device has its own budget.
    assert client.post(URL, json=body("x" * 32), headers=bearer(second)).status_code == 200


def test_device_token_command_prints_the_token_last(runner, door):
    result = runner.invoke(args=["checkin", "device-token", "Door C scanner"])
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    assert services.device_for_token(token).name == "Door C scanner"


def test_a_device_clock_far_ahead_is_not_believed(client, edition, device_token):
    make_list(edition)  # no valid dates
    registration = make_registration(edition)
    ahead = (services.utcnow() + timedelta(days=3)).isoformat()
    data = _reason(client, registration.badge_token, device_token, scanned_at=ahead)
    assert data["status"] == "ok"
    stored = db.session.get(Scan, data["scan_id"]).scanned_at
    assert stored < services.utcnow() + timedelta(minutes=1)
