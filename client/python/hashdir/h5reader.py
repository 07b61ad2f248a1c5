"""Read a hashdir store (``<data>/hashdir.h5``) with h5py, also while the engine writes it.

The file layout is documented in docs/format.md; the dtypes and constants here are the same. A
reader opens the file in SWMR-read mode and reads the last *published* checkpoint: ``meta`` is the
newest valid meta slot as of the last ``refresh()`` and does not change in between, so it lags the
writer by up to one checkpoint. Page ids are logical: ``read_page`` finds the row of ``/pages``
that holds a page in the snapshot through the snapshot's page map (a chain of PAGE_MAP_INDEX pages
at ``meta["page_map_root"]`` listing the rows of the PAGE_MAP leaves; loaded at the first lookup
after the snapshot moved and cached until it moves again). It verifies each page it reads, map
pages included (CRC32C, id, kind, epoch not newer than the snapshot), and re-reads it after a
refresh a few times before it gives up, because a row can be mid-write or a new chunk not yet
visible. A page newer than the snapshot means its row was reused after the snapshot: that raises
StaleSnapshotError; call ``refresh()`` and start over.

Example::

    from hashdir.h5reader import open_snapshot
    with open_snapshot("/var/lib/hashdir") as reader:   # the data directory or the .h5 file
        reader.refresh()
        print(reader.meta["epoch"], reader.meta["page_count"])
        page = reader.read_page(1)                        # numpy uint8 array, page_size long

Threading: a reader is not thread-safe; use one per thread.
"""

from __future__ import annotations

import enum
import os
import time

import h5py
import numpy as np

FILE_NAME = "hashdir.h5"
META_DATASET = "meta"
PAGES_DATASET = "pages"
FORMAT_NAME = "hashdir"
#: Newest file read version (meta ``format_read``) this module can read.
READ_VERSION = 1
#: Page id 0 is never allocated: it means "no page".
NULL_PAGE = 0
#: The 8 magic bytes are b"hashdir\\0"; numpy's "S8" drops the trailing NUL.
MAGIC = b"hashdir"
_MAGIC_BYTES = MAGIC + b"\0"
META_SLOTS = 2
META_SLOT_BYTES = 512
META_CRC_OFFSET = 508
PAGE_HEADER_BYTES = 24
PAGE_CRC_START = 4
PAGE_VERSION = 1
#: Re-reads of a page that fails verification before CorruptionError (backoff 1, 2, 4, 8, 16 ms).
MAX_RETRIES = 5

#: One meta slot (MetaLayout), little-endian. CRC32C covers bytes [0, 508).
META_DTYPE = np.dtype([
    ("magic", "S8"),
    ("format_read", "<u4"),
    ("format_write", "<u4"),
    ("key_bytes", "<u4"),
    ("page_size", "<u4"),
    ("epoch", "<u8"),
    ("checkpoint_lsn", "<u8"),
    ("page_count", "<u8"),
    ("directory_root", "<u8"),
    ("page_map_root", "<u8"),
    ("deletion_log_root", "<u8"),
    ("keys", "<u8"),
    ("values", "<u8"),
    ("global_depth", "<u4"),
    ("flags", "<u4"),
    ("row_count", "<u8"),
    ("reserved", "V404"),
    ("crc32c", "<u4"),
])

#: The header every page starts with (PageLayout), little-endian. CRC32C covers [4, page_size).
PAGE_HEADER_DTYPE = np.dtype([
    ("crc32c", "<u4"),
    ("kind", "u1"),
    ("version", "u1"),
    ("reserved", "<u2"),
    ("page_id", "<u8"),
    ("epoch", "<u8"),
])

#: A page of a chain (FreeListLayout): PAGE_MAP_INDEX (rows of the map's leaves, in leaf order) and
#: DELETION_LOG (pairs row, epoch retired). ``CHAIN_HEADER_DTYPE`` is the fixed part; ``count``
#: little-endian u64 values follow at offset CHAIN_IDS_OFFSET.
CHAIN_HEADER_DTYPE = np.dtype([
    ("header", PAGE_HEADER_DTYPE),
    ("next", "<u8"),          # row of the next page of the chain, 0 = last
    ("count", "<u4"),
    ("reserved", "<u4"),
])                            # itemsize 40
CHAIN_IDS_OFFSET = 40


def chain_dtype(page_size: int) -> np.dtype:
    """A whole chain page of ``page_size`` bytes (the values array is ``count`` long in use)."""
    return np.dtype(CHAIN_HEADER_DTYPE.descr + [("ids", "<u8", ((page_size - CHAIN_IDS_OFFSET) // 8,))])


def page_map_dtype(page_size: int) -> np.dtype:
    """A PAGE_MAP leaf (PageMapLayout): header (page id = leaf number), then the row of each logical
    id ``leaf * n + i`` (0 = free), ``n = (page_size - 24) // 8``."""
    return np.dtype([("header", PAGE_HEADER_DTYPE), ("rows", "<u8", ((page_size - PAGE_HEADER_BYTES) // 8,))])


class PageKind(enum.IntEnum):
    """The kind byte of a page header."""
    FREE = 0
    BUCKET = 1
    DIRECTORY = 2
    VALUE_LEAF = 3
    VALUE_INDEX = 4
    OVERFLOW = 5
    FREE_LIST = 6
    DELETION_LOG = 7
    PAGE_MAP = 8
    PAGE_MAP_INDEX = 9
    TEST = 127


class StoreError(Exception):
    """Not a hashdir store, or one this code cannot read."""


class CorruptionError(StoreError):
    """A checksum, magic or id check failed; ``page`` is the page id, -1 when not a page."""

    def __init__(self, message: str, page: int = -1):
        super().__init__(message)
        self.page = page


class StaleSnapshotError(StoreError):
    """A page was rewritten by a checkpoint newer than the snapshot: refresh() and restart the lookup."""


def _crc32c_table() -> tuple:
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1  # Castagnoli polynomial, reflected
        table.append(c)
    return tuple(table)


_CRC32C_TABLE = _crc32c_table()


def crc32c(data, crc: int = 0) -> int:
    """CRC32C (Castagnoli) of ``data`` (bytes-like), continuing ``crc`` from an earlier call.

    Pure Python, table-driven: about 0.1 us per byte.
    """
    if not isinstance(data, (bytes, bytearray)):
        data = bytes(data)
    table = _CRC32C_TABLE
    crc ^= 0xFFFFFFFF
    for b in data:
        crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def decode_meta(raw) -> tuple:
    """Decodes one meta slot: ``(dict, None)`` when valid, ``(None, reason)`` when not."""
    raw = bytes(raw)
    if len(raw) != META_SLOT_BYTES:
        return None, f"slot has {len(raw)} bytes, expected {META_SLOT_BYTES}"
    rec = np.frombuffer(raw, META_DTYPE, count=1)[0]
    if raw[:8] != _MAGIC_BYTES:
        return None, f"magic={raw[:8]!r}, expected {_MAGIC_BYTES!r}"
    stored, computed = int(rec["crc32c"]), crc32c(raw[:META_CRC_OFFSET])
    if stored != computed:
        return None, f"crc32c stored=0x{stored:x}, computed=0x{computed:x}"
    return {name: rec[name].item() for name in META_DTYPE.names if name != "reserved"}, None


def page_header(page) -> np.void:
    """The header of a page image (bytes or uint8 array) as a PAGE_HEADER_DTYPE record."""
    return np.frombuffer(page, PAGE_HEADER_DTYPE, count=1)[0]


def check_page(path: str, page_id: int, page, row: int | None = None, kind: int | None = None,
               what: str | None = None) -> CorruptionError | None:
    """Checks a page image read from ``path`` (from ``row``, default ``page_id``): checksum first,
    then the id it claims, then its kind when ``kind`` is given. Errors name the row as ``page``."""
    page = bytes(page)
    row = page_id if row is None else row
    what = f" ({what})" if what else ""
    header = page_header(page)
    stored, computed = int(header["crc32c"]), crc32c(page[PAGE_CRC_START:])
    if stored != computed:
        return _corrupt(path, row, 0, "page checksum" + what, f"0x{stored:x}", f"0x{computed:x}")
    if int(header["page_id"]) != page_id:
        return _corrupt(path, row, 8, "page id" + what, page_id, int(header["page_id"]))
    if kind is not None and int(header["kind"]) != int(kind):
        return _corrupt(path, row, 4, "page kind" + what, int(kind), int(header["kind"]))
    return None


def _corrupt(path, page_id, offset, what, expected, actual) -> CorruptionError:
    return CorruptionError(f"corrupt {what}: file={path}, page={page_id}, offset={offset}, "
                           f"expected={expected}, actual={actual}", page_id)


def open_snapshot(path) -> "SnapshotReader":
    """Opens a store for reading: ``path`` is the data directory or its ``hashdir.h5``."""
    path = os.fspath(path)
    if os.path.isdir(path):
        path = os.path.join(path, FILE_NAME)
    return SnapshotReader(path)


class SnapshotReader:
    """A SWMR-read view of one ``hashdir.h5``: the last published checkpoint. See the module doc."""

    def __init__(self, path: str):
        if not os.path.isfile(path):
            raise StoreError(f"no store at {path}")
        self.path = path
        # locking=False: HDF5 1.10 keeps a reader's shared file lock while open, and that lock makes
        # the writer's open (or its restart) fail. The engine's writers exclude each other themselves.
        self._file = h5py.File(path, "r", libver="latest", swmr=True, locking=False)
        try:
            fmt = self._file.attrs.get("format")
            if isinstance(fmt, bytes):
                fmt = fmt.decode("ascii", "replace")
            if fmt != FORMAT_NAME or META_DATASET not in self._file or PAGES_DATASET not in self._file:
                raise StoreError(f"{path} is an HDF5 file but not a hashdir store")
            self._meta_ds = self._file[META_DATASET]
            self._pages = self._file[PAGES_DATASET]
            self._meta = self._read_meta()
            self.page_size = self._meta["page_size"]
            self._known_rows = self._pages.shape[0]
            self._pages_stale = False
            self._per_leaf = (self.page_size - PAGE_HEADER_BYTES) // 8
            self._leaf_dtype = page_map_dtype(self.page_size)
            self._chain_dtype = chain_dtype(self.page_size)
            self._leaf_rows = None
            self._leaves = None
            #: H5Drefresh calls on /pages so far.
            self.page_refreshes = 0
            #: Page re-reads after a failed verification so far.
            self.retries = 0
        except BaseException:
            self._file.close()
            raise

    @property
    def meta(self) -> dict:
        """The snapshot: the newest valid meta slot as of the last refresh(), as a dict of META_DTYPE fields."""
        return dict(self._meta)

    def refresh(self) -> dict:
        """Re-reads both meta slots (H5Drefresh first) and moves the snapshot to the newest valid one."""
        self._meta_ds.refresh()
        meta = self._read_meta()
        if meta != self._meta:
            self._pages_stale = True
            self._leaf_rows = None
            self._leaves = None
        self._meta = meta
        return dict(meta)

    def row_of(self, page_id: int) -> int:
        """The row of /pages holding logical page ``page_id`` in the snapshot; 0 when it is free there.

        Raises ValueError for an id outside the snapshot, CorruptionError or StaleSnapshotError from
        the map pages it reads (see read_page).
        """
        page_id = self._check_id(page_id)
        if self._meta["page_map_root"] == NULL_PAGE:
            return NULL_PAGE  # a checkpoint without a page map has no pages
        if self._leaf_rows is None:
            self._leaf_rows = self._read_index()
            self._leaves = {}
        leaf = page_id // self._per_leaf
        rows = self._leaves.get(leaf)
        if rows is None:
            page = self._read(int(self._leaf_rows[leaf]), leaf, PageKind.PAGE_MAP, f"page map leaf {leaf}")
            rows = np.frombuffer(page.tobytes(), self._leaf_dtype, count=1)[0]["rows"].copy()
            bad = rows[rows >= self._meta["row_count"]]
            if len(bad):
                raise _corrupt(self.path, int(self._leaf_rows[leaf]), PAGE_HEADER_BYTES, f"row in page map leaf {leaf}",
                               f"below row count {self._meta['row_count']}", int(bad[0]))
            self._leaves[leaf] = rows
        return int(rows[page_id % self._per_leaf])

    def read_page(self, page_id: int) -> np.ndarray:
        """Reads and verifies logical page ``page_id`` of the snapshot (its row from the page map);
        returns it as a read-only uint8 array.

        Raises ValueError for an id outside the snapshot or free in it, CorruptionError when the page
        (or a map page) still fails verification after MAX_RETRIES re-reads (``page`` is the row),
        StaleSnapshotError when it (or a map page) is newer than the snapshot.
        """
        row = self.row_of(page_id)
        if row == NULL_PAGE:
            raise ValueError(f"page id is free in the snapshot: id={page_id}, epoch={self._meta['epoch']}")
        return self._read(row, int(page_id), None, f"page {page_id}")

    def read_row(self, row: int, expected_id: int) -> np.ndarray:
        """Reads row ``row`` of /pages, verified as logical page ``expected_id`` of the snapshot."""
        if int(row) <= NULL_PAGE:
            raise ValueError(f"row out of range: row={row}")
        return self._read(int(row), int(expected_id), None, f"page {expected_id}")

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> "SnapshotReader":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _check_id(self, page_id) -> int:
        page_id = int(page_id)
        if not NULL_PAGE < page_id < self._meta["page_count"]:
            raise ValueError(f"page id not in snapshot: id={page_id}, page_count={self._meta['page_count']}, "
                             f"epoch={self._meta['epoch']}")
        return page_id

    def _read(self, row: int, expected_id: int, kind, what: str) -> np.ndarray:
        if self._pages_stale or row >= self._known_rows:
            self._refresh_pages()
        failure = None
        for attempt in range(MAX_RETRIES + 1):
            if attempt:
                self.retries += 1
                time.sleep(0.001 * (1 << (attempt - 1)))
                self._refresh_pages()
            error, page = self._read_verified(row, expected_id, kind, what)
            if error is None:
                return page
            failure = failure or error
        failure.args = (f"{failure.args[0]} (after {MAX_RETRIES} re-reads)",)
        raise failure

    def _read_verified(self, row: int, expected_id: int, kind, what: str) -> tuple:
        """One read: checksum (worth a re-read), then epoch (newer: the row was reused, stale), then id and kind."""
        try:
            _, chunk = self._pages.id.read_direct_chunk((row, 0))
        except (RuntimeError, OSError, KeyError, ValueError) as e:
            return _corrupt(self.path, row, 0, f"page ({what})", "a written row",
                            f"unreadable chunk ({e}; rows known={self._known_rows})"), None
        if len(chunk) != self.page_size:
            return _corrupt(self.path, row, 0, f"page size ({what})", self.page_size, len(chunk)), None
        header = page_header(chunk)
        stored, computed = int(header["crc32c"]), crc32c(chunk[PAGE_CRC_START:])
        if stored != computed:
            return _corrupt(self.path, row, 0, f"page checksum ({what})", f"0x{stored:x}", f"0x{computed:x}"), None
        page_epoch = int(header["epoch"])
        if page_epoch > self._meta["epoch"]:
            raise StaleSnapshotError(f"snapshot is stale: file={self.path}, {what} (row {row}) was rewritten in epoch "
                                     f"{page_epoch}, snapshot epoch={self._meta['epoch']}; refresh and retry")
        return check_page(self.path, expected_id, chunk, row, kind, what), np.frombuffer(chunk, np.uint8)

    def _read_index(self) -> np.ndarray:
        """The snapshot's PAGE_MAP_INDEX chain: the rows of its leaves, in leaf order."""
        meta = self._meta
        expected = (meta["page_count"] + self._per_leaf - 1) // self._per_leaf
        rows = []
        row, position = meta["page_map_root"], 0
        while row != NULL_PAGE:
            if row >= meta["row_count"] or position > expected:
                raise _corrupt(self.path, row, 0, "page map index chain",
                               f"rows below {meta['row_count']}, at most {expected} pages", f"row {row} at {position}")
            page = self._read(row, position, PageKind.PAGE_MAP_INDEX, f"page map index {position}")
            rec = np.frombuffer(page.tobytes(), self._chain_dtype, count=1)[0]
            count = int(rec["count"])
            if count > len(rec["ids"]) or len(rows) + count > expected:
                raise _corrupt(self.path, row, 32, "page map index count", f"at most {expected - len(rows)}", count)
            rows.extend(int(r) for r in rec["ids"][:count])
            row, position = int(rec["next"]), position + 1
        if len(rows) != expected or any(not NULL_PAGE < r < meta["row_count"] for r in rows):
            raise _corrupt(self.path, meta["page_map_root"], 0, "page map index",
                           f"{expected} leaf rows below {meta['row_count']}", rows[:8])
        return np.array(rows, np.uint64)

    def _refresh_pages(self) -> None:
        self._pages.refresh()
        self._known_rows = self._pages.shape[0]
        self._pages_stale = False
        self.page_refreshes += 1

    def _read_meta(self) -> dict:
        best, why = None, []
        for slot in range(META_SLOTS):
            try:
                _, raw = self._meta_ds.id.read_direct_chunk((slot, 0))
                meta, reason = decode_meta(raw)
            except (RuntimeError, OSError, KeyError, ValueError) as e:
                meta, reason = None, f"unreadable ({e})"
            if meta is None:
                why.append(f"slot {slot}: {reason}")
            elif best is None or meta["epoch"] > best["epoch"]:
                best = meta
        if best is None:
            raise CorruptionError(f"no valid meta slot in {self.path}: " + "; ".join(why))
        if best["format_read"] > READ_VERSION:
            raise StoreError(f"store {self.path} needs a newer hashdir: format read version {best['format_read']}, "
                             f"this reader reads up to {READ_VERSION}")
        return best
