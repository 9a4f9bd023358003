"""The one owner of SQLite: connections, schema, upserts and queries. No SQL lives elsewhere."""

from newsmon.db.connection import DatabaseError, ReadOnlyError, connect, connect_readonly
from newsmon.db.migrations import migrations

__all__ = ["DatabaseError", "ReadOnlyError", "connect", "connect_readonly", "migrations"]
