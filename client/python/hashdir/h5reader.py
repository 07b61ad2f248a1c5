"""Read a hashdir store (``<data>/hashdir.h5``) with h5py, also while the engine writes it.

The file layout is documented in docs/format.md; the dtypes and constants here are the same. A
reader opens the file in SWMR-read mode and reads the last *published* checkpoint: ``meta`` is the
newest valid meta slot as of the last ``refresh()`` and does not change in between, so it lags the
writer by up to one checkpoint. ``read_page`` verifies each page (CRC32C, id) and re-reads it after
a refresh a few times before it gives up, because a page slot can be mid-write or a new chunk not
yet visible.

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
    ("free_list_root", "<u8"),
    ("deletion_log_root", "<u8"),
    ("keys", "<u8"),
    ("values", "<u8"),
    ("global_depth", "<u4"),
    ("flags", "<u4"),
    ("reserved", "V412"),
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


def check_page(path: str, page_id: int, page) -> CorruptionError | None:
    """Checks a page image read from ``path``: checksum first, then the id it claims."""
    page = bytes(page)
    header = page_header(page)
    stored, computed = int(header["crc32c"]), crc32c(page[PAGE_CRC_START:])
    if stored != computed:
        return _corrupt(path, page_id, 0, "page checksum", f"0x{stored:x}", f"0x{computed:x}")
    if int(header["page_id"]) != page_id:
        return _corrupt(path, page_id, 8, "page id", page_id, int(header["page_id"]))
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
        self._meta = meta
        return dict(meta)

    def read_page(self, page_id: int) -> np.ndarray:
        """Reads and verifies page ``page_id`` of the snapshot; returns it as a read-only uint8 array.

        Raises ValueError for an id outside the snapshot, CorruptionError when the page still fails
        verification after MAX_RETRIES re-reads, StaleSnapshotError when it is newer than the snapshot.
        """
        page_id = int(page_id)
        if not NULL_PAGE < page_id < self._meta["page_count"]:
            raise ValueError(f"page id not in snapshot: id={page_id}, page_count={self._meta['page_count']}, "
                             f"epoch={self._meta['epoch']}")
        if self._pages_stale or page_id >= self._known_rows:
            self._refresh_pages()
        failure = None
        for attempt in range(MAX_RETRIES + 1):
            if attempt:
                self.retries += 1
                time.sleep(0.001 * (1 << (attempt - 1)))
                self._refresh_pages()
            error, page = self._read_verified(page_id)
            if error is None:
                break
            failure = failure or error
        else:
            failure.args = (f"{failure.args[0]} (after {MAX_RETRIES} re-reads)",)
            raise failure
        page_epoch = int(page_header(page)["epoch"])
        if page_epoch > self._meta["epoch"]:
            raise StaleSnapshotError(f"snapshot is stale: file={self.path}, page={page_id} was rewritten in epoch "
                                     f"{page_epoch}, snapshot epoch={self._meta['epoch']}; refresh and retry")
        return page

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> "SnapshotReader":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _read_verified(self, page_id: int) -> tuple:
        try:
            _, chunk = self._pages.id.read_direct_chunk((page_id, 0))
        except (RuntimeError, OSError, KeyError, ValueError) as e:
            return _corrupt(self.path, page_id, 0, "page", "a written page",
                            f"unreadable chunk ({e}; rows known={self._known_rows})"), None
        if len(chunk) != self.page_size:
            return _corrupt(self.path, page_id, 0, "page size", self.page_size, len(chunk)), None
        return check_page(self.path, page_id, chunk), np.frombuffer(chunk, np.uint8)

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
