"""Billing pages: the organisers' back office (/admin/billing), the buyers' orders
(/my/orders) and the card provider's webhook (/api/billing/card-webhook)."""

from __future__ import annotations

from datetime import date

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    make_response,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import or_, select
from wtforms.fields.choices import SelectChoice

from convention import pdf
from convention.accounts.access import login_required, organiser_required
from convention.billing import card, documents, exports, services
from convention.billing.forms import (
    FAMILY_LABELS,
    METHOD_LABELS,
    SOURCE_LABELS,
    AssignLineForm,
    BankImportForm,
    CancelForm,
    DraftForm,
    IssueForm,
    IssuerForm,
    OrderForm,
    PaymentForm,
    RefundForm,
    SeriesForm,
)
from convention.billing.models import (
    OPEN_STATUSES,
    BankImport,
    BankStatementLine,
    BillingError,
    DocumentKind,
    Invoice,
    InvoiceSeries,
    Order,
    OrderStatus,
    PaymentMethod,
    ProductFamily,
)
from convention.extensions import csrf, db, positive_int
from convention.forms import attach_error as _attach
from convention.htmx import is_htmx, redirect, render
from convention.jobs.services import start as start_job
from convention.web import form_status

bp = Blueprint("billing", __name__, url_prefix="/admin/billing")
my_bp = Blueprint("billing_public", __name__, url_prefix="/my/orders")
webhook_bp = Blueprint("billing_webhook", __name__, url_prefix="/api/billing")

PAGE_SIZE = 100


def _labels() -> dict:
    return {
        "family_labels": FAMILY_LABELS,
        "method_labels": METHOD_LABELS,
        "source_labels": SOURCE_LABELS,
        "status_labels": {s: str(services.STATUS_LABELS[s]) for s in OrderStatus},
    }


# ----------------------------------------------------------------- back office


def _editions():
    from convention.events.models import Edition

    return db.session.scalars(select(Edition).order_by(Edition.start_date.desc())).all()


def _edition_id() -> int | None:
    return positive_int(request.args.get("edition", ""))  # not an id: the filter filters nothing


@bp.get("/")
@organiser_required
def dashboard():
    edition_id = _edition_id()
    return render_template(
        "billing/dashboard.html",
        summary=services.summary(edition_id),
        editions=_editions(),
        edition_id=edition_id,
        overdue=services.overdue_invoices(),
        unmatched=len(services.unmatched_lines()),
        issuer_complete=services.get_issuer().complete,
        families=list(ProductFamily),
        **_labels(),
    )


def _filtered_orders():
    query = select(Order).order_by(Order.id.desc()).options(*services.ORDER_LOADING)
    family = request.args.get("family", "")
    edition_id = _edition_id()
    if edition_id:
        query = query.where(Order.edition_id == edition_id)
    status = request.args.get("status", "")
    text = request.args.get("q", "").strip()
    if family in {f.value for f in ProductFamily}:
        query = query.where(Order.family == family)
    if status in {s.value for s in OrderStatus}:
        query = query.where(Order.status == status)
    if text:
        like = f"%{text}%"
        query = query.where(
            or_(
                Order.reference.ilike(like),
                Order.buyer_name.ilike(like),
                Order.buyer_organisation.ilike(like),
                Order.buyer_email.ilike(like),
            )
        )
    overdue = request.args.get("overdue", "")
    if overdue:
        overdue_ids = {invoice.order_id for invoice in services.overdue_invoices()}
        query = query.where(Order.id.in_(overdue_ids or {0}))
    page = positive_int(request.args.get("page", "")) or 1
    # One row more than a page tells whether a next page exists.
    rows = db.session.scalars(query.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)).all()
    filters = {
        "family": family,
        "status": status,
        "q": text,
        "overdue": overdue,
        "edition": edition_id,
    }
    return rows[:PAGE_SIZE], filters, page, len(rows) > PAGE_SIZE


@bp.get("/orders")
@organiser_required
def orders():
    found, filters, page, has_next = _filtered_orders()
    return render(
        "billing/orders.html",
        "billing/_orders.html",
        targets=("orders",),
        orders=found,
        filters=filters,
        page_number=page,
        has_next=has_next,
        editions=_editions(),
        families=list(ProductFamily),
        statuses=list(OrderStatus),
        today=services.today_local(),
        **_labels(),
    )


@bp.route("/orders/new", methods=["GET", "POST"])
@organiser_required
def new_order():
    form = OrderForm()
    if form.validate_on_submit():
        try:
            order = services.create_order(
                services.Buyer(
                    name=form.buyer_name.data,
                    email=form.buyer_email.data,
                    organisation=form.buyer_organisation.data or "",
                    address=form.buyer_address.data or "",
                    language=form.language.data,
                ),
                form.family.data,
                [
                    services.Line(
                        form.description_ja.data,
                        form.description_en.data or form.description_ja.data,
                        unit_price=form.unit_price.data,
                        quantity=form.quantity.data,
                        tax_rate=int(form.tax_rate.data),
                    )
                ],
            )
        except BillingError as error:
            _attach(form, error)
        else:
            flash(_("Order %(reference)s created.", reference=order.reference), "success")
            return redirect(url_for("billing.order", order_id=order.id))
    status = 422 if form.errors or form.form_errors else 200
    return render_template("billing/new_order.html", form=form), status


def _issue_form(order: Order, formdata=None) -> IssueForm:
    form = (
        IssueForm(formdata=formdata) if formdata is not None else IssueForm(language=order.language)
    )
    form.series.choices = [
        SelectChoice(str(series.id), f"{series.code} ({series.format(series.next_number)} …)")
        for series in services.list_series(DocumentKind.INVOICE)
    ]
    return form


def _order_page(order: Order, status: int = 200, **forms):
    context = {
        "order": order,
        "issue_form": forms.get("issue_form") or _issue_form(order),
        "payment_form": forms.get("payment_form")
        or PaymentForm(
            formdata=None,
            amount=max(order.outstanding, 0) or None,
            received_on=services.today_local(),
            payer_name=order.buyer_organisation or order.buyer_name,
            reference=order.reference,
        ),
        "cancel_form": forms.get("cancel_form") or CancelForm(formdata=None),
        "refund_form": forms.get("refund_form") or RefundForm(formdata=None),
        "open_statuses": OPEN_STATUSES,
        "card_enabled": services.card_available(),
        **_labels(),
    }
    return render_template("billing/order.html", **context), status


def _get_order(order_id: int) -> Order:
    return db.session.get(Order, order_id) or abort(404)


@bp.get("/orders/<int:order_id>")
@organiser_required
def order(order_id: int):
    return _order_page(_get_order(order_id))


@bp.route("/orders/<int:order_id>/edit", methods=["GET", "POST"])
@organiser_required
def edit_order(order_id: int):
    found = _get_order(order_id)
    if found.status != OrderStatus.DRAFT:
        flash(_("Only a draft order can be changed."), "error")
        return redirect(url_for("billing.order", order_id=found.id))
    form = DraftForm()
    if request.method == "GET":
        form = DraftForm(
            formdata=None,
            data={
                "buyer_organisation": found.buyer_organisation,
                "buyer_name": found.buyer_name,
                "buyer_email": found.buyer_email,
                "buyer_address": found.buyer_address,
                "language": found.language,
                "prices_include_tax": found.prices_include_tax,
                "lines": [
                    {
                        "description_ja": line.description_ja,
                        "description_en": line.description_en,
                        "quantity": line.quantity,
                        "unit_price": line.unit_price,
                        "tax_rate": str(line.tax_rate),
                    }
                    for line in found.lines
                ],
            },
        )
        form.lines.append_entry()
        form.lines.append_entry()
    elif form.validate_on_submit():
        try:
            services.update_draft(
                found,
                services.Buyer(
                    name=form.buyer_name.data,
                    email=form.buyer_email.data,
                    organisation=form.buyer_organisation.data or "",
                    address=form.buyer_address.data or "",
                    language=form.language.data,
                ),
                [
                    services.Line(
                        row.description_ja.data or row.description_en.data,
                        row.description_en.data or row.description_ja.data,
                        unit_price=row.unit_price.data,
                        quantity=row.quantity.data or 1,
                        tax_rate=int(row.tax_rate.data),
                    )
                    for row in form.lines
                    if not row.is_blank
                ],
                prices_include_tax=form.prices_include_tax.data,
            )
        except BillingError as error:
            db.session.rollback()
            form.form_errors.append(str(error))
        else:
            flash(_("Order updated."), "success")
            return redirect(url_for("billing.order", order_id=found.id))
    status = 422 if request.method == "POST" else 200
    return render_template("billing/edit_order.html", order=found, form=form), status


@bp.post("/orders/<int:order_id>/issue")
@organiser_required
def issue(order_id: int):
    found = _get_order(order_id)
    form = _issue_form(found, request.form)
    if form.validate_on_submit():
        series = None
        if form.series.data:
            series = (
                db.session.get(InvoiceSeries, int(form.series.data or 0))
                if (form.series.data.isdigit())
                else None
            )
            if series is None or series.kind != DocumentKind.INVOICE:
                form.series.errors = [_("Choose a numbering series.")]
                return _order_page(found, 422, issue_form=form)
        try:
            invoice = services.issue_invoice(
                found, series, language=form.language.data, issued_by=current_user
            )
        except BillingError as error:
            form.form_errors.append(str(error))
        else:
            if form.email.data:
                services.send_invoice(invoice)
            flash(_("Invoice %(number)s issued.", number=invoice.display_number), "success")
            return redirect(url_for("billing.order", order_id=found.id))
    return _order_page(found, 422, issue_form=form)


@bp.post("/orders/<int:order_id>/payments")
@organiser_required
def record_payment(order_id: int):
    found = _get_order(order_id)
    form = PaymentForm()
    if form.validate_on_submit():
        try:
            services.record_payment(
                found,
                form.amount.data,
                received_on=form.received_on.data,
                payer_name=form.payer_name.data or "",
                reference=form.reference.data or "",
                method=PaymentMethod(form.method.data),
                recorded_by=current_user,
            )
        except BillingError as error:
            _attach(form, error)
        else:
            flash(_("Payment recorded."), "success")
            return redirect(url_for("billing.order", order_id=found.id))
    db.session.refresh(found)
    if is_htmx():
        return render_template(
            "billing/_payment_form.html", order=found, payment_form=form, **_labels()
        ), form_status(form)
    return _order_page(found, 422, payment_form=form)


@bp.post("/invoices/<int:invoice_id>/cancel")
@organiser_required
def cancel_invoice(invoice_id: int):
    invoice = db.session.get(Invoice, invoice_id) or abort(404)
    form = CancelForm()
    if form.validate_on_submit():
        try:
            document = services.cancel_invoice(
                invoice, form.reason.data, reopen=form.reopen.data, issued_by=current_user
            )
        except BillingError as error:
            _attach(form, error)
        else:
            flash(
                _(
                    "Invoice %(number)s cancelled by %(document)s.",
                    number=invoice.display_number,
                    document=document.display_number,
                ),
                "success",
            )
            return redirect(url_for("billing.order", order_id=invoice.order_id))
    return _order_page(_get_order(invoice.order_id), 422, cancel_form=form)


@bp.post("/orders/<int:order_id>/cancel")
@organiser_required
def cancel_order(order_id: int):
    found = _get_order(order_id)
    try:
        services.cancel_order(found, request.form.get("reason", ""), issued_by=current_user)
    except BillingError as error:
        flash(str(error), "error")
    else:
        flash(_("Order cancelled."), "success")
    return redirect(url_for("billing.order", order_id=found.id))


@bp.post("/orders/<int:order_id>/refund")
@organiser_required
def refund(order_id: int):
    found = _get_order(order_id)
    form = RefundForm()
    if form.validate_on_submit():
        try:
            services.refund_order(found, form.reason.data, issued_by=current_user)
        except BillingError as error:
            _attach(form, error)
        else:
            flash(_("Refund recorded and cancellation document issued."), "success")
            return redirect(url_for("billing.order", order_id=found.id))
    return _order_page(found, 422, refund_form=form)


@bp.get("/invoices/<int:invoice_id>.pdf")
@organiser_required
def invoice_pdf(invoice_id: int):
    invoice = db.session.get(Invoice, invoice_id) or abort(404)
    return pdf.response(documents.render(invoice), f"{invoice.display_number}.pdf")


@bp.get("/orders/<int:order_id>/receipt.pdf")
@organiser_required
def receipt_pdf(order_id: int):
    found = _get_order(order_id)
    if found.receipt is None:
        abort(404)
    return pdf.response(
        documents.render_receipt(found.receipt), f"{found.receipt.display_number}.pdf"
    )


@bp.route("/settings", methods=["GET", "POST"])
@organiser_required
def settings():
    issuer = services.get_issuer()
    form = IssuerForm(obj=issuer)
    if request.method == "GET":
        form.account_type.data = issuer.account_type.value
    if form.validate_on_submit():
        try:
            services.update_issuer(
                **{
                    name: getattr(form, name).data or ""
                    for name in services.ISSUER_FIELDS
                    if name not in ("payment_terms_days",)
                },
                payment_terms_days=form.payment_terms_days.data,
            )
        except BillingError as error:
            _attach(form, error)
        else:
            flash(_("Issuer settings saved."), "success")
            return redirect(url_for("billing.settings"))
    db.session.rollback()
    status = 422 if request.method == "POST" else 200
    return _settings_page(form, SeriesForm(formdata=None), status)


def _settings_page(form, series_form, status: int = 200):
    series = services.list_series(DocumentKind.INVOICE)
    db.session.commit()  # the default series, made on first sight
    return render_template(
        "billing/settings.html", form=form, series_form=series_form, series=series
    ), status


@bp.post("/settings/series")
@organiser_required
def add_series():
    form = SeriesForm()
    if form.validate_on_submit():
        try:
            created = services.create_series(form.code.data, form.prefix.data)
        except BillingError as error:
            _attach(form, error)
        else:
            flash(_("Series %(code)s added.", code=created.code), "success")
            return redirect(url_for("billing.settings"))
    issuer = services.get_issuer()
    issuer_form = IssuerForm(formdata=None, obj=issuer)
    issuer_form.account_type.data = issuer.account_type.value
    return _settings_page(issuer_form, form, 422)


@bp.route("/bank", methods=["GET", "POST"])
@organiser_required
def bank_import():
    form = BankImportForm()
    if form.validate_on_submit():
        upload = form.file.data
        try:
            result = services.import_bank_csv(
                upload.read(), upload.filename or "", imported_by=current_user
            )
        except BillingError as error:
            form.file.errors = [*form.file.errors, str(error)]
        else:
            return redirect(url_for("billing.bank_result", import_id=result.id))
    imports = db.session.scalars(select(BankImport).order_by(BankImport.id.desc()).limit(20)).all()
    status = 422 if request.method == "POST" else 200
    return (
        render_template(
            "billing/bank_import.html",
            form=form,
            imports=imports,
            unmatched=services.unmatched_lines(),
            assign_form=AssignLineForm(formdata=None),
            suggestions=services.suggestions_for,
        ),
        status,
    )


@bp.get("/bank/<int:import_id>")
@organiser_required
def bank_result(import_id: int):
    result = db.session.get(BankImport, import_id) or abort(404)
    return render_template(
        "billing/bank_result.html",
        result=result,
        assign_form=AssignLineForm(formdata=None),
        suggestions=services.suggestions_for,
    )


def _line_response(line: BankStatementLine, form: AssignLineForm, status: int = 200):
    if is_htmx():  # the row, with its error beside the field when refused (422)
        return render_template(
            "billing/_bank_line.html",
            line=line,
            assign_form=form,
            failed_line=line.id,
            suggestions=services.suggestions_for,
        ), status
    if status == 200:
        return redirect(url_for("billing.bank_result", import_id=line.import_id))
    return render_template(
        "billing/bank_result.html",
        result=line.bank_import,
        assign_form=form,
        failed_line=line.id,
        suggestions=services.suggestions_for,
    ), status


@bp.post("/bank/lines/<int:line_id>/assign")
@organiser_required
def assign_line(line_id: int):
    line = db.session.get(BankStatementLine, line_id) or abort(404)
    form = AssignLineForm()
    if form.validate_on_submit():
        try:
            services.resolve_bank_line(line, form.reference.data)
        except BillingError as error:
            _attach(form, error)
            return _line_response(line, form, 422)
        return _line_response(line, AssignLineForm(formdata=None))
    return _line_response(line, form, 422)


@bp.post("/bank/lines/<int:line_id>/ignore")
@organiser_required
def ignore_line(line_id: int):
    line = db.session.get(BankStatementLine, line_id) or abort(404)
    try:
        services.ignore_bank_line(line)
    except BillingError as error:
        flash(str(error), "error")
    return _line_response(line, AssignLineForm(formdata=None))


@bp.post("/reminders")
@organiser_required
def send_reminders():
    job = start_job(
        "reminders", "convention.billing.services:send_reminders_job", created_by=current_user
    )
    return redirect(url_for("jobs.job", job_id=job.id))


@bp.post("/invoices/archive")
@organiser_required
def invoice_archive():
    job = start_job("invoices", "convention.billing.documents:archive_job", created_by=current_user)
    return redirect(url_for("jobs.job", job_id=job.id))


@bp.get("/export.<fmt>")
@organiser_required
def export(fmt: str):
    stamp = date.today().isoformat()
    if fmt == "csv":
        response = make_response(exports.invoices_csv())
        response.headers["Content-Type"] = "text/csv; charset=utf-8"
        response.headers["Content-Disposition"] = f'attachment; filename="invoices-{stamp}.csv"'
        return response
    if fmt == "xlsx":
        response = make_response(exports.workbook())
        response.headers["Content-Type"] = (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        response.headers["Content-Disposition"] = f'attachment; filename="billing-{stamp}.xlsx"'
        return response
    abort(404)


# ------------------------------------------------------------------ the buyer


def _my_order(order_id: int) -> Order:
    """Only the buyer sees an order; anyone else gets 404 (not even its existence)."""
    found = db.session.get(Order, order_id)
    if found is None or found.user_id != current_user.id or found.status == OrderStatus.DRAFT:
        abort(404)
    return found


@my_bp.get("/", endpoint="orders")
@login_required
def my_orders():
    return render_template(
        "billing/my_orders.html", orders=services.orders_for(current_user), **_labels()
    )


@my_bp.get("/<int:order_id>", endpoint="order")
@login_required
def my_order(order_id: int):
    found = _my_order(order_id)
    return render_template(
        "billing/my_order.html",
        order=found,
        card_enabled=services.card_available(found),
        returned=request.args.get("card") == "returned",
        **_labels(),
    )


@my_bp.get("/<int:order_id>/status")
@login_required
def status(order_id: int):
    """Polled after returning from the card page; 286 stops the polling once settled."""
    found = _my_order(order_id)
    code = 200 if found.status in OPEN_STATUSES else 286
    return render_template("billing/_my_status.html", order=found, **_labels()), code


@my_bp.get("/<int:order_id>/invoices/<int:invoice_id>.pdf", endpoint="invoice_pdf")
@login_required
def my_invoice_pdf(order_id: int, invoice_id: int):
    found = _my_order(order_id)
    invoice = db.session.get(Invoice, invoice_id)
    if invoice is None or invoice.order_id != found.id:
        abort(404)
    return pdf.response(documents.render(invoice), f"{invoice.display_number}.pdf")


@my_bp.get("/<int:order_id>/receipt.pdf", endpoint="receipt_pdf")
@login_required
def my_receipt_pdf(order_id: int):
    found = _my_order(order_id)
    if found.receipt is None:
        abort(404)
    return pdf.response(
        documents.render_receipt(found.receipt), f"{found.receipt.display_number}.pdf"
    )


@my_bp.post("/<int:order_id>/pay")
@login_required
def pay_by_card(order_id: int):
    found = _my_order(order_id)
    back = url_for("billing_public.order", order_id=found.id, _external=True)
    try:
        url = services.start_card_checkout(found, f"{back}?card=returned", back)
    except BillingError as error:
        flash(str(error), "error")
        return redirect(url_for("billing_public.order", order_id=found.id))
    except OSError:
        current_app.logger.exception("card provider unreachable for order %s", found.id)
        flash(_("The card payment service cannot be reached. Please try again later."), "error")
        return redirect(url_for("billing_public.order", order_id=found.id))
    return redirect(url)


# ------------------------------------------------------------------ the webhook


@webhook_bp.post("/card-webhook")
@csrf.exempt
def card_webhook():
    provider = card.get_provider()
    if provider is None:
        abort(404)
    payload = request.get_data(cache=False)
    header = request.headers.get("Stripe-Signature", "")
    try:
        event = provider.parse_webhook(payload, header)
    except card.SignatureError as error:
        current_app.logger.warning("card webhook refused: %s", error)
        return jsonify(status="error", error="invalid signature"), 400
    except BillingError as error:
        return jsonify(status="error", error=str(error)), 400
    try:
        outcome = services.handle_card_event(event)
    except BillingError as error:
        db.session.rollback()
        return jsonify(status="error", error=str(error)), 400
    return jsonify(status="ok", result=outcome)
