"""Reading a CSV/TSV file into an all-text table, whatever its encoding and shape.

CONTRACT (other validators and `kokai fix` code against it):

    @dataclass
    class Table:
        path, encoding, header, data, line, header_rows, junk_lines, findings

    read_table(path) -> Table   # never raises for a bad file: fatal findings instead

`data` holds every row after the header (also blank and totals rows, so that
`kokai fix` can see them); rows whose line is in `junk_lines` are not data and
checks should skip them: `table.checked()` gives the data without them.

How it reads (one module a step):
- `read`: the file (regular files only), then the steps below, into a Table;
- `stream`: a large plain UTF-8 file parsed as it is read from disk, a piece
  at a time, so that its bytes are never all in memory beside the table
  (anything less plain is read whole and goes through the steps below);
- `pieces`: a large file parsed a piece at a time; a column holding one value
  in every row (an unused optional column, the city's code) is a polars
  literal, stored once and checked once;
- `decode`: the bytes to UTF-8 (UTF-8, UTF-8 with BOM, CP932, UTF-16);
- `parse`: polars with every column as text; when a cheap whole-file test shows
  ragged rows, quoted newlines or broken quoting, the csv module, which knows
  where each record starts and how many cells it has (the slow path);
- `header`: where the header is, a second header row, blank and repeated names;
- `rows`: blank, trailing blank and totals rows, ragged rows, line breaks in cells;
- `model`: the Table.
"""

from kokai.validators.reading.model import Table
from kokai.validators.reading.read import read_table, read_table_bytes

__all__ = ["Table", "read_table", "read_table_bytes"]
