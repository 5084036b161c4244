from datetime import timedelta

import pytest

from tests.posters.helpers import DURING_CALL


@pytest.fixture
def app_config():
    # The tests walk the clock through two months (call → review → convention): signed-in
    # clients must stay signed in across it.
    return {"PERMANENT_SESSION_LIFETIME": timedelta(days=400)}


@pytest.fixture
def clock(frozen_time):
    """The frozen clock, inside the call. Ask for it before any logged-in client, so their
    sessions are signed at this time and stay valid when the clock moves on."""
    frozen_time.move_to(DURING_CALL)
    return frozen_time
