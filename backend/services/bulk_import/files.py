"""Reading an uploaded CSV or XLSX file into rows of text, and writing the templates.

Every cell is read as text: a formula is kept as the text of the formula (openpyxl
reads formulas, never their cached results), so nothing in a file is ever evaluated.
"""
import csv
import io
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, time

from backend.errors import Invalid

XLSX_MAGIC = b"PK\x03\x04"


@dataclass
class Table:
    """The file's column keys (from its header row) and its rows by spreadsheet row number."""

    keys: list[str]
    rows: list[tuple[int, list[str]]]


def column_key(header_cell: str) -> str:
    """A header cell's column key: the text before any explanation in brackets."""
    return str(header_cell or "").split("(", 1)[0].strip().lower().replace(" ", "_")


def _text(value) -> str:
    """A cell's value as the text it shows (whole numbers without '.0', dates as ISO)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat()
    if isinstance(value, (date, time)):
        return value.isoformat()[:5] if isinstance(value, time) else value.isoformat()
    return str(value).strip()


def _csv_rows(data: bytes) -> list[list[str]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Invalid(f"The file is not UTF-8 text (byte {exc.start + 1} cannot be read). "
                      "Save it as 'CSV UTF-8' or as an Excel workbook and try again.",
                      field="file") from None
    try:
        return list(csv.reader(io.StringIO(text)))
    except csv.Error as exc:
        raise Invalid(f"The CSV file cannot be read: {exc}.", field="file") from None


def _xlsx_rows(data: bytes) -> list[list[str]]:
    from openpyxl import load_workbook  # a heavy import, needed only for workbooks

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise Invalid(f"The workbook cannot be read ({type(exc).__name__}); save it again "
                      "as .xlsx or as CSV UTF-8.", field="file") from None
    try:
        if len(workbook.sheetnames) != 1:
            raise Invalid(f"The workbook has {len(workbook.sheetnames)} sheets "
                          f"({', '.join(workbook.sheetnames)}); an import reads exactly one. "
                          "Delete the others, or save the one sheet as CSV.", field="file")
        sheet = workbook[workbook.sheetnames[0]]
        return [[_text(value) for value in row] for row in sheet.iter_rows(values_only=True)]
    finally:
        workbook.close()


def read_table(data: bytes, filename: str) -> Table:
    """The file's header keys and non-empty rows; Invalid with a clear message otherwise."""
    if not data:
        raise Invalid("The file is empty.", field="file")
    is_xlsx = data[:4] == XLSX_MAGIC
    if filename.lower().endswith(".xlsx") and not is_xlsx:
        raise Invalid("The file is named .xlsx but is not an Excel workbook.", field="file")
    if filename.lower().endswith((".xls", ".ods", ".numbers")) and not is_xlsx:
        raise Invalid("Only CSV (UTF-8) and Excel .xlsx files can be imported.", field="file")
    lines = _xlsx_rows(data) if is_xlsx else _csv_rows(data)
    header_at = next((i for i, line in enumerate(lines) if any(line)), None)
    if header_at is None:
        raise Invalid("The file has no header row.", field="file")
    keys = [column_key(cell) for cell in lines[header_at]]
    # Row numbers as the spreadsheet shows them (the header is row header_at + 1).
    # Each cell trimmed, without the leading quote an export puts before formula-like text
    # (see _safe); written inline: a county's file has hundreds of thousands of cells.
    rows = [(number, [cell[1:] if cell[:2] in _QUOTED else cell for cell in map(str.strip, row)])
            for number, row in enumerate(lines[header_at + 1:], start=header_at + 2)
            if any(row)]
    return Table(keys, rows)


_QUOTED = ("'=", "'+", "'@", "'-")


def write_csv(header: list[str], rows) -> bytes:
    """A CSV file (UTF-8 with a byte order mark, so Excel reads it as UTF-8)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow([_safe(cell) for cell in row])
    return ("\ufeff" + out.getvalue()).encode()


def write_xlsx(header: list[str], rows) -> bytes:
    """An Excel workbook with one sheet: the header row, then the rows (all as text)."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("import")
    sheet.append(header)
    for row in rows:
        sheet.append([_safe(cell) for cell in row])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _safe(cell) -> str:
    """A cell's text, with a leading quote before anything a spreadsheet would run as a
    formula (=, +, -, @): exported text must stay text when opened."""
    text = "" if cell is None else str(cell)
    if text[:1] in ("=", "+", "@") or (text[:1] == "-" and not _number(text)):
        return "'" + text
    return text


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
