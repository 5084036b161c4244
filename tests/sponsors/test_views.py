"""What people see: bad input refused beside its field with nothing stored, another sponsor's
pages and invoices refused, logo uploads checked and re-encoded, the public page, back-office."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image
from sqlalchemy import func, select

from convention.extensions import db
from convention.sponsors import services
from convention.sponsors.models import BoothClaim, SponsorApplication
from tests.conftest import login
from tests.factories import make_user
from tests.sponsors.helpers import (
    apply,
    make_booth,
    make_sponsor_edition,
    make_tier,
    paid_application,
)

FORM = {
    "tier": "",
    "company_name_ja": "みなとガス株式会社",
    "company_name_en": "Minato Gas",
    "billing_address": "みなと市西区2-3",
    "contact_name": "Ichiro Tanaka",
    "contact_email": "soumu@minato-gas.example",
    "language": "ja",
}


def _count() -> int:
    return db.session.scalar(select(func.count(SponsorApplication.id)))


def test_a_malformed_t_number_is_refused_beside_the_field(app, attendee_client):
    edition = make_sponsor_edition()
    tier = make_tier(edition)
    response = attendee_client.post(
        "/sponsors/apply", data={**FORM, "tier": str(tier.id), "registration_number": "T123"}
    )
    assert response.status_code == 422
    assert "A registration number is T followed by 13 digits" in response.text
    beside = re.search(r'id="registration_number-error"[^>]*>([^<]*)<', response.text)
    assert beside and "T followed by 13 digits" in beside.group(1)
    assert _count() == 0
    # A valid one with full-width digits and hyphens is accepted and normalised.
    ok = attendee_client.post(
        "/sponsors/apply",
        data={**FORM, "tier": str(tier.id), "registration_number": "T７０００-０１２０-５０００２"},
    )
    assert ok.status_code == 303
    assert db.session.scalar(select(SponsorApplication)).registration_number == "T7000012050002"


def test_nothing_chosen_is_refused(app, attendee_client):
    make_sponsor_edition()
    response = attendee_client.post("/sponsors/apply", data=FORM)
    assert response.status_code == 422
    assert "Choose a sponsorship tier, a booth, or both." in response.text
    assert _count() == 0


def test_booth_ids_that_are_not_plain_numbers_are_ignored_not_a_server_error(app, attendee_client):
    make_sponsor_edition()
    # "²".isdigit() is true in Python but int("²") fails; a huge id overflows the column.
    for bad in ("²", "99999999999999999999"):
        response = attendee_client.post(
            "/sponsors/apply", data={**FORM, "booths": [bad], f"options_{bad}": [bad]}
        )
        assert response.status_code == 422, bad
    assert _count() == 0


def test_a_scan_body_that_is_not_a_json_object_is_refused_not_a_server_error(app):
    edition = make_sponsor_edition()
    owner = make_user(email="owner@example.org")
    application = paid_application(edition, make_tier(edition), user=owner)
    client = login(app.test_client(), owner)
    for body in ([1, 2], "token"):
        response = client.post(f"/my/sponsor/{application.id}/leads/scan", json=body)
        assert response.status_code == 200, body
        assert response.json["status"] == "error"
        assert response.json["message"] == "This badge is not known at this convention."
    assert services.leads_of(application) == []


def test_a_booth_held_by_another_company_is_refused_on_the_map(app, attendee_client):
    edition = make_sponsor_edition()
    booth = make_booth(edition)
    services.hold_booth(make_user(), booth)
    response = attendee_client.post(
        f"/sponsors/apply/booths/{booth.id}",
        headers={"HX-Request": "true", "HX-Target": "booth-picker"},
    )
    assert response.status_code == 422
    assert "Booth A-01 was just taken by another company" in response.text
    assert 'data-booth="A-01" data-state="held"' in response.text
    assert db.session.scalar(select(func.count(BoothClaim.id))) == 1  # still the other's hold
    # Without JavaScript the checkbox posts with the form: the same refusal.
    sent = attendee_client.post("/sponsors/apply", data={**FORM, "booths": [str(booth.id)]})
    assert sent.status_code == 422 and "Booth A-01 was just taken" in sent.text
    assert _count() == 0


def test_another_sponsors_pages_and_invoice_are_refused(app, organiser_client):
    edition = make_sponsor_edition()
    owner = make_user(email="owner@example.org")
    application = paid_application(edition, make_tier(edition), user=owner)
    order = services.order_of(application)
    invoice = order.current_invoice
    other = login(app.test_client(), make_user(email="rival@example.org"))
    for url in (
        f"/my/sponsor/{application.id}",
        f"/my/sponsor/{application.id}/profile",
        f"/my/sponsor/{application.id}/leads",
        f"/my/sponsor/{application.id}/leads.csv",
        f"/my/orders/{order.id}",
        f"/my/orders/{order.id}/invoices/{invoice.id}.pdf",
        f"/my/orders/{order.id}/receipt.pdf",
    ):
        assert other.get(url).status_code == 404, url
    assert other.post(f"/my/sponsor/{application.id}/withdraw").status_code == 404
    assert other.post(f"/my/sponsor/{application.id}/leads/scan", json={}).status_code == 404
    owner_client = login(app.test_client(), owner)
    assert owner_client.get(f"/my/orders/{order.id}/invoices/{invoice.id}.pdf").status_code == 200
    assert organiser_client.get(f"/my/sponsor/{application.id}").status_code == 200
    anonymous = app.test_client().get(f"/my/sponsor/{application.id}")
    assert anonymous.status_code == 302 and "/account/login" in anonymous.headers["Location"]


def test_the_back_office_is_for_organisers(app, attendee_client, door_client):
    make_sponsor_edition()
    for url in ("/admin/sponsors/", "/admin/sponsors/booths", "/admin/sponsors/revenue"):
        assert attendee_client.get(url).status_code == 403
        assert door_client.get(url).status_code == 403


def _png(size=(400, 200), color=(20, 120, 60)) -> bytes:
    buffer = io.BytesIO()
    image = Image.new("RGB", size, color)
    image.save(buffer, format="PNG", pnginfo=_comment())
    return buffer.getvalue()


def _comment():
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "<script>alert(1)</script>")
    return info


@pytest.fixture
def owner_and_application(app):
    edition = make_sponsor_edition()
    owner = make_user()
    application = apply(edition, make_tier(edition), user=owner)
    return login(app.test_client(), owner), application


def _upload(client, application, data: bytes, filename: str, **fields):
    return client.post(
        f"/my/sponsor/{application.id}/profile",
        data={
            "company_name_ja": "グリーンテック",
            "company_name_en": "Green Tech",
            "website": "https://greentech.example",
            **fields,
            "logo": (io.BytesIO(data), filename),
        },
        content_type="multipart/form-data",
    )


def test_a_png_logo_is_re_encoded_without_its_metadata(app, owner_and_application):
    client, application = owner_and_application
    response = _upload(client, application, _png((2400, 600)), "logo.png")
    assert response.status_code == 303
    db.session.refresh(application)
    served = client.get(f"/sponsors/logos/{application.id}")
    assert served.status_code == 200 and served.mimetype == "image/png"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    image = Image.open(io.BytesIO(served.data))
    assert image.format == "PNG" and image.size == (1200, 300)  # scaled to fit
    assert b"<script>" not in served.data
    # Not public before the application is approved.
    assert db.session.get(SponsorApplication, application.id).logo_key
    assert app.test_client().get(f"/sponsors/logos/{application.id}").status_code == 404


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (b"%PDF-1.4 not an image", "logo.png", "This file is not a PNG or JPEG image."),
        (
            b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script/></svg>',
            "logo.svg",
            "SVG files are not accepted",
        ),
        (b"GIF89a" + b"\x00" * 64, "logo.gif", "This file is not a PNG or JPEG image."),
    ],
)
def test_a_file_that_is_not_a_png_or_jpeg_is_refused(
    owner_and_application, data, filename, message
):
    client, application = owner_and_application
    response = _upload(client, application, data, filename, website="https://changed.example")
    assert response.status_code == 422
    assert message in response.text
    db.session.refresh(application)
    assert application.logo_key is None and application.website == ""  # nothing changed


def test_a_gif_image_is_refused(owner_and_application):
    client, application = owner_and_application
    buffer = io.BytesIO()
    Image.new("RGB", (10, 10)).save(buffer, format="GIF")
    response = _upload(client, application, buffer.getvalue(), "logo.gif")
    assert response.status_code == 422 and "not a PNG or JPEG" in response.text


@pytest.mark.parametrize("app_config", [{"SPONSOR_LOGO_MAX_BYTES": 1000}])
def test_an_oversized_logo_is_refused(owner_and_application):
    client, application = owner_and_application
    response = _upload(client, application, _png((600, 600)) + b"\x00" * 2000, "logo.png")
    assert response.status_code == 422
    assert "The logo is larger than" in response.text
    db.session.refresh(application)
    assert application.logo_key is None


def test_the_public_page_groups_sponsors_by_tier_in_both_languages(app):
    edition = make_sponsor_edition()
    platinum = make_tier(edition, "Platinum", name_ja="プラチナ", position=0, quantity=1)
    gold = make_tier(edition, "Gold", name_ja="ゴールド", position=1)
    paid_application(edition, gold, company_name_ja="金の会社", company_name_en="Gold Company")
    paid_application(edition, platinum, company_name_ja="白金の会社", company_name_en="Plat Co")
    apply(edition, gold, company_name_ja="審査中", company_name_en="Under Review Co")
    english = app.test_client().get("/sponsors", headers={"Accept-Language": "en"}).text
    assert english.index("Platinum") < english.index("Plat Co") < english.index("Gold Company")
    assert "Under Review Co" not in english
    assert "sold out" in english  # Platinum's only place is taken
    make_tier(edition, "Silver", name_ja="シルバー", position=2, quantity=3)
    english = app.test_client().get("/sponsors", headers={"Accept-Language": "en"}).text
    assert "3 sponsorships left" in english  # a tier is not a seat
    japanese = app.test_client().get("/sponsors", headers={"Accept-Language": "ja"}).text
    assert japanese.index("プラチナ") < japanese.index("白金の会社") < japanese.index("金の会社")


def test_organiser_views_show_the_queue_the_map_and_revenue(app, organiser_client):
    edition = make_sponsor_edition()
    tier = make_tier(edition, "Gold", price=1_000_000)
    a1 = make_booth(edition, "A-01")
    make_booth(edition, "A-02", x=3)
    paid = paid_application(edition, tier, [a1], company_name_en="Paid Co")
    waiting = apply(edition, tier, company_name_en="Waiting Co")
    queue = organiser_client.get("/admin/sponsors/")
    assert "Waiting Co" in queue.text and "Paid Co" not in queue.text
    fragment = organiser_client.get(
        "/admin/sponsors/?status=paid", headers={"HX-Request": "true", "HX-Target": "applications"}
    )
    assert "Paid Co" in fragment.text and "<html" not in fragment.text
    booths = organiser_client.get("/admin/sponsors/booths").text
    assert 'data-booth="A-01" data-state="sold"' in booths
    assert 'data-booth="A-02" data-state="free"' in booths
    saved = organiser_client.post(
        "/admin/sponsors/revenue",
        data={
            "convention_cost": "5000000",
            "sponsorship_target": "3000000",
            "exhibition_target": "-5",
        },
    )
    assert saved.status_code == 422 and "Number must be at least 0." in saved.text
    # Beyond the 32-bit columns: refused beside the field, nothing saved (not a database error).
    huge = organiser_client.post(
        "/admin/sponsors/revenue",
        data={
            "convention_cost": str(10**12),
            "sponsorship_target": "0",
            "exhibition_target": "0",
        },
    )
    assert huge.status_code == 422 and "Number must be at most 1000000000." in huge.text
    organiser_client.post(
        "/admin/sponsors/revenue",
        data={
            "convention_cost": "5000000",
            "sponsorship_target": "3000000",
            "exhibition_target": "600000",
        },
    )
    revenue = organiser_client.get("/admin/sponsors/revenue").text
    assert "¥1,150,000" in revenue and "23%" in revenue  # committed / cost
    exported = organiser_client.get("/admin/sponsors/revenue.csv")
    assert exported.mimetype == "text/csv" and "Paid Co" not in exported.text
    assert "Tier,Gold,1,2,0,1000000,1000000" in exported.text  # one paid, one under review
    rejected = organiser_client.post(
        f"/admin/sponsors/applications/{waiting.id}/reject", data={"reason": ""}
    )
    assert rejected.status_code == 422 and "Give the applicant a reason." in rejected.text
    # A refused approval is shown on the application's page, like a refused form.
    again = organiser_client.post(f"/admin/sponsors/applications/{paid.id}/approve")
    assert again.status_code == 422 and "cannot become approved" in again.text
    db.session.refresh(waiting)
    db.session.refresh(paid)
    assert (waiting.status.value, paid.status.value) == ("submitted", "paid")


def test_the_portal_link_shows_for_applicants_and_booth_staff_only(app, attendee_client):
    from tests.sponsors.helpers import register_with_pass

    edition = make_sponsor_edition()
    owner = make_user()
    application = paid_application(edition, make_tier(edition), user=owner)
    (staff_pass,) = services.ensure_passes(application)
    staff = register_with_pass(edition, staff_pass.code)
    nav = '<a href="/my/sponsor/"'
    assert nav in login(app.test_client(), owner).get("/programme").text
    assert nav in login(app.test_client(), staff.user).get("/programme").text
    assert nav not in attendee_client.get("/programme").text
    assert nav not in app.test_client().get("/programme").text
    assert '<a href="/sponsors"' in app.test_client().get("/programme").text


def test_the_portal_names_a_pass_holders_registration_status_in_words(app):
    from tests.sponsors.helpers import register_with_pass

    edition = make_sponsor_edition()
    owner = make_user()
    application = paid_application(edition, make_tier(edition), user=owner)
    (staff_pass,) = services.ensure_passes(application)
    register_with_pass(edition, staff_pass.code)
    page = login(app.test_client(), owner).get(f"/my/sponsor/{application.id}").text
    assert ">Confirmed</span>" in page and ">confirmed</span>" not in page


def test_organisers_draw_booths_and_options(app, organiser_client):
    edition = make_sponsor_edition()
    make_booth(edition, "A-01", x=0, y=0)
    booth = {
        "code": "a-02",
        "zone": "A",
        "x": "3",
        "y": "0",
        "width": "3",
        "depth": "3",
        "price": "150000",
        "exhibitor_passes": "2",
    }
    assert organiser_client.post("/admin/sponsors/booths/new", data=booth).status_code == 303
    again = organiser_client.post("/admin/sponsors/booths/new", data=booth)
    assert again.status_code == 422 and "Booth A-02 already exists." in again.text
    overlapping = organiser_client.post(
        "/admin/sponsors/booths/new", data={**booth, "code": "A-03", "x": "4"}
    )
    assert overlapping.status_code == 422
    assert "This place overlaps booth A-02 on the floor plan." in overlapping.text
    nul = organiser_client.post(
        "/admin/sponsors/booths/new", data={**booth, "code": "A-04", "zone": "\x00", "x": "9"}
    )
    assert nul.status_code == 422 and "characters that are not allowed" in nul.text
    assert [b.code for b in services.booths_of(edition)] == ["A-01", "A-02"]
    # A post without the (optional) zone saves none, as an empty field would, not a 500.
    a02 = services.booths_of(edition)[1]
    no_zone = {key: value for key, value in booth.items() if key != "zone"}
    edited = organiser_client.post(f"/admin/sponsors/booths/{a02.id}", data=no_zone)
    assert edited.status_code == 303
    db.session.refresh(a02)
    assert (a02.code, a02.zone) == ("A-02", "")
    plan = organiser_client.get("/admin/sponsors/booths").text
    assert 'data-booth="A-02" data-state="free"' in plan
    added = organiser_client.post(
        "/admin/sponsors/options",
        data={
            "code": "table",
            "name_ja": "追加テーブル",
            "name_en": "Extra table",
            "price": "5000",
        },
    )
    assert added.status_code == 303
    assert "Extra table" in organiser_client.get("/admin/sponsors/options").text


def test_organisers_set_up_tiers(app, organiser_client):
    edition = make_sponsor_edition()
    tier = {
        "name_ja": "プラチナ",
        "name_en": "Platinum",
        "price": "3000000",
        "quantity": "1",
        "logo_size": "large",
        "complimentary_passes": "10",
        "included_booths": "2",
        "speaking_slot": "y",
        "benefits_en": "Keynote slot",
        "position": "0",
    }
    bad = organiser_client.post("/admin/sponsors/tiers/new", data={**tier, "price": "-1"})
    assert bad.status_code == 422 and "Number must be at least 0." in bad.text
    nul = organiser_client.post("/admin/sponsors/tiers/new", data={**tier, "benefits_en": "\x00"})
    assert nul.status_code == 422 and "characters that are not allowed" in nul.text
    assert services.tiers_of(edition) == []
    assert organiser_client.post("/admin/sponsors/tiers/new", data=tier).status_code == 303
    public = app.test_client().get("/sponsors").text
    assert "Platinum" in public and "¥3,000,000" in public
    assert "10 complimentary passes · 2 booths included · speaking slot" in public
