"""background job result files

Revision ID: 1cfb71e1e655
Revises: 884efcd631d4
Create Date: 2026-11-22 22:55:49.294350

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '1cfb71e1e655'
down_revision = '884efcd631d4'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("background_job", schema=None) as batch_op:
        batch_op.add_column(sa.Column("result_file", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("result_name", sa.String(length=200), nullable=True))


def downgrade():
    with op.batch_alter_table("background_job", schema=None) as batch_op:
        batch_op.drop_column("result_name")
        batch_op.drop_column("result_file")
