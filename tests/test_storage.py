"""Uploaded files: stored under random keys, read back, size-limited, never outside UPLOAD_DIR."""

import io
from pathlib import Path

import pytest
from werkzeug.exceptions import NotFound

from convention import storage


def test_a_saved_file_reads_back_and_lives_under_the_upload_dir(app):
    key = storage.save("sponsors/logos", b"\x89PNG fake", "png")

    assert key.startswith("sponsors/logos/") and key.endswith(".png")
    assert storage.read(key) == b"\x89PNG fake"
    assert (Path(app.config["UPLOAD_DIR"]) / key).is_file()


def test_two_saves_of_the_same_bytes_get_different_keys(app):
    assert storage.save("posters", b"x", "pdf") != storage.save("posters", b"x", "pdf")


def test_deleted_files_are_gone(app):
    key = storage.save("posters", b"%PDF-1.4", "pdf")
    storage.delete(key)
    with pytest.raises(NotFound):
        storage.read(key)


@pytest.mark.parametrize(
    "key",
    ["../../etc/passwd", "posters/../../secret.pdf", "/etc/passwd", "posters/short.pdf", ""],
)
def test_a_key_that_is_not_one_of_ours_is_not_found(app, key):
    with pytest.raises(NotFound):
        storage.read(key)


def test_an_oversized_upload_is_refused_without_reading_it_all():
    stream = io.BytesIO(b"a" * 1000)
    with pytest.raises(storage.UploadTooLarge):
        storage.read_limited(stream, 100)
    assert stream.tell() == 101


def test_a_file_at_the_limit_is_accepted():
    assert storage.read_limited(io.BytesIO(b"a" * 100), 100) == b"a" * 100


def test_the_served_file_has_its_type_and_no_sniffing(app):
    key = storage.save("sponsors/logos", b"\x89PNG fake", "png")
    with app.test_request_context():
        response = storage.send(key, mimetype="image/png", download_name="logo.png")
        response.direct_passthrough = False
        assert response.mimetype == "image/png"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.get_data() == b"\x89PNG fake"
