import pytest


@pytest.fixture
def request_context(app):
    """Service calls that translate labels need a request (the language comes from it)."""
    with app.test_request_context(headers={"Accept-Language": "en"}):
        yield
