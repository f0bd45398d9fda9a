"""archival copies of concluded labour contracts

Revision ID: 0013
Revises: 0012

A concluded contract gets an archival copy (PAdES B-LTA) like an issued document, renewed
before its archive timestamp's TSA certificate ends: the workers' personal signing certificates
end after two years, long before the contract's retention (two years after it ends).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("labour_contract", schema=None) as batch_op:
        batch_op.add_column(sa.Column("archival_file_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True))
        batch_op.add_column(sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("archive_renew_by", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("archive_renewals", sa.Integer(), server_default="0", nullable=False))
        batch_op.create_foreign_key(
            batch_op.f("fk_labour_contract_archival_file_id_stored_file"), "stored_file", ["archival_file_id"], ["id"]
        )
    op.create_index(
        "ix_labour_contract_to_archive",
        "labour_contract",
        ["id"],
        postgresql_where=sa.text("archival_file_id IS NULL AND final_file_id IS NOT NULL"),
        sqlite_where=sa.text("archival_file_id IS NULL AND final_file_id IS NOT NULL"),
    )
    op.create_index(
        "ix_labour_contract_archive_renewal",
        "labour_contract",
        ["archive_renew_by"],
        postgresql_where=sa.text("archival_file_id IS NOT NULL"),
        sqlite_where=sa.text("archival_file_id IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_labour_contract_archive_renewal", table_name="labour_contract")
    op.drop_index("ix_labour_contract_to_archive", table_name="labour_contract")
    with op.batch_alter_table("labour_contract", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_labour_contract_archival_file_id_stored_file"), type_="foreignkey")
        batch_op.drop_column("archive_renewals")
        batch_op.drop_column("archive_renew_by")
        batch_op.drop_column("archived_at")
        batch_op.drop_column("archival_file_id")
