"""Student research posters: the call, submissions, blind review, decisions, the poster session
and the audience award."""

from flask import Flask
from flask_babel import lazy_gettext as _l


def init_app(app: Flask) -> None:
    from convention.accounts.models import Role
    from convention.checkin.services import admit_without_signup
    from convention.posters import models  # noqa: F401
    from convention.posters.views import admin, bp
    from convention.web import add_nav

    app.register_blueprint(bp)
    # Accepted presenters are on the poster session's check-in list, sign-up or not.
    admit_without_signup("convention.posters.services:presenter_registration_ids")
    app.register_blueprint(admin)
    app.jinja_env.globals.update(
        poster_state_labels=models.STATE_LABELS, poster_decision_labels=models.DECISION_LABELS
    )
    add_nav(app, "main", "posters.programme", _l("Posters"))
    add_nav(app, "main", "posters.my_posters", _l("My posters"), _is_student)
    add_nav(app, "home", "posters.call_page", _l("Call for posters"))
    add_nav(app, "staff", "posters.review_list", _l("Poster reviews"), Role.REVIEWER)
    add_nav(app, "staff", "posters_admin.submissions", _l("Posters"), Role.ORGANISER)


def _is_student(user) -> bool:
    from convention.accounts.models import ParticipantCategory

    return user.category == ParticipantCategory.STUDENT
