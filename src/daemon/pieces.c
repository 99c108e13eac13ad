// SPDX-License-Identifier: GPL-2.0-only
/*
 * Splitting giant pieces for bounded passes (pieces.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

#include "array.h"
#include "pieces.h"
#include "proc_file.h"

#define PAGE_BYTES 4096u
#define PM_PRESENT (UINT64_C(1) << 63)
#define PM_SWAPPED (UINT64_C(1) << 62)

/* Does [start, end) (within one block) hold a present or swapped page? */
static bool block_used(int fd, uint64_t start, uint64_t end)
{
	uint64_t e[PIECE_BLOCK_BYTES / PAGE_BYTES];
	size_t i, nr = (size_t)((end - start) / PAGE_BYTES);
	ssize_t got;

	if (fd < 0)
		return true;
	got = pread(fd, e, nr * sizeof(e[0]),
		    (off_t)(start / PAGE_BYTES * sizeof(e[0])));
	if (got != (ssize_t)(nr * sizeof(e[0])))
		return true; /* cannot tell: keep it */
	for (i = 0; i < nr; i++)
		if (e[i] & (PM_PRESENT | PM_SWAPPED))
			return true;
	return false;
}

static int push(struct piece **out, size_t *nr, size_t *cap, uint64_t start,
		uint64_t end)
{
	struct piece *p = array_reserve(*out, cap, *nr + 1, sizeof(**out), 8);

	if (!p)
		return -ENOMEM;
	*out = p;
	p[*nr].start = start;
	p[*nr].end = end;
	(*nr)++;
	return 0;
}

/* One giant piece: its used blocks, cut at every PIECE_MAX_BYTES. */
static int split_one(int fd, const struct piece *pc, struct piece **out,
		     size_t *nr, size_t *cap)
{
	uint64_t a = pc->start, run = 0;
	bool open_run = false;
	int err = 0;

	while (a < pc->end && !err) {
		uint64_t b = (a / PIECE_BLOCK_BYTES + 1) * PIECE_BLOCK_BYTES;
		bool cut = a % PIECE_MAX_BYTES == 0;

		if (b > pc->end)
			b = pc->end;
		if (open_run && cut) {
			err = push(out, nr, cap, run, a);
			open_run = false;
		}
		if (block_used(fd, a, b)) {
			if (!open_run)
				run = a;
			open_run = true;
		} else if (open_run) {
			err = push(out, nr, cap, run, a);
			open_run = false;
		}
		a = b;
	}
	if (!err && open_run)
		err = push(out, nr, cap, run, pc->end);
	return err;
}

int pieces_split(const char *proc_root, pid_t pid, const struct piece *in,
		 size_t n, struct piece **out, size_t *nout)
{
	char path[PATH_MAX];
	size_t i, cap = 0;
	int fd = -1, err = 0;

	*out = NULL;
	*nout = 0;
	for (i = 0; i < n && !err; i++) {
		uint64_t len = in[i].end - in[i].start;

		/* over PIECE_SCAN_MAX_BYTES: a reservation, which the pass
		 * skips (E2BIG) without our reading its pagemap */
		if (len <= PIECE_MAX_BYTES || len > PIECE_SCAN_MAX_BYTES) {
			err = push(out, nout, &cap, in[i].start, in[i].end);
			continue;
		}
		if (fd < 0 && !probe_path(path, sizeof(path), proc_root,
					  "/%d/pagemap", (int)pid))
			fd = open(path, O_RDONLY | O_CLOEXEC);
		err = split_one(fd, &in[i], out, nout, &cap);
	}
	if (fd >= 0)
		close(fd);
	if (err) {
		free(*out);
		*out = NULL;
		*nout = 0;
	}
	return err;
}
