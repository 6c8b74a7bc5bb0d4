"""Value checks for Japanese municipal tables (jp-open-data.md §5–§9).

`check_table(table, schema, context)` is called by `validate_paths` for every
table after reading; `kokai fix` uses `diagnose_cells` for the same diagnoses.
Encoding and structure (header rows, blank and totals rows, newlines in cells,
missing columns) belong to kokai.validators.reading, not here.

One module a family:
- `rules`: the Rule declarations (codes, severities, messages);
- `columns`: what a column is (its role from the schema, its name, its first rows);
- `values`: parsing and normalising one value (wareki, full-width, flags, units…);
- `diagnose`: what is wrong with one cell value and what to write instead;
- `cells`: the single-cell checks over whole columns (screen, then diagnose);
- `rows`: coordinates, the publisher's code and population sums across a row;
- `duplicates`: repeated rows and IDs;
- `whole_columns`: empty columns and several values packed into the cells of a column;
- `collect`: the capped, sorted findings of one table;
- `check`: `check_table`, which runs them.

Every check is a polars expression over the text columns, and Python only
touches the cells that fail (once per distinct value) and the rows a report keeps.
"""

from kokai.validators.japanese.cells import diagnose_cells
from kokai.validators.japanese.check import check_table
from kokai.validators.japanese.columns import Column, plan_columns, role_by_name
from kokai.validators.japanese.diagnose import Diagnosis

__all__ = ["Column", "Diagnosis", "check_table", "diagnose_cells", "plan_columns", "role_by_name"]
