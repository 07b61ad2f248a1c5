"""Follows a store the real engine is writing (CheckpointingWriter in the engine tests): refresh(),
then every page the snapshot's page map maps is read and verified (read_page: CRC32C, logical id,
epoch not newer than the snapshot) and must be an engine page kind. A stale snapshot (a row reused
after the writer's grace checkpoint) is the only error allowed: the pass is dropped and the next
refresh moves on. Used by PythonReaderTest.

    follow_engine.py <hashdir.h5> <final epoch> <timeout s>

Prints "ready ..." once open; last line "epochs_verified=N pages_verified=M stale_passes=S final_epoch=E
page_count=C". Exits 1 with a message on any bad page.
"""

import sys
import time

from hashdir.h5reader import PageKind, StaleSnapshotError, StoreError, open_snapshot, page_header

ENGINE_KINDS = {PageKind.BUCKET, PageKind.DIRECTORY, PageKind.VALUE_LEAF, PageKind.VALUE_INDEX, PageKind.OVERFLOW}


def fail(message):
    print(f"BAD: {message}", file=sys.stderr, flush=True)
    sys.exit(1)


def verify_every_page(reader):
    meta = reader.meta
    n = 0
    for page_id in range(1, meta["page_count"]):
        if reader.row_of(page_id) == 0:
            continue
        header = page_header(reader.read_page(page_id))
        if int(header["kind"]) not in ENGINE_KINDS or int(header["epoch"]) > meta["epoch"]:
            fail(f"page {page_id}: kind {header['kind']}, epoch {header['epoch']} in snapshot epoch {meta['epoch']}")
        n += 1
    if meta["directory_root"]:
        if int(page_header(reader.read_page(meta["directory_root"]))["kind"]) != PageKind.DIRECTORY:
            fail(f"directory root {meta['directory_root']} is not a DIRECTORY page")
    return n


def main():
    path, final_epoch, timeout = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    verified, stale, epochs = 0, 0, set()
    with open_snapshot(path) as reader:
        print(f"ready epoch={reader.meta['epoch']}", flush=True)
        deadline = time.monotonic() + timeout
        while True:
            if time.monotonic() > deadline:
                fail(f"timeout: at epoch {reader.meta['epoch']} of {final_epoch}")
            epoch = reader.refresh()["epoch"]
            if epoch not in epochs:
                try:
                    verified += verify_every_page(reader)
                    epochs.add(epoch)
                except StaleSnapshotError:
                    stale += 1
                except StoreError as e:
                    fail(f"epoch {epoch}: {e}")
            if epoch >= final_epoch and epoch in epochs:
                break
            time.sleep(0.002)
        print(f"epochs_verified={len(epochs)} pages_verified={verified} stale_passes={stale} "
              f"final_epoch={reader.meta['epoch']} page_count={reader.meta['page_count']} retries={reader.retries} "
              f"page_refreshes={reader.page_refreshes}", flush=True)


if __name__ == "__main__":
    main()
