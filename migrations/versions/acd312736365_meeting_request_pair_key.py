"""meeting request pair key: one open request per pair of profiles

Revision ID: acd312736365
Revises: 050f294f0921
Create Date: 2026-12-03 08:30:18.573605

Existing requests get their key (lower profile id first). Where a pair already has several open
requests (requested or accepted), the first accepted one, else the oldest, keeps the key and the
others keep NULL, so the unique index can be built without closing anyone's request or meeting;
organisers see those duplicates in the back-office as before.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'acd312736365'
down_revision = '050f294f0921'
branch_labels = None
depends_on = None

OPEN = sa.text("state IN ('requested', 'accepted')")


def upgrade():
    with op.batch_alter_table("meeting_request", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pair_key", sa.String(length=40), nullable=True))

    op.execute(
        "UPDATE meeting_request SET pair_key = CASE WHEN requester_id < recipient_id"
        " THEN CAST(requester_id AS VARCHAR(20)) || '-' || CAST(recipient_id AS VARCHAR(20))"
        " ELSE CAST(recipient_id AS VARCHAR(20)) || '-' || CAST(requester_id AS VARCHAR(20)) END"
    )
    # The pair is compared by ids, not by the key being cleared, so the order rows are
    # updated in does not matter.
    op.execute(
        "UPDATE meeting_request SET pair_key = NULL"
        " WHERE state IN ('requested', 'accepted') AND EXISTS ("
        "  SELECT 1 FROM meeting_request AS kept"
        "  WHERE kept.id <> meeting_request.id AND kept.state IN ('requested', 'accepted')"
        "  AND ((kept.requester_id = meeting_request.requester_id"
        "        AND kept.recipient_id = meeting_request.recipient_id)"
        "    OR (kept.requester_id = meeting_request.recipient_id"
        "        AND kept.recipient_id = meeting_request.requester_id))"
        "  AND ((kept.state = 'accepted' AND meeting_request.state = 'requested')"
        "    OR (kept.state = meeting_request.state AND kept.id < meeting_request.id)))"
    )

    with op.batch_alter_table("meeting_request", schema=None) as batch_op:
        batch_op.create_index(
            "uq_meeting_request_one_open_per_pair",
            ["pair_key"],
            unique=True,
            sqlite_where=OPEN,
            postgresql_where=OPEN,
        )


def downgrade():
    with op.batch_alter_table("meeting_request", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_meeting_request_one_open_per_pair", sqlite_where=OPEN, postgresql_where=OPEN
        )
        batch_op.drop_column("pair_key")
