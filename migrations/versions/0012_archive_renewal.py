"""renewal of archival copies

Revision ID: 0012
Revises: 0011

An archival copy (B-LTA) proves its content only while its newest archive timestamp can be
verified, i.e. until that timestamp's TSA certificate ends.  `archive_renew_by` is when the
worker's sweep adds a further archive timestamp (null: not yet read from the copy);
`archive_renewals` counts them.  A partial index serves the sweep.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("issued_document", schema=None) as batch_op:
        batch_op.add_column(sa.Column("archive_renew_by", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("archive_renewals", sa.Integer(), server_default="0", nullable=False))
    op.create_index(
        "ix_issued_document_archive_renewal",
        "issued_document",
        ["archive_renew_by"],
        postgresql_where=sa.text("archival_file_id IS NOT NULL"),
        sqlite_where=sa.text("archival_file_id IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_issued_document_archive_renewal", table_name="issued_document")
    with op.batch_alter_table("issued_document", schema=None) as batch_op:
        batch_op.drop_column("archive_renewals")
        batch_op.drop_column("archive_renew_by")
