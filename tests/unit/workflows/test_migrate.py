"""The Alembic migrations build exactly the schema the models describe, on every backend."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from workflows.db import Database
from workflows.migrate import alembic_config
from workflows.models import Base


def test_migrated_schema_matches_the_models(db: Database) -> None:
    with db.engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert differences == [], "the models changed without a migration in migrations/versions"


def test_database_is_at_the_single_newest_revision(db: Database) -> None:
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    assert len(heads) == 1, f"migrations branch: {heads}"
    with db.engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_revision() == heads[0]
