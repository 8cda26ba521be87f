"""Which columns of the schema point at a contact, a conversation or a visitor session.

Merging and erasing contacts follow every such column, including those of tables other
features add later, so neither can leave a dangling reference or a forgotten copy.
"""

from __future__ import annotations

from sqlalchemy import Column, Table
from sqlmodel import SQLModel

import app.models  # noqa: F401  (registers every table)


def referencing(table_name: str) -> list[tuple[Table, Column[object]]]:
    """(table, column) pairs with a foreign key to ``table_name``.id."""
    out: list[tuple[Table, Column[object]]] = []
    for table in SQLModel.metadata.sorted_tables:
        for fk in table.foreign_keys:
            if fk.column.table.name == table_name and fk.column.name == "id":
                out.append((table, fk.parent))  # type: ignore[arg-type]
    return out


def contact_columns() -> list[tuple[Table, Column[object]]]:
    """Every column that points at a contact."""
    return referencing("contact")
