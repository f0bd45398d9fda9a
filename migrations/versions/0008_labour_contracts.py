"""labour contracts

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-10 09:00:00.000000

Electronic labour contracts (电子劳动合同订立指引, 2021): employers' contract templates, the
contracts with their signing state and document hashes, and the labour-use filing (用工备案)
made when a contract is concluded.  The evidence of each contract is its audit chain.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        'labour_contract_template',
        sa.Column('id', BigId, nullable=False),
        sa.Column('employer_id', BigId, nullable=False),
        sa.Column('template_key', sa.String(length=64), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('content', sa.JSON(), nullable=False),
        sa.Column('created_by', BigId, nullable=True),
        sa.Column('created_at', TS, nullable=False),
        sa.ForeignKeyConstraint(
            ['employer_id'], ['organisation.id'], name=op.f('fk_labour_contract_template_employer_id_organisation')
        ),
        sa.ForeignKeyConstraint(
            ['created_by'], ['user_account.id'], name=op.f('fk_labour_contract_template_created_by_user_account')
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_labour_contract_template')),
        sa.UniqueConstraint(
            'employer_id', 'template_key', 'version',
            name=op.f('uq_labour_contract_template_employer_id_template_key_version'),
        ),
    )  # fmt: skip
    op.create_index(
        op.f('ix_labour_contract_template_employer_id'), 'labour_contract_template', ['employer_id']
    )
    op.create_table(
        'labour_contract',
        sa.Column('id', BigId, nullable=False),
        sa.Column('contract_number', sa.String(length=40), nullable=True),
        sa.Column('verification_code', sa.String(length=16), nullable=False),
        sa.Column('employer_id', BigId, nullable=False),
        sa.Column('worker_user_id', BigId, nullable=False),
        sa.Column('worker_person_id', BigId, nullable=True),
        sa.Column('template_id', BigId, nullable=False),
        sa.Column('template_version', sa.Integer(), nullable=False),
        sa.Column('clauses', sa.JSON(), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('signing_order', sa.String(length=16), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('document_sha256', sa.String(length=64), nullable=False),
        sa.Column('current_sha256', sa.String(length=64), nullable=False),
        sa.Column('final_sha256', sa.String(length=64), nullable=True),
        sa.Column('final_file_id', BigId, nullable=True),
        sa.Column('certificate_sha256', sa.String(length=64), nullable=True),
        sa.Column('certificate_file_id', BigId, nullable=True),
        sa.Column('worker_identity', sa.JSON(), nullable=True),
        sa.Column('starts_on', sa.Date(), nullable=False),
        sa.Column('ends_on', sa.Date(), nullable=True),
        sa.Column('due_at', TS, nullable=False),
        sa.Column('created_by', BigId, nullable=True),
        sa.Column('created_at', TS, nullable=False),
        sa.Column('sent_at', TS, nullable=True),
        sa.Column('worker_signed_at', TS, nullable=True),
        sa.Column('employer_sealed_at', TS, nullable=True),
        sa.Column('concluded_at', TS, nullable=True),
        sa.Column('closed_at', TS, nullable=True),
        sa.Column('close_reason', sa.Text(), nullable=True),
        sa.CheckConstraint(
            "state IN ('draft', 'sent', 'worker_signed', 'employer_sealed', 'concluded', 'declined', "
            "'expired', 'voided')",
            name=op.f('ck_labour_contract_state'),
        ),
        sa.CheckConstraint(
            "signing_order IN ('employer_first', 'worker_first')", name=op.f('ck_labour_contract_signing_order')
        ),
        sa.ForeignKeyConstraint(['employer_id'], ['organisation.id'], name=op.f('fk_labour_contract_employer_id_organisation')),
        sa.ForeignKeyConstraint(['worker_user_id'], ['user_account.id'], name=op.f('fk_labour_contract_worker_user_id_user_account')),
        sa.ForeignKeyConstraint(['worker_person_id'], ['person.id'], name=op.f('fk_labour_contract_worker_person_id_person')),
        sa.ForeignKeyConstraint(
            ['template_id'], ['labour_contract_template.id'],
            name=op.f('fk_labour_contract_template_id_labour_contract_template'),
        ),
        sa.ForeignKeyConstraint(['final_file_id'], ['stored_file.id'], name=op.f('fk_labour_contract_final_file_id_stored_file')),
        sa.ForeignKeyConstraint(
            ['certificate_file_id'], ['stored_file.id'], name=op.f('fk_labour_contract_certificate_file_id_stored_file')
        ),
        sa.ForeignKeyConstraint(['created_by'], ['user_account.id'], name=op.f('fk_labour_contract_created_by_user_account')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_labour_contract')),
        sa.UniqueConstraint('contract_number', name=op.f('uq_labour_contract_contract_number')),
        sa.UniqueConstraint('verification_code', name=op.f('uq_labour_contract_verification_code')),
    )  # fmt: skip
    op.create_index(op.f('ix_labour_contract_employer_id'), 'labour_contract', ['employer_id'])
    op.create_index(op.f('ix_labour_contract_worker_user_id'), 'labour_contract', ['worker_user_id'])
    op.create_index(op.f('ix_labour_contract_final_sha256'), 'labour_contract', ['final_sha256'])
    op.create_index('ix_labour_contract_open_due', 'labour_contract', ['state', 'due_at'])
    op.create_table(
        'labour_use_filing',
        sa.Column('id', BigId, nullable=False),
        sa.Column('employer_id', BigId, nullable=False),
        sa.Column('contract_id', BigId, nullable=False),
        sa.Column('worker_user_id', BigId, nullable=False),
        sa.Column('worker_name', sa.String(length=120), nullable=False),
        sa.Column('resident_id_masked', sa.String(length=18), nullable=False),
        sa.Column('position', sa.String(length=120), nullable=False),
        sa.Column('term_kind', sa.String(length=16), nullable=False),
        sa.Column('starts_on', sa.Date(), nullable=False),
        sa.Column('ends_on', sa.Date(), nullable=True),
        sa.Column('monthly_pay', sa.String(length=20), nullable=False),
        sa.Column('filed_at', TS, nullable=False),
        sa.ForeignKeyConstraint(['employer_id'], ['organisation.id'], name=op.f('fk_labour_use_filing_employer_id_organisation')),
        sa.ForeignKeyConstraint(['contract_id'], ['labour_contract.id'], name=op.f('fk_labour_use_filing_contract_id_labour_contract')),
        sa.ForeignKeyConstraint(
            ['worker_user_id'], ['user_account.id'], name=op.f('fk_labour_use_filing_worker_user_id_user_account')
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_labour_use_filing')),
        sa.UniqueConstraint('contract_id', name=op.f('uq_labour_use_filing_contract_id')),
    )  # fmt: skip
    op.create_index(op.f('ix_labour_use_filing_employer_id'), 'labour_use_filing', ['employer_id'])


def downgrade() -> None:
    op.drop_table('labour_use_filing')
    op.drop_table('labour_contract')
    op.drop_table('labour_contract_template')
