"""Storage: SQLModel tables, the repository behind the command core, Alembic migrations."""
