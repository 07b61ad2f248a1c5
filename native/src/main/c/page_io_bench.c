/*
 * C reference benchmark of hashdir's page I/O: the limit the Java (FFM) path is measured against
 * (bench/src/main/java/dev/hashdir/bench/PageIoBenchmark.java does the same loop from Java).
 *
 *   page_io_bench PATH N SEED
 *
 * Creates PATH (truncating it) with libver bounds LATEST/LATEST and one dataset "pages": u8
 * [N, 4096], chunk [1, 4096], maxdims [UNLIMITED, 4096], no filters. Then:
 *
 *   write phase: writes all N pages, one H5Dwrite_chunk each, in a seeded random order;
 *   read phase:  reads all N pages, one H5Dread_chunk each, in another seeded random order, and
 *                checks each page's stamps, so every read returned the page asked for.
 *
 * Only the loops are timed (CLOCK_MONOTONIC); creating and closing the file are not. Prints one
 * line per phase on stdout:
 *
 *   phase=write pages=N ns_per_page=2512.3 total_ns=...
 *   phase=read pages=N ns_per_page=4970.1 total_ns=...
 *
 * Page layout (little-endian u64 words; the Java benchmark writes the same bytes):
 *
 *   offset  size  content
 *   0       8     page id
 *   8       4080  filler bytes from the generator, the same for every page
 *   4088    8     ~page id
 *
 * The orders come from splitmix64 seeded with SEED: a Fisher-Yates shuffle of 0..N-1 for the
 * writes, then a second shuffle of 0..N-1 (same generator, continuing) for the reads.
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime under -std=c11 */

#include <hdf5.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PAGE 4096

static void die(const char *what) {
    fprintf(stderr, "page_io_bench: %s failed\n", what);
    H5Eprint2(H5E_DEFAULT, stderr);
    exit(EXIT_FAILURE);
}

static uint64_t splitmix64(uint64_t *state) {
    uint64_t z = (*state += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

/* order[i] = a permutation of 0..n-1 (modulo bias is irrelevant for n far below 2^64) */
static void shuffle(uint64_t *order, uint64_t n, uint64_t *rng) {
    for (uint64_t i = 0; i < n; i++) {
        order[i] = i;
    }
    for (uint64_t i = n; i > 1; i--) {
        uint64_t j = splitmix64(rng) % i;
        uint64_t t = order[i - 1];
        order[i - 1] = order[j];
        order[j] = t;
    }
}

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static hid_t create_pages(const char *path, uint64_t n, hid_t *file) {
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (fapl < 0 || H5Pset_libver_bounds(fapl, H5F_LIBVER_LATEST, H5F_LIBVER_LATEST) < 0) {
        die("H5Pset_libver_bounds(LATEST, LATEST)");
    }
    *file = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    if (*file < 0) {
        die("H5Fcreate");
    }
    hsize_t dims[2] = {n, PAGE};
    hsize_t max_dims[2] = {H5S_UNLIMITED, PAGE};
    hsize_t chunk[2] = {1, PAGE};
    hid_t space = H5Screate_simple(2, dims, max_dims);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    if (space < 0 || dcpl < 0 || H5Pset_chunk(dcpl, 2, chunk) < 0) {
        die("dataspace or H5Pset_chunk");
    }
    hid_t dset = H5Dcreate2(*file, "pages", H5T_STD_U8LE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    if (dset < 0) {
        die("H5Dcreate2(pages)");
    }
    H5Pclose(dcpl);
    H5Sclose(space);
    H5Pclose(fapl);
    return dset;
}

static void report(const char *phase, uint64_t n, int64_t elapsed_ns) {
    printf("phase=%s pages=%" PRIu64 " ns_per_page=%.1f total_ns=%" PRId64 "\n",
           phase, n, (double) elapsed_ns / (double) n, elapsed_ns);
    fflush(stdout);
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: %s PATH N SEED\n", argv[0]);
        return 2;
    }
    const char *path = argv[1];
    char *end;
    uint64_t n = strtoull(argv[2], &end, 10);
    if (*end != '\0' || n == 0) {
        fprintf(stderr, "page_io_bench: N must be a positive integer, got '%s'\n", argv[2]);
        return 2;
    }
    uint64_t rng = strtoull(argv[3], &end, 10);
    if (*end != '\0') {
        fprintf(stderr, "page_io_bench: SEED must be an unsigned integer, got '%s'\n", argv[3]);
        return 2;
    }

    uint64_t *order = malloc(n * sizeof *order);
    unsigned char *page = aligned_alloc(PAGE, PAGE);
    if (order == NULL || page == NULL) {
        fprintf(stderr, "page_io_bench: out of memory for N=%" PRIu64 "\n", n);
        return 1;
    }
    for (size_t i = 0; i < PAGE; i += 8) {
        uint64_t filler = splitmix64(&rng);
        memcpy(page + i, &filler, 8);
    }

    hid_t file;
    hid_t dset = create_pages(path, n, &file);
    hsize_t offset[2] = {0, 0};

    shuffle(order, n, &rng);
    int64_t start = now_ns();
    for (uint64_t i = 0; i < n; i++) {
        uint64_t id = order[i];
        uint64_t tail = ~id;
        memcpy(page, &id, 8);
        memcpy(page + PAGE - 8, &tail, 8);
        offset[0] = id;
        if (H5Dwrite_chunk(dset, H5P_DEFAULT, 0, offset, PAGE, page) < 0) {
            die("H5Dwrite_chunk");
        }
    }
    report("write", n, now_ns() - start);

    shuffle(order, n, &rng);
    uint32_t filters = 0;
    start = now_ns();
    for (uint64_t i = 0; i < n; i++) {
        uint64_t id = order[i];
        offset[0] = id;
        if (H5Dread_chunk(dset, H5P_DEFAULT, offset, &filters, page) < 0) {
            die("H5Dread_chunk");
        }
        uint64_t head, tail;
        memcpy(&head, page, 8);
        memcpy(&tail, page + PAGE - 8, 8);
        if (head != id || tail != ~id) {
            fprintf(stderr, "page_io_bench: page %" PRIu64 " reads back as head=%" PRIu64 " tail=~%" PRIu64 "\n",
                    id, head, ~tail);
            return 1;
        }
    }
    report("read", n, now_ns() - start);

    if (H5Dclose(dset) < 0 || H5Fclose(file) < 0) {
        die("closing");
    }
    free(page);
    free(order);
    return 0;
}
