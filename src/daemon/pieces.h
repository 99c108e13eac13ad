/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The pieces a job's passes work on. A pass costs 16 bytes per page of
 * its span (frame numbers read, planned, verified), present or not: a
 * piece over PIECE_MAX_BYTES is split at every 2 MiB block without a
 * present or swapped page and at every PIECE_MAX_BYTES boundary, so that
 * a sparse giant VMA costs what its present pages cost and no pass spans
 * more than PIECE_MAX_BYTES. Pieces up to that size are left whole, and
 * so are pieces over PIECE_SCAN_MAX_BYTES (64 GiB, the executor's limit):
 * those are reservations (e.g. a sanitizer's shadow, terabytes), skipped
 * by the pass, and reading their pagemap would take minutes.
 */
#ifndef CONTIG_DAEMON_PIECES_H
#define CONTIG_DAEMON_PIECES_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define PIECE_MAX_BYTES (UINT64_C(1) << 30)
#define PIECE_BLOCK_BYTES (UINT64_C(2) << 20)
#define PIECE_SCAN_MAX_BYTES (UINT64_C(64) << 30)

struct piece {
	uint64_t start, end;
};

/*
 * Split in[0, n) (sorted, page-aligned) into *out (malloc'd, *nout
 * entries), reading which blocks hold pages from <proc_root>/PID/pagemap
 * (when it cannot be read, only the size limit splits). 0 or -ENOMEM.
 */
int pieces_split(const char *proc_root, pid_t pid, const struct piece *in,
		 size_t n, struct piece **out, size_t *nout);

#endif
