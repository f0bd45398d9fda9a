"""employer api keys

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-12 09:00:00.000000

Per-employer API keys for HR systems calling the contracts API: the public key id, an HMAC of
the key (never the key), scopes, expiry, revocation and last use.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        'employer_api_key',
        sa.Column('id', BigId, nullable=False),
        sa.Column('key_id', sa.String(length=16), nullable=False),
        sa.Column('employer_id', BigId, nullable=False),
        sa.Column('user_id', BigId, nullable=False),
        sa.Column('label', sa.String(length=120), nullable=False),
        sa.Column('scopes', sa.JSON(), nullable=False),
        sa.Column('secret_hash', sa.String(length=64), nullable=False),
        sa.Column('created_by', BigId, nullable=True),
        sa.Column('created_at', TS, nullable=False),
        sa.Column('expires_at', TS, nullable=False),
        sa.Column('revoked_at', TS, nullable=True),
        sa.Column('revoked_by', BigId, nullable=True),
        sa.Column('last_used_at', TS, nullable=True),
        sa.Column('last_used_ip', sa.String(length=45), nullable=True),
        sa.ForeignKeyConstraint(['employer_id'], ['organisation.id'], name=op.f('fk_employer_api_key_employer_id_organisation')),
        sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_employer_api_key_user_id_user_account')),
        sa.ForeignKeyConstraint(['created_by'], ['user_account.id'], name=op.f('fk_employer_api_key_created_by_user_account')),
        sa.ForeignKeyConstraint(['revoked_by'], ['user_account.id'], name=op.f('fk_employer_api_key_revoked_by_user_account')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_employer_api_key')),
        sa.UniqueConstraint('key_id', name=op.f('uq_employer_api_key_key_id')),
    )  # fmt: skip
    op.create_index(op.f('ix_employer_api_key_employer_id'), 'employer_api_key', ['employer_id'])


def downgrade() -> None:
    op.drop_table('employer_api_key')
