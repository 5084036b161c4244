"""Organiser back-office for editions, rooms and sessions.

Every row edits inline: "Edit" swaps the row for a form row (GET .../edit), saving answers the
row (or the form with its errors), "Cancel" fetches the row (GET .../row). Without JavaScript
the same links open full pages and the forms post normally.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, make_response, render_template, request, url_for
from flask_babel import gettext as _

from convention.accounts.access import organiser_required
from convention.events import services
from convention.events.forms import EditionForm, RoomForm, SessionForm, focus_first
from convention.events.models import (
    Edition,
    Room,
    Session,
    SessionKind,
    SessionLanguage,
    Visibility,
)
from convention.extensions import db
from convention.forms import attach_error, distinct_ids
from convention.htmx import redirect, wants_fragment
from convention.i18n import localized
from convention.timeutil import local, parse_local
from convention.web import form_status

bp = Blueprint("events_admin", __name__, url_prefix="/admin/editions")


def _attach(form, error: services.EventError) -> None:
    for name, message in error.errors.items():
        attach_error(form, message, name)


def _edition(edition_id: int) -> Edition:
    return db.session.get(Edition, edition_id) or abort(404)


def _room(edition: Edition, room_id: int) -> Room:
    room = db.session.get(Room, room_id)
    if room is None or room.edition_id != edition.id:
        abort(404)
    return room


def _session(edition: Edition, session_id: int) -> Session:
    session = db.session.get(Session, session_id)
    if session is None or session.edition_id != edition.id:
        abort(404)
    return session


def _edit_page(kind: str, form, action: str, cancel: str, title: str, status: int = 200):
    return render_template(
        "events/admin/edit.html", kind=kind, form=form, action=action, cancel=cancel, title=title
    ), status


def _row(template: str, status: int = 200, **context):
    return render_template(template, **context), status


# --- editions --------------------------------------------------------------------------------


def _edition_page_context() -> dict:
    editions = db.session.scalars(db.select(Edition).order_by(Edition.start_date.desc())).all()
    return {
        "editions": editions,
        "counts": {edition.id: services.edition_counts(edition) for edition in editions},
    }


def _edition_data(form: EditionForm) -> services.EditionData:
    return services.EditionData(
        slug=form.slug.data,
        name_ja=form.name_ja.data,
        name_en=form.name_en.data,
        venue_ja=form.venue_ja.data or "",
        venue_en=form.venue_en.data or "",
        start_date=form.start_date.data,
        end_date=form.end_date.data,
        is_current=form.is_current.data,
    )


@bp.get("/")
@organiser_required
def editions():
    return render_template(
        "events/admin/editions.html",
        form=distinct_ids(EditionForm(), "new-edition"),
        **_edition_page_context(),
    )


@bp.post("/")
@organiser_required
def create_edition():
    form = distinct_ids(EditionForm(), "new-edition")
    if form.validate():
        try:
            edition = services.save_edition(_edition_data(form))
        except services.EventError as error:
            _attach(form, error)
        else:
            flash(_("Edition “%(name)s” created.", name=localized(edition, "name")), "success")
            return redirect(url_for(".edition", edition_id=edition.id))
    if wants_fragment("new-edition"):
        return render_template("events/admin/_edition_create.html", form=form), form_status(form)
    return render_template("events/admin/editions.html", form=form, **_edition_page_context()), 422


@bp.get("/<int:edition_id>/")
@organiser_required
def edition(edition_id: int):
    found = _edition(edition_id)
    return render_template("events/admin/edition.html", **_edition_context(found))


def _edition_context(edition: Edition, room_form=None, session_form=None) -> dict:
    return {
        "edition": edition,
        "counts": services.edition_counts(edition),
        "room_form": room_form or distinct_ids(RoomForm(formdata=None), "new-room"),
        "session_form": session_form or _new_session_form(edition, formdata=None),
    }


@bp.get("/<int:edition_id>/row")
@organiser_required
def edition_row(edition_id: int):
    found = _edition(edition_id)
    return _row(
        "events/admin/_edition_row.html",
        edition=found,
        counts={found.id: services.edition_counts(found)},
    )


@bp.route("/<int:edition_id>/edit", methods=["GET", "POST"])
@organiser_required
def edit_edition(edition_id: int):
    found = _edition(edition_id)
    target = f"edition-{found.id}"
    form = distinct_ids(EditionForm(obj=found), target)
    if request.method == "POST" and form.validate():
        was_current = found.is_current
        try:
            services.save_edition(_edition_data(form), found)
        except services.EventError as error:
            db.session.rollback()
            _attach(form, error)
        else:
            if wants_fragment(target):
                response = make_response(
                    render_template(
                        "events/admin/_edition_row.html",
                        edition=found,
                        counts={found.id: services.edition_counts(found)},
                        saved=True,
                    )
                )
                if found.is_current and not was_current:
                    # Another row lost its "current" mark: reload the list.
                    response.headers["HX-Refresh"] = "true"
                return response
            flash(_("Edition saved."), "success")
            return redirect(url_for(".editions"))
    if wants_fragment(target):  # the form row: asked for (200) or refused (422)
        return _row(
            "events/admin/_edition_edit_row.html",
            form_status(form),
            edition=found,
            form=focus_first(form),
        )
    return _edit_page(
        "edition",
        form,
        url_for(".edit_edition", edition_id=found.id),
        url_for(".editions"),
        localized(found, "name"),
        422 if request.method == "POST" else 200,
    )


@bp.route("/<int:edition_id>/delete", methods=["GET", "POST"])
@organiser_required
def delete_edition(edition_id: int):
    found = _edition(edition_id)
    name = localized(found, "name")
    if request.method == "GET":
        return render_template(
            "events/admin/confirm_delete.html",
            what=name,
            action=url_for(".delete_edition", edition_id=found.id),
            cancel=url_for(".editions"),
        )
    try:
        services.delete_edition(found)
    except services.EventError as error:
        db.session.rollback()
        if wants_fragment(f"edition-{edition_id}"):
            return _row(
                "events/admin/_edition_row.html",
                422,
                edition=found,
                counts={found.id: services.edition_counts(found)},
                row_error=str(error),
            )
        flash(str(error), "error")
        return redirect(url_for(".editions"))
    if wants_fragment(f"edition-{edition_id}"):
        return ""
    flash(_("“%(name)s” deleted.", name=name), "success")
    return redirect(url_for(".editions"))


# --- rooms -----------------------------------------------------------------------------------


def _room_data(form: RoomForm) -> services.RoomData:
    return services.RoomData(
        name_ja=form.name_ja.data,
        name_en=form.name_en.data,
        capacity=form.capacity.data,
        position=form.position.data or 0,
    )


@bp.post("/<int:edition_id>/rooms")
@organiser_required
def create_room(edition_id: int):
    found = _edition(edition_id)
    form = distinct_ids(RoomForm(), "new-room")
    if form.validate():
        try:
            room = services.save_room(found, _room_data(form))
        except services.EventError as error:
            db.session.rollback()
            _attach(form, error)
        else:
            if wants_fragment("new-room"):
                # A fresh form, and the new row appended to the table out of band.
                return render_template(
                    "events/admin/_room_create.html",
                    edition=found,
                    form=distinct_ids(RoomForm(formdata=None), "new-room"),
                    added=room,
                )
            flash(_("Room “%(name)s” added.", name=localized(room, "name")), "success")
            return redirect(url_for(".edition", edition_id=found.id) + "#rooms")
    if wants_fragment("new-room"):
        return render_template(
            "events/admin/_room_create.html", edition=found, form=form
        ), form_status(form)
    return render_template(
        "events/admin/edition.html", **_edition_context(found, room_form=form)
    ), 422


@bp.get("/<int:edition_id>/rooms/<int:room_id>/row")
@organiser_required
def room_row(edition_id: int, room_id: int):
    found = _edition(edition_id)
    return _row("events/admin/_room_row.html", edition=found, room=_room(found, room_id))


@bp.route("/<int:edition_id>/rooms/<int:room_id>/edit", methods=["GET", "POST"])
@organiser_required
def edit_room(edition_id: int, room_id: int):
    found = _edition(edition_id)
    room = _room(found, room_id)
    target = f"room-{room.id}"
    form = distinct_ids(RoomForm(obj=room), target)
    if request.method == "POST" and form.validate():
        try:
            services.save_room(found, _room_data(form), room)
        except services.EventError as error:
            db.session.rollback()
            _attach(form, error)
        else:
            if wants_fragment(target):
                return _row("events/admin/_room_row.html", edition=found, room=room, saved=True)
            flash(_("Room saved."), "success")
            return redirect(url_for(".edition", edition_id=found.id) + "#rooms")
    if wants_fragment(target):  # the form row: asked for (200) or refused (422)
        return _row(
            "events/admin/_room_edit_row.html",
            form_status(form),
            edition=found,
            room=room,
            form=focus_first(form),
        )
    return _edit_page(
        "room",
        form,
        url_for(".edit_room", edition_id=found.id, room_id=room.id),
        url_for(".edition", edition_id=found.id) + "#rooms",
        localized(room, "name"),
        422 if request.method == "POST" else 200,
    )


@bp.route("/<int:edition_id>/rooms/<int:room_id>/delete", methods=["GET", "POST"])
@organiser_required
def delete_room(edition_id: int, room_id: int):
    found = _edition(edition_id)
    room = _room(found, room_id)
    name = localized(room, "name")
    back = url_for(".edition", edition_id=found.id) + "#rooms"
    if request.method == "GET":
        return render_template(
            "events/admin/confirm_delete.html",
            what=name,
            action=url_for(".delete_room", edition_id=found.id, room_id=room.id),
            cancel=back,
        )
    try:
        services.delete_room(room)
    except services.EventError as error:
        db.session.rollback()
        if wants_fragment(f"room-{room_id}"):
            return _row(
                "events/admin/_room_row.html", 422, edition=found, room=room, row_error=str(error)
            )
        flash(str(error), "error")
        return redirect(back)
    if wants_fragment(f"room-{room_id}"):
        return ""
    flash(_("“%(name)s” deleted.", name=name), "success")
    return redirect(back)


# --- sessions --------------------------------------------------------------------------------


def _new_session_form(edition: Edition, **kwargs) -> SessionForm:
    form = SessionForm(**kwargs)
    form.set_rooms(edition.rooms, lambda room: localized(room, "name"))
    return distinct_ids(form, "new-session")


def _session_form(edition: Edition, session: Session) -> SessionForm:
    form = SessionForm(obj=session, room_id=session.room_id or "")
    form.set_rooms(edition.rooms, lambda room: localized(room, "name"))
    if request.method == "GET":
        # The form shows and takes wall-clock times in Japan.
        form.starts_at.data = local(session.starts_at).replace(tzinfo=None)
        form.ends_at.data = local(session.ends_at).replace(tzinfo=None)
        form.kind.data = session.kind.value
        form.language.data = session.language.value
        form.visibility.data = session.visibility.value
    return distinct_ids(form, f"session-{session.id}")


def _session_data(edition: Edition, form: SessionForm) -> services.SessionData:
    room = None
    if form.room_id.data is not None:
        room = _room(edition, form.room_id.data)
    return services.SessionData(
        slug=form.slug.data,
        kind=SessionKind(form.kind.data),
        title_ja=form.title_ja.data,
        title_en=form.title_en.data,
        starts_at=parse_local(form.starts_at.data.isoformat()),
        ends_at=parse_local(form.ends_at.data.isoformat()),
        room=room,
        capacity=form.capacity.data,
        language=SessionLanguage(form.language.data),
        visibility=Visibility(form.visibility.data),
        description_ja=form.description_ja.data or "",
        description_en=form.description_en.data or "",
        speakers=form.speakers.data or "",
        stream_url=form.stream_url.data or None,
        invitation_code=form.invitation_code.data or None,
    )


@bp.post("/<int:edition_id>/sessions")
@organiser_required
def create_session(edition_id: int):
    found = _edition(edition_id)
    form = _new_session_form(found)
    if form.validate():
        try:
            session = services.save_session(found, _session_data(found, form))
        except services.EventError as error:
            _attach(form, error)
        else:
            if wants_fragment("new-session"):
                return render_template(
                    "events/admin/_session_create.html",
                    edition=found,
                    form=_new_session_form(found, formdata=None),
                    added=session,
                )
            flash(_("Session “%(title)s” added.", title=localized(session, "title")), "success")
            return redirect(url_for(".edition", edition_id=found.id) + f"#session-{session.id}")
    if wants_fragment("new-session"):
        return render_template(
            "events/admin/_session_create.html", edition=found, form=form
        ), form_status(form)
    return render_template(
        "events/admin/edition.html", **_edition_context(found, session_form=form)
    ), 422


@bp.post("/<int:edition_id>/sessions/check")
@organiser_required
def check_session(edition_id: int):
    """Inline validation while the form is filled in: answers the form fragment with the
    errors found so far; the field that asked picks its own part (hx-select)."""
    found = _edition(edition_id)
    session_id = request.args.get("session", type=int)
    session = _session(found, session_id) if session_id else None
    form = _session_form(found, session) if session else _new_session_form(found)
    form.validate()
    if form.starts_at.data and form.ends_at.data and not form.room_id.errors:
        try:
            data = _session_data(found, form)
        except ValueError:  # kind, language or visibility not valid yet
            data = None
        if data is not None:
            problems = services.session_problems(found, data, session)
            db.session.rollback()  # release the room lock: nothing is saved here
            for name, message in problems.items():
                target = getattr(form, name, None)
                if target is not None and not target.errors:
                    target.errors = [str(message)]
    if session is not None:
        return _row(
            "events/admin/_session_edit_row.html", edition=found, session=session, form=form
        )
    return render_template("events/admin/_session_create.html", edition=found, form=form)


@bp.get("/<int:edition_id>/sessions/<int:session_id>/row")
@organiser_required
def session_row(edition_id: int, session_id: int):
    found = _edition(edition_id)
    return _row(
        "events/admin/_session_row.html", edition=found, session=_session(found, session_id)
    )


@bp.route("/<int:edition_id>/sessions/<int:session_id>/edit", methods=["GET", "POST"])
@organiser_required
def edit_session(edition_id: int, session_id: int):
    found = _edition(edition_id)
    session = _session(found, session_id)
    target = f"session-{session.id}"
    form = _session_form(found, session)
    if request.method == "POST" and form.validate():
        try:
            services.save_session(found, _session_data(found, form), session)
        except services.EventError as error:
            _attach(form, error)
        else:
            if wants_fragment(target):
                return _row(
                    "events/admin/_session_row.html", edition=found, session=session, saved=True
                )
            flash(_("Session saved."), "success")
            return redirect(url_for(".edition", edition_id=found.id) + f"#{target}")
    if wants_fragment(target):  # the form row: asked for (200) or refused (422)
        return _row(
            "events/admin/_session_edit_row.html",
            form_status(form),
            edition=found,
            session=session,
            form=focus_first(form),
        )
    return _edit_page(
        "session",
        form,
        url_for(".edit_session", edition_id=found.id, session_id=session.id),
        url_for(".edition", edition_id=found.id) + f"#{target}",
        localized(session, "title"),
        422 if request.method == "POST" else 200,
    )


@bp.route("/<int:edition_id>/sessions/<int:session_id>/delete", methods=["GET", "POST"])
@organiser_required
def delete_session(edition_id: int, session_id: int):
    found = _edition(edition_id)
    session = _session(found, session_id)
    title = localized(session, "title")
    back = url_for(".edition", edition_id=found.id) + "#sessions"
    if request.method == "GET":
        return render_template(
            "events/admin/confirm_delete.html",
            what=title,
            action=url_for(".delete_session", edition_id=found.id, session_id=session.id),
            cancel=back,
        )
    try:
        services.delete_session(session)
    except services.EventError as error:
        db.session.rollback()
        if wants_fragment(f"session-{session_id}"):
            return _row(
                "events/admin/_session_row.html",
                422,
                edition=found,
                session=session,
                row_error=str(error),
            )
        flash(str(error), "error")
        return redirect(back)
    if wants_fragment(f"session-{session_id}"):
        return ""
    flash(_("“%(name)s” deleted.", name=title), "success")
    return redirect(back)
