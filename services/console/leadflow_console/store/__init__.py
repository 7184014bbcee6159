"""PostgreSQL: tables, the repository and queries returning typed objects, and migrations."""
