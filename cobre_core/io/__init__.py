"""Reading Cobre case directories: the file catalogue, Parquet table specs and the case reader.

``read_case_files(path)`` reads every catalogued file, judging each on its own; the five-layer
validation built on it lives in :mod:`cobre_core.validation`.
"""

from cobre_core.io.catalog import CATALOG, CatalogEntry, FileFormat, entry_for
from cobre_core.io.reader import CaseFiles, Diagnostics, read_case_files
from cobre_core.io.tables import TABLE_SPECS, ColumnSpec, ColumnType, TableSpec, check_table

__all__ = [
    "CATALOG",
    "TABLE_SPECS",
    "CaseFiles",
    "CatalogEntry",
    "ColumnSpec",
    "ColumnType",
    "Diagnostics",
    "FileFormat",
    "TableSpec",
    "check_table",
    "entry_for",
    "read_case_files",
]
