"""The closed lists of business matching: organisation types, topics and meeting languages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from convention.matching.models import FollowUpOutcome, MeetingStatus, OrganisationType

ORGANISATION_TYPES = {
    OrganisationType.LOCAL_COMPANY: _l("Local company"),
    OrganisationType.OVERSEAS_CITY: _l("Overseas city or government"),
    OrganisationType.OVERSEAS_COMPANY: _l("Overseas company"),
    OrganisationType.INTERNATIONAL_ORGANISATION: _l("International organisation"),
    OrganisationType.UNIVERSITY: _l("University"),
    OrganisationType.FINANCIAL_INSTITUTION: _l("Financial institution"),
}

# Sectors and technologies: what organisations work in, need and offer.
TOPICS = {
    "energy_management": _l("Energy management"),
    "solar": _l("Solar power"),
    "wind": _l("Wind power"),
    "storage": _l("Energy storage"),
    "hydrogen": _l("Hydrogen"),
    "waste_to_energy": _l("Waste-to-energy"),
    "recycling": _l("Recycling and circular economy"),
    "water": _l("Water and wastewater"),
    "mobility": _l("Mobility and EVs"),
    "buildings": _l("Buildings and ZEB"),
    "smart_city": _l("Smart city and data"),
    "agriculture": _l("Agriculture and food"),
    "finance": _l("Green finance"),
    "capacity_building": _l("Capacity building"),
}

LANGUAGES = {
    "ja": _l("Japanese"),
    "en": _l("English"),
    "th": _l("Thai"),
    "vi": _l("Vietnamese"),
    "id": _l("Indonesian"),
    "ms": _l("Malay"),
    "tl": _l("Filipino"),
    "zh": _l("Chinese"),
}

PRIORITIES = {1: _l("Low"), 2: _l("Normal"), 3: _l("High")}

MEETING_STATUSES = {
    MeetingStatus.DRAFT: _l("Draft"),
    MeetingStatus.SCHEDULED: _l("Scheduled"),
    MeetingStatus.HELD: _l("Held"),
    MeetingStatus.NO_SHOW: _l("No-show"),
    MeetingStatus.CANCELLED: _l("Cancelled"),
}

OUTCOMES = {
    FollowUpOutcome.NOTHING_YET: _l("Nothing yet"),
    FollowUpOutcome.FURTHER_MEETING: _l("Further meeting planned"),
    FollowUpOutcome.PROPOSAL: _l("Proposal under way"),
    FollowUpOutcome.DEAL: _l("Deal (business agreed)"),
}


def topic_label(code: str) -> str:
    return str(TOPICS.get(code, code))


def language_label(code: str) -> str:
    return str(LANGUAGES.get(code, code))
