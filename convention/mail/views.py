from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from sqlalchemy import func, select

from convention.accounts.access import organiser_required
from convention.extensions import db
from convention.htmx import render
from convention.mail import services
from convention.mail.models import OutboxMessage, OutboxStatus

bp = Blueprint("mail", __name__, url_prefix="/admin/outbox")

PAGE_SIZE = 50


@bp.get("/")
@organiser_required
def outbox():
    status = request.args.get("status") or None
    query = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(PAGE_SIZE)
    if status in {s.value for s in OutboxStatus}:
        query = query.where(OutboxMessage.status == status)
    counts = dict(
        db.session.execute(
            select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
        ).all()
    )
    return render(
        "mail/outbox.html",
        "mail/_messages.html",
        targets=("messages",),
        messages=db.session.scalars(query).all(),
        counts=counts,
        statuses=list(OutboxStatus),
        status=status,
    )


@bp.get("/<int:message_id>")
@organiser_required
def message(message_id: int):
    found = db.session.get(OutboxMessage, message_id) or abort(404)
    return render_template("mail/message.html", message=found)


@bp.post("/<int:message_id>/retry")
@organiser_required
def retry(message_id: int):
    found = db.session.get(OutboxMessage, message_id) or abort(404)
    services.retry(found)
    services.deliver_due()
    return render_template("mail/_message_row.html", message=found)
