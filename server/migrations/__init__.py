"""Alembic migrations: the only way LeadFlow's schema is made or changed."""
