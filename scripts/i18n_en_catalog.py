"""The source strings are English: fill every empty en entry with its own text, so the en
catalog is complete and an English page never depends on a fallback."""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

path = Path(
    sys.argv[1] if len(sys.argv) > 1 else "convention/translations/en/LC_MESSAGES/messages.po"
)
with path.open("rb") as handle:
    catalog = read_po(handle, locale="en")
for message in catalog:
    if not message.id:
        continue
    if isinstance(message.id, tuple):
        if not any(message.string):
            message.string = (message.id[0], message.id[1])
    elif not message.string:
        message.string = message.id
    message.flags.discard("fuzzy")
with path.open("wb") as handle:
    write_po(handle, catalog, width=100)
