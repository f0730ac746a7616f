"""Read Shopee, Lazada and TikTok Shop order exports (XLSX or CSV) into canonical lines.

cells: one cell (text, VND, quantities, Vietnam times) and a row seen through its header;
sheets: opening a file within the caps and streaming its rows; shopee, lazada, tiktok: each
marketplace's columns, statuses and lines; platforms: telling them apart and classifying
statuses; lines: parsing a whole file.
"""

from marketplace.imports.parsers.cells import (
    Headers,
    ImportFileError,
    _,
    cell_text,
    norm_header,
    parse_local_datetime,
    parse_money,
    parse_qty,
)
from marketplace.imports.parsers.lines import ParsedLine, ParseResult, Progress, parse_file
from marketplace.imports.parsers.platforms import (
    COLUMNS,
    PLATFORM_NAMES,
    PLATFORMS,
    SHOPEE_LINE_TOTAL,
    STATUS_CLASSES,
    classify_status,
    detect_platform,
)
from marketplace.imports.parsers.sheets import (
    MAX_COLUMNS,
    MAX_ROWS,
    MAX_SHEETS,
    MAX_XML_BYTES,
    iter_rows,
    read_rows,
)

__all__ = [
    "COLUMNS", "MAX_COLUMNS", "MAX_ROWS", "MAX_SHEETS", "MAX_XML_BYTES", "PLATFORMS",
    "PLATFORM_NAMES", "SHOPEE_LINE_TOTAL", "STATUS_CLASSES", "Headers", "ImportFileError",
    "ParseResult", "ParsedLine", "Progress", "_", "cell_text", "classify_status",
    "detect_platform", "iter_rows", "norm_header", "parse_file", "parse_local_datetime",
    "parse_money", "parse_qty", "read_rows",
]
