"""Business matching: profiles, directory, meeting requests, the scheduler and agendas."""

from flask import Flask
from flask_babel import lazy_gettext as _l


def init_app(app: Flask) -> None:
    from convention.accounts.models import Role
    from convention.jobs import describe
    from convention.matching import models  # noqa: F401
    from convention.matching.cli import cli
    from convention.matching.views import bp
    from convention.matching.vocabulary import (
        LANGUAGES,
        MEETING_STATUSES,
        ORGANISATION_TYPES,
        OUTCOMES,
        PRIORITIES,
        TOPICS,
    )
    from convention.web import add_nav

    app.config.setdefault("MATCHING_REQUEST_CAP", 10)
    app.config.setdefault("MATCHING_MAX_BREAKS", 2)
    app.register_blueprint(bp)
    app.register_blueprint(cli)
    describe("matching-scheduler", _l("Meeting scheduler"))
    add_nav(app, "main", "matching.directory", _l("Business matching"))
    add_nav(app, "staff", "matching.admin", _l("Matching"), Role.ORGANISER)
    add_nav(app, "staff", "matching.door", _l("Meeting tables"), Role.DOOR_STAFF)

    @app.context_processor
    def matching_labels():
        from convention.countries import country_name

        return {
            "country_name": country_name,
            "matching_labels": {
                "types": ORGANISATION_TYPES,
                "topics": TOPICS,
                "languages": LANGUAGES,
                "priorities": PRIORITIES,
                "statuses": MEETING_STATUSES,
                "outcomes": OUTCOMES,
            },
        }
