"""The ja and en catalogs are complete: every user-facing string in the code has a translation."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
CATALOGS = ROOT / "convention" / "translations"
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdf]")


@pytest.fixture(scope="module")
def source_messages(tmp_path_factory) -> set[str]:
    pot = tmp_path_factory.mktemp("i18n") / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-k",
            "lazy_pgettext:1c,2",
            "-o",
            str(pot),
            "--omit-header",
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with pot.open("rb") as handle:
        return {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(handle) if m.id}


def _catalog(language: str):
    with (CATALOGS / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle)


@pytest.mark.parametrize("language", ["ja", "en"])
def test_every_string_in_the_code_is_translated(source_messages, language):
    catalog = _catalog(language)
    translated = {
        (m.id if isinstance(m.id, str) else m.id[0])
        for m in catalog
        if m.id and not m.fuzzy and (m.string if isinstance(m.string, str) else m.string[0])
    }
    missing = sorted(source_messages - translated)
    assert not missing, f"{len(missing)} untranslated in {language}, e.g. {missing[:10]}"


def test_japanese_translations_keep_their_placeholders():
    broken = []
    for message in _catalog("ja"):
        if not message.id or not message.string:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = set(PLACEHOLDER.findall(ids[0]))
        for string in strings:
            if string and set(PLACEHOLDER.findall(string)) != wanted:
                broken.append(ids[0])
    assert not broken, f"placeholders differ: {broken[:10]}"


def test_pages_come_out_in_japanese(client):
    response = client.get("/account/login", headers={"Accept-Language": "ja"})
    assert "ログイン" in response.text
    assert '<html lang="ja"' in response.text


def test_a_things_name_and_a_persons_name_differ_in_japanese(app, organiser_client, organiser):
    """名称 heads a column of editions or tickets; 氏名 is only a person's name."""
    from convention.extensions import db
    from tests.factories import make_edition

    make_edition(is_current=True)
    organiser.language = "ja"
    db.session.commit()
    for path in ("/admin/editions/", "/admin/ticket-types"):
        head = organiser_client.get(path).text.split("</thead>")[0]
        assert "<th>名称</th>" in head and "氏名" not in head, path
    head = organiser_client.get("/admin/registrations").text.split("</thead>")[0]
    assert "<th>氏名</th>" in head
