"""archival copies of issued documents

Revision ID: 0011
Revises: 0010

When a case closes, each document issued for it gets an archival copy raised to PAdES B-LTA
(validation data and an archive timestamp): `archival_file_id` points at its stored file;
a partial index holds the documents still waiting for one.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("issued_document", schema=None) as batch_op:
        batch_op.add_column(sa.Column("archival_file_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True))
        batch_op.add_column(sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_issued_document_archival_file_id_stored_file"), "stored_file", ["archival_file_id"], ["id"]
        )
    # the worker's sweep looks for documents without an archival copy: a partial index of just those
    op.create_index(
        "ix_issued_document_to_archive",
        "issued_document",
        ["id"],
        postgresql_where=sa.text("archival_file_id IS NULL AND stored_file_id IS NOT NULL"),
        sqlite_where=sa.text("archival_file_id IS NULL AND stored_file_id IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_issued_document_to_archive", table_name="issued_document")
    with op.batch_alter_table("issued_document", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_issued_document_archival_file_id_stored_file"), type_="foreignkey")
        batch_op.drop_column("archived_at")
        batch_op.drop_column("archival_file_id")
