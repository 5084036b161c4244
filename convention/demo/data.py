"""The demo convention. Each feature adds its part in `convention/<feature>/demo.py`,
a `load(edition)` function; they run in dependency order."""

from __future__ import annotations

import importlib
import importlib.util

from convention.accounts.models import Role
from convention.accounts.services import create_staff_user
from convention.events import demo as events_demo

DEMO_ACCOUNTS = {
    "organiser": ("organiser@convention.example", "organiser-demo-pass", Role.ORGANISER),
    "door staff": ("door@convention.example", "door-demo-pass", Role.DOOR_STAFF),
    "reviewer": ("reviewer@convention.example", "reviewer-demo-pass", Role.REVIEWER),
}
# Names as the city's staff and volunteers would have them.
DEMO_NAMES = {"organiser": "山田 花子", "door staff": "鈴木 一郎", "reviewer": "田中 誠"}

# Dependency order: people register, pay, get scanned; sponsors scan leads among those who
# came in; KPIs read all of that.
FEATURES = ("registration", "billing", "posters", "matching", "checkin", "sponsors", "kpi")


def load() -> dict[str, tuple[str, str]]:
    for role_name, (email, password, role) in DEMO_ACCOUNTS.items():
        create_staff_user(email, password, DEMO_NAMES[role_name], role)
    edition = events_demo.load()
    accounts = {name: (email, password) for name, (email, password, _) in DEMO_ACCOUNTS.items()}
    for feature in FEATURES:
        name = f"convention.{feature}.demo"
        if importlib.util.find_spec(name) is not None:
            module = importlib.import_module(name)
            module.load(edition)
            # A feature's demo may add people who can log in (registration's demo attendee).
            accounts.update(getattr(module, "DEMO_LOGINS", {}))
    return accounts
