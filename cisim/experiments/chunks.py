"""Chunk files that prove themselves: a manifest in every chunk, checked against the plan before it is trusted.

A sweep or a calibration writes its runs in chunks, one Parquet file each, and a resumed job keeps the
chunks it finds.  A file found in the folder is not trusted for its name alone: it could be truncated
(a full disk), empty, left by another experiment, or a valid chunk copied under another chunk's name.
So every chunk carries a manifest in its Parquet metadata (key ``cisim.chunk``)::

    {"format": 1, "kind": "sweep", "chunk": 3, "lo": 300, "hi": 400, "rows": 100,
     "fingerprint": "<the experiment's>", "keys": "<digest of the planned rows' identity>",
     "sha256": "<digest of every value in the file>"}

and ``verify`` checks a file against what the plan expects of it (``Expected``): readable, a manifest,
the same experiment, the same chunk and runs, the planned number of rows, the planned rows (their
``keys`` columns: point, replicate and seed for a sweep) and values unchanged since written.  A chunk
that fails says why in one line (``ChunkError``); ``set_aside`` moves it out of the dataset, so that a
resumed job runs it again and nothing reads it.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cisim.experiments import metadata as meta
from cisim.model.scenario import ScenarioError

MANIFEST_KEY = b"cisim.chunk"
FORMAT = 1
#: Where chunks that fail their check go (beside the dataset, never inside it).
REJECTED_DIR = "rejected"


class ChunkError(ScenarioError):
    """A chunk file that does not hold what its plan says, with the reason in one line (the command line
    prints it and exits with status 2, as for any file it cannot use)."""

    def __init__(self, path: Path, reason: str):
        self.path, self.reason = Path(path), reason
        super().__init__(self.path, None, reason)


@dataclass(frozen=True)
class Expected:
    """What the plan says chunk ``chunk`` holds: rows ``lo:hi`` of the job's runs, whose identity
    (the ``keys`` columns) digests to ``keys``."""

    kind: str
    chunk: int | str  # a sweep numbers its chunks; a calibration names them by generation, round and number
    lo: int
    hi: int
    fingerprint: str
    keys: str

    @property
    def rows(self) -> int:
        return self.hi - self.lo


def _column_bytes(values: Any) -> bytes:
    """A column's values as bytes that do not depend on how they were stored (NaN and null alike)."""
    arr = np.asarray(values)
    if arr.dtype.kind in "iub":
        return np.ascontiguousarray(arr.astype(np.int64)).tobytes()
    if arr.dtype.kind == "f":
        arr = np.where(np.isnan(arr), np.nan, arr.astype(np.float64))
        return np.ascontiguousarray(arr).tobytes()
    text = [None if v is None or v is pd.NA or (isinstance(v, float) and v != v) else str(v) for v in arr.tolist()]
    return json.dumps(text).encode()


def digest(table: pd.DataFrame, columns: Sequence[str] | None = None) -> str:
    """A SHA-256 of ``columns`` of ``table`` (default: all), by name and value, in row order."""
    h = hashlib.sha256()
    for c in (list(table.columns) if columns is None else columns):
        col = table[c]
        kind = getattr(col.dtype, "kind", "O")
        if kind in "iub" and not col.hasnans:
            values = col.to_numpy(dtype=np.int64)
        elif kind in "fiub":
            values = col.to_numpy(dtype=float, na_value=np.nan)
        else:
            values = col.to_numpy(dtype=object)
        h.update(str(c).encode() + b"\0")
        h.update(_column_bytes(values))
        h.update(b"\1")
    return h.hexdigest()


def write(table: pd.DataFrame, path: Path, expected: Expected) -> None:
    """Write ``table`` to ``path`` atomically, with its manifest."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    if len(table) != expected.rows:
        raise ValueError(f"chunk {expected.chunk} has {len(table)} rows, the plan says {expected.rows}")
    manifest = {"format": FORMAT, "kind": expected.kind, "chunk": expected.chunk, "lo": expected.lo,
                "hi": expected.hi, "rows": len(table), "fingerprint": expected.fingerprint, "keys": expected.keys,
                "sha256": digest(table)}
    arrow = pa.Table.from_pandas(table, preserve_index=False)
    arrow = arrow.replace_schema_metadata({**(arrow.schema.metadata or {}),
                                           MANIFEST_KEY: json.dumps(manifest).encode()})
    with meta.atomic_path(path) as tmp:
        pq.write_table(arrow, tmp)


def manifest(path: Path) -> dict[str, Any]:
    """The manifest of the chunk at ``path`` (read from the file's footer only), or a ChunkError."""
    import pyarrow.parquet as pq

    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise ChunkError(path, "missing") from None
    if size == 0:
        raise ChunkError(path, "is empty (0 bytes)")
    try:
        schema = pq.read_schema(path)
    except Exception:
        raise ChunkError(path, f"cannot be read as Parquet ({size} bytes: truncated, or not a chunk)") from None
    raw = (schema.metadata or {}).get(MANIFEST_KEY)
    if raw is None:
        raise ChunkError(path, "has no cisim manifest (not written by this cisim)")
    try:
        found = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ChunkError(path, "has a manifest that cannot be read") from None
    if not isinstance(found, dict) or found.get("format") != FORMAT:
        raise ChunkError(path, "has a manifest of another format")
    return found


def verify(path: Path, expected: Expected, key_columns: Sequence[str]) -> pd.DataFrame:
    """The rows of the chunk at ``path`` if it holds exactly what ``expected`` says, else a ChunkError."""
    found = manifest(path)
    if found.get("kind") != expected.kind or found.get("fingerprint") != expected.fingerprint:
        raise ChunkError(path, f"belongs to another {found.get('kind', 'job')} (fingerprint "
                         f"{found.get('fingerprint')}, this one's is {expected.fingerprint})")
    if (found.get("chunk"), found.get("lo"), found.get("hi")) != (expected.chunk, expected.lo, expected.hi):
        raise ChunkError(path, f"holds chunk {found.get('chunk')} (runs {found.get('lo')} to {found.get('hi')}), "
                         f"not chunk {expected.chunk} (runs {expected.lo} to {expected.hi}): a misnamed copy")
    try:
        table = pd.read_parquet(path)
    except Exception:
        raise ChunkError(path, "cannot be read as Parquet (its data is damaged)") from None
    if len(table) != expected.rows or found.get("rows") != expected.rows:
        raise ChunkError(path, f"holds {len(table)} rows, the plan says {expected.rows}")
    if any(c not in table.columns for c in key_columns) or digest(table, key_columns) != expected.keys:
        raise ChunkError(path, f"its runs ({', '.join(key_columns)}) are not the planned ones")
    if digest(table) != found.get("sha256"):
        raise ChunkError(path, "its values do not match its checksum (changed after it was written)")
    table.attrs = {}
    return table


def set_aside(path: Path, root: Path) -> Path:
    """Move a file that failed its check to ``root/rejected/`` (out of the dataset) and return where."""
    target = Path(root) / REJECTED_DIR / f"{path.name}.{time.strftime('%Y%m%dT%H%M%S')}.{time.time_ns() % 10**9}"
    target.parent.mkdir(parents=True, exist_ok=True)
    path.replace(target)
    return target
