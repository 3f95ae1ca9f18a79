"""Finding and moving a DataTable's row cursor by row key (the screens key their rows by name or id)."""

from __future__ import annotations

from textual.widgets import DataTable


def highlighted_key(table: DataTable) -> str | None:
    """The key of the highlighted row, or None when the table is empty."""
    if table.row_count == 0:
        return None
    return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value


def highlight_key(table: DataTable, key: str | None) -> None:
    """Move the cursor to the row `key` when the table has it."""
    if key is not None and key in table.rows:
        table.move_cursor(row=table.get_row_index(key))
