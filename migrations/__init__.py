"""Alembic migrations: the only way rota's schema is made or changed."""
