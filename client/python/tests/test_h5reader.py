"""Unit tests of hashdir.h5reader: CRC32C, the dtypes against the Java layouts, and the reader on
small stores built here with h5py in the documented layout. Run by PythonReaderTest (engine) in CI:

    PYTHONPATH=client/python /usr/bin/python3 -m unittest discover -s client/python/tests
"""

import os
import struct
import subprocess
import sys
import tempfile
import unittest

import h5py
import numpy as np

from hashdir import h5reader
from hashdir.h5reader import (META_DTYPE, PAGE_HEADER_DTYPE, CorruptionError, PageKind, StaleSnapshotError,
                              StoreError, crc32c, open_snapshot)

PAGE = 4096


def meta_bytes(epoch, page_count, format_read=1, page_map_root=0, row_count=1):
    rec = np.zeros(1, META_DTYPE)
    rec["magic"] = b"hashdir"
    rec["format_read"] = format_read
    rec["format_write"] = 1
    rec["key_bytes"] = 32
    rec["page_size"] = PAGE
    rec["epoch"] = epoch
    rec["page_count"] = page_count
    rec["page_map_root"] = page_map_root
    rec["row_count"] = row_count
    raw = bytearray(rec.tobytes())
    raw[508:512] = crc32c(raw[:508]).to_bytes(4, "little")
    return bytes(raw)


def sealed(raw):
    raw = bytearray(raw)
    raw[0:4] = crc32c(raw[4:]).to_bytes(4, "little")
    return bytes(raw)


def map_pages(rows, page_count, epoch, first_row):
    """A page map for {logical id: row}: leaves then index pages from first_row on.
    Returns ({row: bytes}, page_map_root, next free row)."""
    per_leaf = (PAGE - 24) // 8
    per_chain = (PAGE - 40) // 8
    leaves = (page_count + per_leaf - 1) // per_leaf
    out, row = {}, first_row
    leaf_rows = []
    for leaf in range(leaves):
        rec = np.zeros(1, h5reader.page_map_dtype(PAGE))
        rec["header"]["kind"], rec["header"]["version"] = PageKind.PAGE_MAP, 1
        rec["header"]["page_id"], rec["header"]["epoch"] = leaf, epoch
        for page_id, r in rows.items():
            if page_id // per_leaf == leaf:
                rec["rows"][0][page_id % per_leaf] = r
        out[row] = sealed(rec.tobytes())
        leaf_rows.append(row)
        row += 1
    chain = [leaf_rows[i:i + per_chain] for i in range(0, len(leaf_rows), per_chain)]
    root = row
    for position, ids in enumerate(chain):
        rec = np.zeros(1, h5reader.chain_dtype(PAGE))
        rec["header"]["kind"], rec["header"]["version"] = PageKind.PAGE_MAP_INDEX, 1
        rec["header"]["page_id"], rec["header"]["epoch"] = position, epoch
        rec["next"] = row + 1 if position + 1 < len(chain) else 0
        rec["count"] = len(ids)
        rec["ids"][0][:len(ids)] = ids
        out[row] = sealed(rec.tobytes())
        row += 1
    return out, root, row


def store(epoch, page_count, pages, first_row=3, format_read=1):
    """(meta bytes, {row: bytes}): pages {logical id: bytes} at rows first_row + 2 * i (not their ids), plus a map."""
    rows = {page_id: first_row + 2 * i for i, page_id in enumerate(sorted(pages))}
    at = {rows[page_id]: raw for page_id, raw in pages.items()}
    map_rows, root, row_count = map_pages(rows, page_count, epoch, first_row + 2 * len(pages))
    at.update(map_rows)
    return meta_bytes(epoch, page_count, format_read, root, row_count), at


def page_bytes(page_id, epoch, fill=0xAB):
    header = np.zeros(1, PAGE_HEADER_DTYPE)
    header["kind"] = PageKind.TEST
    header["version"] = 1
    header["page_id"] = page_id
    header["epoch"] = epoch
    raw = bytearray(header.tobytes() + bytes([fill]) * (PAGE - 24))
    raw[0:4] = crc32c(raw[4:]).to_bytes(4, "little")
    return bytes(raw)


class Crc32cTest(unittest.TestCase):

    def test_known_vectors(self):
        self.assertEqual(crc32c(b"123456789"), 0xE3069283)
        self.assertEqual(crc32c(b""), 0)
        self.assertEqual(crc32c(bytes(32)), 0x8A9136AA)  # RFC 3720 B.4
        self.assertEqual(crc32c(b"\xff" * 32), 0x62A8AB43)
        self.assertEqual(crc32c(bytes(range(32))), 0x46DD794E)

    def test_continues_and_takes_any_buffer(self):
        self.assertEqual(crc32c(b"6789", crc32c(b"12345")), 0xE3069283)
        self.assertEqual(crc32c(np.frombuffer(b"123456789", np.uint8)), 0xE3069283)
        self.assertEqual(crc32c(memoryview(b"123456789")), 0xE3069283)


class DtypeTest(unittest.TestCase):
    """Offsets are MetaLayout's and PageLayout's constants (engine/.../store)."""

    def test_meta_dtype_is_meta_layout(self):
        self.assertEqual(META_DTYPE.itemsize, 512)
        offsets = {name: META_DTYPE.fields[name][1] for name in META_DTYPE.names}
        self.assertEqual(offsets, {
            "magic": 0, "format_read": 8, "format_write": 12, "key_bytes": 16, "page_size": 20, "epoch": 24,
            "checkpoint_lsn": 32, "page_count": 40, "directory_root": 48, "page_map_root": 56,
            "deletion_log_root": 64, "keys": 72, "values": 80, "global_depth": 88, "flags": 92, "row_count": 96,
            "reserved": 104, "crc32c": 508})

    def test_map_dtypes_are_page_map_and_free_list_layouts(self):
        self.assertEqual(h5reader.CHAIN_HEADER_DTYPE.itemsize, 40)
        self.assertEqual({n: h5reader.CHAIN_HEADER_DTYPE.fields[n][1] for n in h5reader.CHAIN_HEADER_DTYPE.names},
                         {"header": 0, "next": 24, "count": 32, "reserved": 36})
        self.assertEqual(h5reader.chain_dtype(PAGE).itemsize, PAGE)
        self.assertEqual(h5reader.chain_dtype(PAGE).fields["ids"][1], 40)
        leaf = h5reader.page_map_dtype(PAGE)
        self.assertEqual((leaf.itemsize, leaf.fields["rows"][1], leaf.fields["rows"][0].shape), (PAGE, 24, (509,)))

    def test_dtypes_are_little_endian(self):
        raw = struct.pack("<8sIIIIQQQQQQQQIIQ404xI", b"hashdir\0", 1, 2, 32, 8192, 0x0102030405060708, 9, 10, 11, 12,
                          13, 14, 15, 16, 0, 17, 0xA1B2C3D4)
        rec = np.frombuffer(raw, META_DTYPE)[0]
        self.assertEqual((rec["format_write"], rec["page_size"], rec["epoch"], rec["global_depth"], rec["page_map_root"],
                          rec["row_count"], rec["crc32c"]), (2, 8192, 0x0102030405060708, 16, 12, 17, 0xA1B2C3D4))
        header = np.frombuffer(struct.pack("<IBBHQQ", 0xA1B2C3D4, 5, 1, 0, 0x1122334455667788, 3),
                               PAGE_HEADER_DTYPE)[0]
        self.assertEqual((header["crc32c"], header["kind"], header["page_id"], header["epoch"]),
                         (0xA1B2C3D4, PageKind.OVERFLOW, 0x1122334455667788, 3))

    def test_page_header_dtype_is_page_layout(self):
        self.assertEqual(PAGE_HEADER_DTYPE.itemsize, 24)
        offsets = {name: PAGE_HEADER_DTYPE.fields[name][1] for name in PAGE_HEADER_DTYPE.names}
        self.assertEqual(offsets, {"crc32c": 0, "kind": 4, "version": 5, "reserved": 6, "page_id": 8, "epoch": 16})

    def test_meta_round_trip(self):
        meta, why = h5reader.decode_meta(meta_bytes(7, 12))
        self.assertIsNone(why)
        self.assertEqual((meta["magic"], meta["epoch"], meta["page_count"], meta["page_size"]), (b"hashdir", 7, 12, PAGE))
        torn = bytearray(meta_bytes(7, 12))
        torn[100] ^= 1
        self.assertIn("crc32c", h5reader.decode_meta(torn)[1])
        self.assertIn("magic", h5reader.decode_meta(bytes(512))[1])


class PackageTest(unittest.TestCase):

    def test_importing_the_package_does_not_import_h5py(self):
        out = subprocess.run([sys.executable, "-c", "import sys, hashdir; print('h5py' in sys.modules)"],
                             capture_output=True, text=True, check=True)
        self.assertEqual(out.stdout.strip(), "False")


class ReaderTest(unittest.TestCase):

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.path = os.path.join(self.tmp.name, "hashdir.h5")

    def tearDown(self):
        self.tmp.cleanup()

    def make_store(self, metas, pages, fmt="hashdir"):
        """metas: {slot: bytes}; pages: {row: bytes}."""
        with h5py.File(self.path, "w", libver="latest") as f:
            f.attrs["format"] = np.bytes_(fmt)
            meta = f.create_dataset("meta", shape=(2, 512), chunks=(1, 512), dtype="u1")
            ds = f.create_dataset("pages", shape=(32, PAGE), maxshape=(None, PAGE), chunks=(1, PAGE), dtype="u1")
            for slot, raw in metas.items():
                meta.id.write_direct_chunk((slot, 0), raw)
            for row, raw in pages.items():
                ds.id.write_direct_chunk((row, 0), raw)

    def test_newest_valid_meta_wins(self):
        meta, pages = store(3, 4, {1: page_bytes(1, 2), 2: page_bytes(2, 3)})
        self.make_store({0: meta_bytes(2, 3), 1: meta}, pages)
        with open_snapshot(self.tmp.name) as r:
            self.assertEqual((r.meta["epoch"], r.meta["page_count"]), (3, 4))
            self.assertEqual((r.row_of(1), r.row_of(2), r.row_of(3)), (3, 5, 0))
            page = r.read_page(2)
            self.assertEqual(len(page), PAGE)
            self.assertEqual(int(h5reader.page_header(page)["page_id"]), 2)
            with self.assertRaisesRegex(ValueError, "free in the snapshot: id=3"):
                r.read_page(3)
            self.assertEqual(r.retries, 0)
        torn = bytearray(meta_bytes(3, 4))
        torn[40] ^= 1
        self.make_store({0: meta_bytes(2, 3), 1: bytes(torn)}, {})
        with open_snapshot(self.path) as r:
            self.assertEqual(r.meta["epoch"], 2)
        self.make_store({0: bytes(512), 1: bytes(torn)}, {})
        with self.assertRaisesRegex(CorruptionError, "no valid meta slot.*slot 0: magic.*slot 1: crc32c"):
            open_snapshot(self.path)

    def test_bad_pages_fail_after_bounded_retries(self):
        flipped = bytearray(page_bytes(1, 2))
        flipped[1000] ^= 0x10
        meta, pages = store(2, 5, {1: bytes(flipped), 2: page_bytes(3, 2), 3: page_bytes(3, 2), 4: page_bytes(4, 2)})
        del pages[9]  # page 4's row: never written
        self.make_store({0: meta}, pages)
        with open_snapshot(self.path) as r:
            with self.assertRaisesRegex(CorruptionError, r"page checksum \(page 1\): .*page=3.*after 5 re-reads") as caught:
                r.read_page(1)
            self.assertEqual(caught.exception.page, 3)
            self.assertEqual(r.retries, h5reader.MAX_RETRIES)
            with self.assertRaisesRegex(CorruptionError, r"page id \(page 2\): .*expected=2, actual=3"):
                r.read_page(2)
            with self.assertRaisesRegex(CorruptionError, "unreadable chunk"):
                r.read_page(4)
            self.assertEqual(int(h5reader.page_header(r.read_page(3))["epoch"]), 2)
            for bad in (0, 5):
                with self.assertRaisesRegex(ValueError, f"id={bad}, page_count=5, epoch=2"):
                    r.read_page(bad)

    def test_a_bad_map_page_fails(self):
        meta, pages = store(2, 2, {1: page_bytes(1, 2)})
        leaf = bytearray(pages[5])
        leaf[3000] ^= 1
        pages[5] = bytes(leaf)
        self.make_store({0: meta}, pages)
        with open_snapshot(self.path) as r:
            with self.assertRaisesRegex(CorruptionError, r"page checksum \(page map leaf 0\): .*page=5"):
                r.read_page(1)

    def test_a_checkpoint_without_a_page_map_has_no_pages(self):
        self.make_store({0: meta_bytes(2, 3)}, {1: page_bytes(1, 2)})
        with open_snapshot(self.path) as r:
            self.assertEqual(r.row_of(1), 0)
            with self.assertRaisesRegex(ValueError, "free in the snapshot"):
                r.read_page(1)

    def test_a_page_newer_than_the_snapshot_is_stale(self):
        meta, pages = store(2, 3, {1: page_bytes(1, 2), 2: page_bytes(2, 5)})
        self.make_store({0: meta}, pages)
        with open_snapshot(self.path) as r:
            r.read_page(1)
            with self.assertRaisesRegex(StaleSnapshotError, r"page 2 \(row 5\) was rewritten in epoch 5, snapshot epoch=2"):
                r.read_page(2)
            self.assertEqual(r.retries, 0)

    def test_refuses_what_it_cannot_read(self):
        with self.assertRaisesRegex(StoreError, "no store at"):
            open_snapshot(self.tmp.name)
        self.make_store({0: meta_bytes(2, 1)}, {}, fmt="something-else")
        with self.assertRaisesRegex(StoreError, "not a hashdir store"):
            open_snapshot(self.path)
        self.make_store({0: meta_bytes(2, 1, format_read=2), 1: meta_bytes(1, 1)}, {})
        with self.assertRaisesRegex(StoreError, "needs a newer hashdir: format read version 2"):
            open_snapshot(self.path)


if __name__ == "__main__":
    unittest.main()
