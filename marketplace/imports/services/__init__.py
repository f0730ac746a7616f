"""Preview and save marketplace exports: map SKUs, upsert lines by key, count once.

uploads: who may import where, reading the files, keeping an upload until it is confirmed;
mapping: which product a SKU counts as, and what mapping it anew would change; preview: what
saving would count; saving: the import's one transaction (new, changed and re-exported lines);
jobs: the background job that saves a confirmed upload.
"""

from marketplace.imports.parsers import ImportFileError
from marketplace.imports.services.jobs import IMPORT_JOB, run_import_job, start_import
from marketplace.imports.services.mapping import (
    RemapEffect,
    RemapNotConfirmed,
    check_remap,
    product_codes_overrides,
)
from marketplace.imports.services.preview import (
    ClassTotals,
    Preview,
    SkuRow,
    build_preview,
    remap_effects,
)
from marketplace.imports.services.saving import ImportCounts, ImportOutcome, save_import
from marketplace.imports.services.uploads import (
    MAX_FILES,
    PENDING_TTL,
    Progress,
    SkuKey,
    UploadedFile,
    can_import,
    discard_pending,
    importable_stalls,
    load_pending,
    pack,
    pending_stall,
    recent_imports,
    stash_upload,
    unpack,
)

__all__ = [
    "IMPORT_JOB", "MAX_FILES", "PENDING_TTL", "ClassTotals", "ImportCounts", "ImportFileError",
    "ImportOutcome", "Preview", "Progress", "RemapEffect", "RemapNotConfirmed", "SkuKey",
    "SkuRow", "UploadedFile", "build_preview", "can_import", "check_remap", "discard_pending",
    "importable_stalls", "load_pending", "pack", "pending_stall", "product_codes_overrides",
    "recent_imports", "remap_effects", "run_import_job", "save_import", "stash_upload",
    "start_import", "unpack",
]
