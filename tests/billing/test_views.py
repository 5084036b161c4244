"""The organisers' back office and the buyers' order pages."""

import io
from datetime import date

import pytest
from openpyxl import load_workbook

from convention.billing import services
from convention.billing.models import BankLineStatus, OrderStatus, ProductFamily
from convention.extensions import db
from tests.billing.conftest import invoiced_order, make_order, pdf_text
from tests.conftest import login
from tests.factories import make_user

HX = {"HX-Request": "true"}


def _main(response) -> str:
    text = response.get_data(as_text=True)
    return text[text.index("<main") : text.index("</main>")]


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/admin/billing/"),
        ("get", "/admin/billing/orders"),
        ("get", "/admin/billing/orders/new"),
        ("get", "/admin/billing/settings"),
        ("get", "/admin/billing/bank"),
        ("get", "/admin/billing/export.csv"),
        ("get", "/admin/billing/export.xlsx"),
        ("post", "/admin/billing/reminders"),
    ],
)
def test_back_office_refuses_strangers_and_non_organisers(app, client, attendee, method, url):
    anonymous = getattr(client, method)(url)
    assert anonymous.status_code in (302, 303)
    assert "/account/login" in anonymous.headers["Location"]
    door = login(app.test_client(), make_user(roles=("door_staff",)))
    assert getattr(door, method)(url).status_code == 403
    assert getattr(login(app.test_client(), attendee), method)(url).status_code == 403


def test_dashboard_numbers_per_family(app, organiser_client, issuer):
    paid = invoiced_order(prices=(100_000,))  # 110,000
    services.record_payment(paid, 110_000)
    partial = invoiced_order(prices=(200_000,), family=ProductFamily.BOOTH)  # 220,000
    services.record_payment(partial, 20_000)
    late = make_order(prices=(30_000,), family=ProductFamily.BOOTH)  # 33,000, overdue
    services.issue_invoice(late, due_date=date(2020, 1, 31))
    cancelled = invoiced_order(prices=(999_999,))
    services.cancel_invoice(cancelled.current_invoice, "withdrawn")
    make_order(prices=(5_000,))  # a draft counts nowhere

    numbers = services.summary()
    assert numbers["families"][ProductFamily.SPONSORSHIP] == {
        "invoiced": 110_000,
        "paid": 110_000,
        "outstanding": 0,
        "overdue": 0,
        "orders": 1,
    }
    assert numbers["families"][ProductFamily.BOOTH] == {
        "invoiced": 253_000,
        "paid": 20_000,
        "outstanding": 233_000,
        "overdue": 33_000,
        "orders": 2,
    }
    assert numbers["total"]["invoiced"] == 363_000

    page = organiser_client.get("/admin/billing/")
    assert page.status_code == 200
    html = _main(page)
    assert "¥253,000" in html and "¥233,000" in html and "¥33,000" in html
    assert late.current_invoice.display_number in html  # in the overdue list


def test_orders_list_filters_full_page_and_fragment(app, organiser_client, issuer):
    booth = invoiced_order(family=ProductFamily.BOOTH)
    sponsor = invoiced_order(family=ProductFamily.SPONSORSHIP)
    page = organiser_client.get("/admin/billing/orders?family=booth")
    assert "<html" in page.text
    assert booth.reference in page.text and sponsor.reference not in page.text
    fragment = organiser_client.get(
        f"/admin/billing/orders?q={sponsor.reference}", headers={**HX, "HX-Target": "orders"}
    )
    assert "<html" not in fragment.text and 'id="orders"' in fragment.text
    assert sponsor.reference in fragment.text and booth.reference not in fragment.text


def test_unknown_order_is_404(app, organiser_client):
    assert organiser_client.get("/admin/billing/orders/999").status_code == 404
    assert organiser_client.get("/admin/billing/invoices/999.pdf").status_code == 404


def test_organiser_creates_issues_and_records_payment(app, organiser_client, issuer, outbox):
    created = organiser_client.post(
        "/admin/billing/orders/new",
        data={
            "family": "booth",
            "language": "en",
            "buyer_organisation": "Solar Co.",
            "buyer_name": "Ken Sato",
            "buyer_email": "ken@solar.example",
            "description_ja": "展示ブース",
            "description_en": "Exhibition booth",
            "quantity": "2",
            "unit_price": "150000",
            "tax_rate": "10",
        },
    )
    assert created.status_code == 303
    order_url = created.headers["Location"]
    order_id = int(order_url.rstrip("/").split("/")[-1])
    issued = organiser_client.post(
        f"/admin/billing/orders/{order_id}/issue", data={"language": "en", "email": "y"}
    )
    assert issued.status_code == 303
    page = organiser_client.get(order_url)
    assert "INV-000001" in page.text and "¥330,000" in page.text
    assert "Invoice (English)" in page.text  # the invoice's language named, not coded
    mail = outbox()[-1]
    assert mail.recipient == "ken@solar.example" and "INV-000001" in mail.subject

    bad = organiser_client.post(
        f"/admin/billing/orders/{order_id}/payments",
        data={"amount": "-5", "received_on": "2025-10-01", "method": "bank_transfer"},
    )
    assert bad.status_code == 422
    assert "positive number of yen" in bad.text
    fragment = organiser_client.post(
        f"/admin/billing/orders/{order_id}/payments",
        data={"amount": "abc", "received_on": "2025-10-01", "method": "bank_transfer"},
        headers={**HX, "HX-Target": "payment-form"},
    )
    assert fragment.status_code == 422 and "<html" not in fragment.text
    assert 'id="payment-form"' in fragment.text and "whole number of yen" in fragment.text
    db.session.expire_all()
    assert not db.session.get(services.Order, order_id).payments  # nothing recorded

    paid = organiser_client.post(
        f"/admin/billing/orders/{order_id}/payments",
        data={"amount": "330000", "received_on": "2025-10-01", "method": "bank_transfer"},
        headers=HX,
    )
    assert paid.headers["HX-Redirect"].endswith(f"/admin/billing/orders/{order_id}")
    order = db.session.get(services.Order, order_id)
    assert order.status == OrderStatus.PAID
    receipt = organiser_client.get(f"/admin/billing/orders/{order_id}/receipt.pdf")
    assert receipt.headers["Content-Type"] == "application/pdf"
    assert "Receipt" in pdf_text(receipt.data)


def test_cancel_form_needs_a_reason_and_issues_a_document(app, organiser_client, issuer):
    order = invoiced_order()
    invoice = order.current_invoice
    refused = organiser_client.post(f"/admin/billing/invoices/{invoice.id}/cancel", data={})
    assert refused.status_code == 422 and "Give a reason" in refused.text
    done = organiser_client.post(
        f"/admin/billing/invoices/{invoice.id}/cancel", data={"reason": "Duplicate order"}
    )
    assert done.status_code == 303
    page = organiser_client.get(f"/admin/billing/orders/{order.id}")
    assert "CN-000001" in page.text and "Duplicate order" in page.text


def test_a_reason_with_a_nul_cancels_nothing(app, organiser_client, issuer):
    """No form sends a NUL and PostgreSQL cannot store one: refused, not a 500."""
    order = invoiced_order()
    invoice = order.current_invoice
    form = organiser_client.post(
        f"/admin/billing/invoices/{invoice.id}/cancel", data={"reason": "Dup\x00"}
    )
    assert form.status_code == 422 and "characters that are not allowed" in form.text
    # The order's cancel button sends no reason; a forged one is refused by the service.
    forged = organiser_client.post(
        f"/admin/billing/orders/{order.id}/cancel", data={"reason": "Dup\x00"}
    )
    assert forged.status_code == 303
    db.session.refresh(order)
    assert order.status == OrderStatus.INVOICED and order.current_invoice.id == invoice.id
    refund = organiser_client.post(
        f"/admin/billing/orders/{order.id}/refund", data={"reason": "Refund\x00"}
    )
    assert refund.status_code == 422 and "characters that are not allowed" in refund.text


def test_settings_refuse_a_bad_registration_number(app, organiser_client, issuer):
    form = {
        "name_ja": "委員会",
        "registration_number": "T1234567890123",
        "address_ja": "市役所",
        "bank_name": "銀行",
        "bank_branch": "本店",
        "account_type": "ordinary",
        "account_number": "1234567",
        "account_holder_kana": "イインカイ",
        "payment_terms_days": "30",
    }
    refused = organiser_client.post("/admin/billing/settings", data=form)
    assert refused.status_code == 422
    assert "valid check digit" in _main(refused)
    db.session.expire_all()
    assert services.get_issuer().name_ja == "みなと市脱炭素コンベンション実行委員会"
    saved = organiser_client.post(
        "/admin/billing/settings", data={**form, "registration_number": "T1180301018771"}
    )
    assert saved.status_code == 303
    db.session.expire_all()
    assert services.get_issuer().registration_number == "T1180301018771"


def test_bank_import_and_review_screen(app, organiser_client, issuer):
    order = invoiced_order(prices=(10_000,))
    csv = (
        "日付,入金額,振込依頼人名,摘要\n"
        f"2025/10/01,11000,ｸﾞﾘｰﾝﾃｯｸ,{order.reference}\n"
        "2025/10/02,5000,ﾀﾅｶ ﾊﾅｺ,振込\n"
    ).encode()
    bad = organiser_client.post(
        "/admin/billing/bank",
        data={"file": (io.BytesIO(b"nothing,here\n"), "x.csv")},
        content_type="multipart/form-data",
    )
    assert bad.status_code == 422 and "No header row" in bad.text
    done = organiser_client.post(
        "/admin/billing/bank",
        data={"file": (io.BytesIO(csv), "statement.csv")},
        content_type="multipart/form-data",
    )
    assert done.status_code == 303
    result = organiser_client.get(done.headers["Location"])
    assert "ﾀﾅｶ ﾊﾅｺ" in result.text and order.reference in result.text
    line = services.unmatched_lines()[0]
    refused = organiser_client.post(
        f"/admin/billing/bank/lines/{line.id}/assign",
        data={"reference": "nope"},
        headers={**HX, "HX-Target": f"bank-line-{line.id}"},
    )
    assert refused.status_code == 422 and "No order has this reference" in refused.text
    assert 'aria-invalid="true"' in refused.text
    assert "<html" not in refused.text
    db.session.expire_all()
    assert line.status == BankLineStatus.UNMATCHED and line.order_id is None
    plain = organiser_client.post(
        f"/admin/billing/bank/lines/{line.id}/assign", data={"reference": "nope"}
    )
    assert plain.status_code == 422 and "<html" in plain.text
    assert "No order has this reference" in plain.text
    ignored = organiser_client.post(f"/admin/billing/bank/lines/{line.id}/ignore", headers=HX)
    assert ignored.status_code == 200 and "ignored" in ignored.text
    db.session.expire_all()
    assert line.status == BankLineStatus.IGNORED


def test_exports_for_the_accounting_office(app, organiser_client, issuer):
    order = invoiced_order(prices=(333, 333, 334))
    services.record_payment(order, 1_100)
    csv = organiser_client.get("/admin/billing/export.csv")
    assert csv.data.startswith("\ufeff".encode())
    text = csv.data.decode("utf-8-sig")
    header, row = text.splitlines()[:2]
    assert header.startswith("document_number,kind")
    assert row.startswith("INV-000001,invoice,")
    assert ",1000,100," in row
    xlsx = organiser_client.get("/admin/billing/export.xlsx")
    book = load_workbook(io.BytesIO(xlsx.data))
    assert book.sheetnames == ["Invoices", "Payments"]
    assert book["Invoices"]["A2"].value == "INV-000001"
    assert book["Payments"]["E2"].value == 1_100


def test_buyer_sees_only_their_own_orders(app, client, issuer):
    owner = make_user(email="owner@example.org")
    stranger = make_user(email="stranger@example.org")
    order = invoiced_order(user=owner)
    invoice = order.current_invoice
    mine = login(app.test_client(), owner)
    page = mine.get(f"/my/orders/{order.id}")
    assert page.status_code == 200
    assert order.reference in page.text and invoice.display_number in page.text
    assert "by card" not in page.text  # no provider configured
    pdf = mine.get(f"/my/orders/{order.id}/invoices/{invoice.id}.pdf")
    assert "T7000012050002" in pdf_text(pdf.data)
    assert mine.get(f"/my/orders/{order.id}/receipt.pdf").status_code == 404  # not paid
    assert order.reference in mine.get("/my/orders/").text

    other = login(app.test_client(), stranger)
    assert other.get(f"/my/orders/{order.id}").status_code == 404
    assert other.get(f"/my/orders/{order.id}/invoices/{invoice.id}.pdf").status_code == 404
    assert order.reference not in other.get("/my/orders/").text
    assert client.get(f"/my/orders/{order.id}").status_code in (302, 303)


def test_status_poll_stops_once_paid(app, issuer):
    owner = make_user()
    order = invoiced_order(user=owner, prices=(1_000,))
    mine = login(app.test_client(), owner)
    assert mine.get(f"/my/orders/{order.id}/status", headers=HX).status_code == 200
    services.record_payment(order, 1_100)
    answer = mine.get(f"/my/orders/{order.id}/status", headers=HX)
    assert answer.status_code == 286
    assert "payment is confirmed" in answer.text
    receipt = mine.get(f"/my/orders/{order.id}/receipt.pdf")
    assert "RC-000001" in pdf_text(receipt.data)


def test_correcting_a_reopened_order_then_reissuing(app, organiser_client, issuer):
    order = invoiced_order(prices=(100_000,))
    services.cancel_invoice(order.current_invoice, "Wrong company name", reopen=True)
    form = organiser_client.get(f"/admin/billing/orders/{order.id}/edit")
    assert form.status_code == 200 and "項目1" in form.text
    data = {
        "buyer_organisation": "株式会社グリーンテック・ジャパン",
        "buyer_name": "経理 太郎",
        "buyer_email": "keiri@example.co.jp",
        "language": "ja",
        "lines-0-description_ja": "協賛金",
        "lines-0-description_en": "Sponsorship",
        "lines-0-quantity": "1",
        "lines-0-unit_price": "¥120,000",
        "lines-0-tax_rate": "10",
        "lines-1-description_ja": "",
    }
    bad = organiser_client.post(
        f"/admin/billing/orders/{order.id}/edit", data={**data, "lines-0-unit_price": "-1"}
    )
    assert bad.status_code == 422 and "cannot be negative" in bad.text
    # A line's description with a NUL (PostgreSQL cannot store one): refused beside it.
    nul = organiser_client.post(
        f"/admin/billing/orders/{order.id}/edit",
        data={**data, "lines-0-description_en": "Sponsor\x00ship"},
    )
    assert nul.status_code == 422 and "characters that are not allowed" in nul.text
    db.session.expire_all()
    assert order.buyer_organisation != "株式会社グリーンテック・ジャパン"
    done = organiser_client.post(f"/admin/billing/orders/{order.id}/edit", data=data)
    assert done.status_code == 303
    db.session.expire_all()
    assert order.buyer_organisation == "株式会社グリーンテック・ジャパン"
    assert [line.unit_price for line in order.lines] == [120_000]
    organiser_client.post(f"/admin/billing/orders/{order.id}/issue", data={"language": "ja"})
    db.session.expire_all()
    assert order.current_invoice.display_number == "INV-000002"
    assert order.current_invoice.total == 132_000
    assert order.invoices[0].snapshot["recipient"]["organisation"] == "株式会社グリーンテック"
    # An invoiced order cannot be edited any more.
    again = organiser_client.get(f"/admin/billing/orders/{order.id}/edit")
    assert again.status_code == 303


def test_organiser_adds_a_series_and_issues_in_it(app, organiser_client, issuer):
    refused = organiser_client.post(
        "/admin/billing/settings/series", data={"code": "FY 25!", "prefix": "2025-"}
    )
    assert refused.status_code == 422 and "A code is" in refused.text
    added = organiser_client.post(
        "/admin/billing/settings/series", data={"code": "FY2025", "prefix": "2025-"}
    )
    assert added.status_code == 303
    duplicate = organiser_client.post(
        "/admin/billing/settings/series", data={"code": "FY2026", "prefix": "2025-"}
    )
    assert duplicate.status_code == 422 and "prefix is already used" in duplicate.text
    series = services.list_series()[-1]
    order = make_order()
    page = organiser_client.get(f"/admin/billing/orders/{order.id}")
    assert "2025-000001" in page.text  # offered in the issue form
    organiser_client.post(
        f"/admin/billing/orders/{order.id}/issue", data={"language": "ja", "series": series.id}
    )
    db.session.expire_all()
    assert order.current_invoice.display_number == "2025-000001"
    other = make_order()
    services.issue_invoice(other)
    assert other.current_invoice.display_number == "INV-000001"


def test_dashboard_and_orders_per_edition(app, organiser_client, issuer):
    from tests.factories import make_edition

    first, second = make_edition(), make_edition()
    services.issue_invoice(
        services.create_order(
            services.Buyer("A", "a@example.org"),
            "booth",
            [services.Line("x", "x", 1_000)],
            edition=first,
        )
    )
    services.issue_invoice(
        services.create_order(
            services.Buyer("B", "b@example.org"),
            "booth",
            [services.Line("y", "y", 7_000)],
            edition=second,
        )
    )
    page = organiser_client.get(f"/admin/billing/?edition={second.id}")
    assert "¥7,700" in page.text and "¥1,100" not in page.text
    assert "¥8,800" in organiser_client.get("/admin/billing/").text
    listed = organiser_client.get(f"/admin/billing/orders?edition={first.id}")
    assert "¥1,100" in listed.text and "¥7,700" not in listed.text
    # An edition or a page no id can be (beyond the 32-bit column, superscript digits)
    # filters nothing, instead of reaching the database (a 500).
    for query in ("edition=99999999999999999999", "edition=%C2%B2", "page=99999999999999999999"):
        assert "¥8,800" in organiser_client.get(f"/admin/billing/?{query}").text, query
        listed = organiser_client.get(f"/admin/billing/orders?{query}")
        assert listed.status_code == 200 and "¥7,700" in listed.text, query


def test_order_page_polls_only_after_returning_from_the_card_page(app, issuer):
    owner = make_user()
    order = invoiced_order(user=owner, prices=(1_000,))
    mine = login(app.test_client(), owner)
    assert "every 5s" not in mine.get(f"/my/orders/{order.id}").text
    back = mine.get(f"/my/orders/{order.id}?card=returned")
    assert "every 5s" in back.text and "as soon as the card company confirms" in back.text


def test_orders_list_pages_and_overdue_filter(app, organiser_client, issuer, monkeypatch):
    from convention.billing import views

    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    late = make_order(prices=(1_000,))
    services.issue_invoice(late, due_date=date(2020, 1, 31))
    others = [invoiced_order(prices=(2_000,)) for _ in range(3)]
    first = organiser_client.get("/admin/billing/orders")
    assert others[-1].reference in first.text and late.reference not in first.text
    assert "page=2" in first.text
    second = organiser_client.get("/admin/billing/orders?page=2")
    assert late.reference in second.text and "page=3" not in second.text
    overdue = organiser_client.get("/admin/billing/orders?overdue=1")
    assert late.reference in overdue.text
    assert all(order.reference not in overdue.text for order in others)


def test_every_page_footer_names_the_organiser_once_they_are_set(client):
    """The footer names who runs the convention (the invoices' issuer), in the page's
    language; before organisers fill that in, it names no one rather than a placeholder."""

    def footer(language):
        page = client.get("/privacy", headers={"Accept-Language": language}).text
        return page.split('<footer class="site-footer">')[1].split("</footer>")[0]

    assert "Organised by" not in footer("en") and "主催" not in footer("ja")
    services.update_issuer(name_ja="みなと市実行委員会", name_en="Minato City Committee")
    db.session.commit()
    assert "Organised by Minato City Committee." in footer("en")
    assert "主催：みなと市実行委員会" in footer("ja")
