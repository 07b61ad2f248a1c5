"""Follows a store that PublishingWriter (engine tests, "pattern" fill) is writing, the way a user
would: open_snapshot, then refresh() and read_page() in a loop. Every page read must verify and
carry exactly the pattern body for its id and epoch. Used by PythonReaderTest.

    follow_store.py <hashdir.h5> <final epoch> <timeout s>

Prints "ready ..." once open, then waits for the final epoch, reading on each pass the newest
pages and a sample of older ones; at the end it reads every page. Last line:
"epochs_seen=N pages_verified=M final_epoch=E page_count=C". Exits 1 with a message on any bad page.
"""

import random
import sys
import time

import numpy as np

from hashdir.h5reader import PAGE_HEADER_BYTES, PageKind, StaleSnapshotError, StoreError, open_snapshot, page_header

NEWEST = 16
SAMPLE = 8


def fail(message):
    print(f"BAD: {message}", file=sys.stderr, flush=True)
    sys.exit(1)


def expected_body(page_id, version, page_size):
    """TestPages.patternByte: (off * 7 + id * 131 + version * 31) mod 256."""
    off = np.arange(PAGE_HEADER_BYTES, page_size, dtype=np.int64)
    return ((off * 7 + page_id * 131 + version * 31) & 0xFF).astype(np.uint8)


def read(reader, page_id):
    """read_page, refreshing when the snapshot went stale (the writer reuses the rows of the page
    map's old pages after its grace checkpoint); any other error fails."""
    for attempt in range(10):
        try:
            return reader.read_page(page_id)
        except StaleSnapshotError:
            reader.refresh()
        except StoreError as e:
            fail(f"epoch {reader.meta['epoch']}: {e}")
    fail(f"page {page_id}: still stale after 10 refreshes")


def check(reader, page_id):
    page = read(reader, page_id)
    header = page_header(page)
    version = int(header["epoch"])
    if header["kind"] != PageKind.TEST or version > reader.meta["epoch"]:
        fail(f"page {page_id}: kind {header['kind']}, epoch {version} in snapshot epoch {reader.meta['epoch']}")
    if not np.array_equal(page[PAGE_HEADER_BYTES:], expected_body(page_id, version, len(page))):
        fail(f"page {page_id}: body is not the pattern of version {version}")


def main():
    path, final_epoch, timeout = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    rng = random.Random(42)
    verified = 0
    with open_snapshot(path) as reader:
        print(f"ready epoch={reader.meta['epoch']}", flush=True)
        epochs = set()
        deadline = time.monotonic() + timeout
        while reader.refresh()["epoch"] < final_epoch:
            if time.monotonic() > deadline:
                fail(f"timeout: at epoch {reader.meta['epoch']} of {final_epoch}")
            count = reader.meta["page_count"]
            epochs.add(reader.meta["epoch"])
            ids = list(range(max(1, count - NEWEST), count))
            ids += [rng.randrange(1, count) for _ in range(SAMPLE if count > 1 else 0)]
            for page_id in ids:
                check(reader, page_id)
            verified += len(ids)
        epochs.add(reader.meta["epoch"])
        for page_id in range(1, reader.meta["page_count"]):
            check(reader, page_id)
        verified += reader.meta["page_count"] - 1
        print(f"epochs_seen={len(epochs)} pages_verified={verified} final_epoch={reader.meta['epoch']} "
              f"page_count={reader.meta['page_count']} retries={reader.retries} "
              f"page_refreshes={reader.page_refreshes}", flush=True)


if __name__ == "__main__":
    main()
