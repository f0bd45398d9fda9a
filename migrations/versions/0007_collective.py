"""collective

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 10:12:00.000000

Collective disputes (调解仲裁法 art.7): an applicant elected representative of the workers is
flagged on its case_party row with when the election was recorded and by whom.

On SQLite the columns are added in place (ALTER TABLE ... ADD COLUMN with a REFERENCES
clause, allowed for a column defaulting to NULL): a batch copy of case_party would have to
drop the table, which foreign keys from evidence, claims and messages forbid once there is data.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

FK = 'fk_case_party_representative_recorded_by_user_account'


def upgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        op.execute('ALTER TABLE case_party ADD COLUMN representative_recorded_at DATETIME')
        op.execute(
            f'ALTER TABLE case_party ADD COLUMN representative_recorded_by INTEGER '
            f'CONSTRAINT {FK} REFERENCES user_account (id)'
        )
        return
    op.add_column(
        'case_party', sa.Column('representative_recorded_at', sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column('case_party', sa.Column('representative_recorded_by', sa.BigInteger(), nullable=True))
    op.create_foreign_key(FK, 'case_party', 'user_account', ['representative_recorded_by'], ['id'])


def downgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        # SQLite cannot drop a column a foreign key uses: copy the table (batch)
        with op.batch_alter_table('case_party', schema=None) as batch_op:
            batch_op.drop_constraint(FK, type_='foreignkey')
            batch_op.drop_column('representative_recorded_by')
            batch_op.drop_column('representative_recorded_at')
        return
    op.drop_constraint(FK, 'case_party', type_='foreignkey')
    op.drop_column('case_party', 'representative_recorded_by')
    op.drop_column('case_party', 'representative_recorded_at')
