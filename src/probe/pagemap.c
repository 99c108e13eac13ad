// SPDX-License-Identifier: GPL-2.0-only
/*
 * Batched pagemap reads.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "pagemap.h"
#include "array.h"
#include "proc_file.h"

/* Entries per pread: 512 KiB, 256 MiB of address space. */
#define PM_BATCH 65536u

/*
 * The PAGEMAP_SCAN ioctl ABI (include/uapi/linux/fs.h, Linux 6.7), spelled
 * out because the build host's headers may predate it.
 */
struct page_region_compat {
	uint64_t start;
	uint64_t end;
	uint64_t categories;
};

struct pm_scan_arg_compat {
	uint64_t size;
	uint64_t flags;
	uint64_t start;
	uint64_t end;
	uint64_t walk_end;
	uint64_t vec;
	uint64_t vec_len;
	uint64_t max_pages;
	uint64_t category_inverted;
	uint64_t category_mask;
	uint64_t category_anyof_mask;
	uint64_t return_mask;
};

#define PM_SCAN_IOCTL _IOWR('f', 16, struct pm_scan_arg_compat)
#define PM_SCAN_PAGE_IS_PRESENT (1u << 3)
#define PM_SCAN_PAGE_IS_SWAPPED (1u << 4)

int pagemap_open(const char *proc_root, pid_t pid)
{
	char path[PATH_MAX];
	int fd, err;

	err = probe_path(path, sizeof(path), proc_root, "%d/pagemap", (int)pid);
	if (err)
		return err;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -probe_task_errno(errno);
	return fd;
}

int pagemap_decode(uint64_t *e, uint64_t nr, struct pagemap_counts *c)
{
	uint64_t i, present = 0, swapped = 0;
	bool hidden = false;

	for (i = 0; i < nr; i++) {
		uint64_t v = e[i];

		if (v & PM_PRESENT) {
			e[i] = v & PM_PFN_MASK;
			hidden |= e[i] == 0;
			present++;
		} else {
			swapped += !!(v & PM_SWAPPED);
			e[i] = CONTIG_PFN_NONE;
		}
	}
	if (c) {
		c->present += present;
		c->swapped += swapped;
	}
	return hidden ? -EPERM : 0;
}

/* Read exactly nr raw entries starting at page vpn. */
static int pagemap_pread(int fd, uint64_t vpn, uint64_t nr, uint64_t *buf)
{
	char *p = (char *)buf;
	size_t left = nr * PM_ENTRY_BYTES;
	off_t off;

	if (vpn > (uint64_t)INT64_MAX / PM_ENTRY_BYTES)
		return -EINVAL;
	off = (off_t)(vpn * PM_ENTRY_BYTES);
	while (left) {
		ssize_t r = pread(fd, p, left, off);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -probe_task_errno(errno);
		}
		if (r == 0)
			return -ESRCH; /* the mm is gone: the process exited */
		p += r;
		off += r;
		left -= (size_t)r;
	}
	return 0;
}

int pagemap_read(int fd, uint64_t start_vpn, uint64_t nr, uint64_t *pfn,
		 struct pagemap_counts *c)
{
	uint64_t done = 0;

	while (done < nr) {
		uint64_t n = nr - done < PM_BATCH ? nr - done : PM_BATCH;
		int err = pagemap_pread(fd, start_vpn + done, n, pfn + done);

		if (!err)
			err = pagemap_decode(pfn + done, n, c);
		if (err)
			return err;
		done += n;
	}
	return 0;
}

struct pv_builder {
	struct pagemap_vma *pv;
	uint64_t cap;
	size_t cap_gaps;
	bool prev_empty_block; /* the last kept full block had no page */
};

/* Make room for n more entries. */
static int pv_reserve(struct pv_builder *b, uint64_t n)
{
	struct vma_pages *vp = &b->pv->pages;
	uint64_t cap = b->cap ? b->cap : 4096;
	uint64_t *p;

	if (vp->nr + n <= b->cap)
		return 0;
	while (cap < vp->nr + n)
		cap *= 2;
	p = realloc(vp->pfn, cap * sizeof(*p));
	if (!p)
		return -ENOMEM;
	vp->pfn = p;
	b->cap = cap;
	return 0;
}

/* Append n entries, or n CONTIG_PFN_NONE when pfn is NULL. */
static int pv_append(struct pv_builder *b, const uint64_t *pfn, uint64_t n)
{
	struct vma_pages *vp = &b->pv->pages;
	uint64_t i;
	int err = pv_reserve(b, n);

	if (err)
		return err;
	if (pfn)
		memcpy(vp->pfn + vp->nr, pfn, n * sizeof(*pfn));
	else
		for (i = 0; i < n; i++)
			vp->pfn[vp->nr + i] = CONTIG_PFN_NONE;
	vp->nr += n;
	return 0;
}

static int pv_drop(struct pv_builder *b, uint64_t n)
{
	struct pagemap_vma *pv = b->pv;
	struct pagemap_gap *g;

	if (pv->nr_gaps && pv->gaps[pv->nr_gaps - 1].at == pv->pages.nr) {
		pv->gaps[pv->nr_gaps - 1].dropped += n;
		return 0;
	}
	g = array_reserve(pv->gaps, &b->cap_gaps, pv->nr_gaps + 1, sizeof(*g),
			  16);
	if (!g)
		return -ENOMEM;
	pv->gaps = g;
	g = &pv->gaps[pv->nr_gaps++];
	g->at = pv->pages.nr;
	g->dropped = n;
	return 0;
}

/* No present page among n entries (NULL: all absent). */
static bool block_empty(const uint64_t *pfn, uint64_t n)
{
	uint64_t i;

	for (i = 0; pfn && i < n; i++)
		if (pfn[i] != CONTIG_PFN_NONE)
			return false;
	return true;
}

/* Feed decoded entries (NULL: all absent) for pages [vpn, vpn + n), split
 * on 2 MiB boundaries; only whole aligned blocks may be dropped. */
static int pv_feed(struct pv_builder *b, uint64_t vpn, const uint64_t *pfn,
		   uint64_t n)
{
	while (n) {
		uint64_t to_boundary = CONTIG_PAGES_2M - vpn % CONTIG_PAGES_2M;
		uint64_t k = n < to_boundary ? n : to_boundary;
		bool full = k == CONTIG_PAGES_2M;
		int err;

		if (full && block_empty(pfn, k)) {
			if (b->prev_empty_block) {
				err = pv_drop(b, k);
			} else {
				b->prev_empty_block = true;
				err = pv_append(b, pfn, k);
			}
		} else {
			b->prev_empty_block = false;
			err = pv_append(b, pfn, k);
		}
		if (err)
			return err;
		vpn += k;
		if (pfn)
			pfn += k;
		n -= k;
	}
	return 0;
}

/*
 * n pages known to be absent: the same result as feeding n absent entries,
 * without walking the whole blocks in between one by one.
 */
static int pv_skip(struct pv_builder *b, uint64_t vpn, uint64_t n)
{
	uint64_t head =
		(CONTIG_PAGES_2M - vpn % CONTIG_PAGES_2M) % CONTIG_PAGES_2M;
	uint64_t blocks;
	int err;

	if (head >= n)
		return pv_feed(b, vpn, NULL, n);
	if (head) {
		err = pv_feed(b, vpn, NULL, head);
		if (err)
			return err;
		vpn += head;
		n -= head;
	}
	blocks = n / CONTIG_PAGES_2M;
	if (blocks && !b->prev_empty_block) {
		err = pv_feed(b, vpn, NULL, CONTIG_PAGES_2M);
		if (err)
			return err;
		vpn += CONTIG_PAGES_2M;
		n -= CONTIG_PAGES_2M;
		blocks--;
	}
	if (blocks) {
		err = pv_drop(b, blocks * CONTIG_PAGES_2M);
		if (err)
			return err;
		vpn += blocks * CONTIG_PAGES_2M;
		n -= blocks * CONTIG_PAGES_2M;
	}
	return n ? pv_feed(b, vpn, NULL, n) : 0;
}

int pagemap_read_vma_windows(int fd, uint64_t start_vpn, uint64_t nr,
			     const struct pagemap_window *w, size_t nr_w,
			     struct pagemap_vma *out)
{
	struct pv_builder b = { .pv = out };
	uint64_t *buf, vpn = start_vpn, end = start_vpn + nr;
	size_t k;
	int err = 0;

	memset(out, 0, sizeof(*out));
	out->pages.start_vpn = start_vpn;
	out->real_nr = nr;
	buf = malloc(PM_BATCH * sizeof(*buf));
	if (!buf)
		return -ENOMEM;
	for (k = 0; k <= nr_w && !err && vpn < end; k++) {
		uint64_t ws = k < nr_w ? w[k].start_vpn : end;
		uint64_t we = k < nr_w ? w[k].end_vpn : end;

		if (ws < vpn)
			ws = vpn;
		if (we > end)
			we = end;
		if (k == nr_w)
			ws = end; /* nothing may be present after the last */
		if (ws >= we && k < nr_w)
			continue;
		if (ws > vpn) {
			err = pv_skip(&b, vpn, ws - vpn);
			vpn = ws;
		}
		while (!err && vpn < we) {
			/* Batches end on 2 MiB boundaries. */
			uint64_t n = PM_BATCH - vpn % CONTIG_PAGES_2M;

			if (n > we - vpn)
				n = we - vpn;
			err = pagemap_pread(fd, vpn, n, buf);
			if (!err)
				err = pagemap_decode(buf, n, &out->counts);
			if (!err)
				err = pv_feed(&b, vpn, buf, n);
			vpn += n;
		}
	}
	free(buf);
	if (err)
		pagemap_vma_free(out);
	return err;
}

/*
 * PAGEMAP_SCAN (Linux 6.7): the page ranges that are present or swapped,
 * found by a page-table walk that skips empty tables, so a 16 TiB
 * sanitizer shadow costs microseconds instead of a 32 GiB read. Each range
 * is widened to 2 MiB blocks (reads stay block-aligned) and merged.
 * -ENOTTY or -EINVAL when the kernel does not have it; the caller then
 * reads everything.
 */
static int pagemap_scan_windows(int fd, uint64_t start_vpn, uint64_t nr,
				struct pagemap_window **out, size_t *nr_out)
{
	struct pm_scan_arg_compat arg;
	struct page_region_compat regs[512];
	struct pagemap_window *w = NULL, *p;
	size_t n = 0, cap = 0;
	uint64_t addr = start_vpn << CONTIG_PAGE_SHIFT;
	uint64_t end = (start_vpn + nr) << CONTIG_PAGE_SHIFT;

	*out = NULL;
	*nr_out = 0;
	while (addr < end) {
		long r;
		long i;

		memset(&arg, 0, sizeof(arg));
		arg.size = sizeof(arg);
		arg.start = addr;
		arg.end = end;
		arg.vec = (uint64_t)(uintptr_t)regs;
		arg.vec_len = sizeof(regs) / sizeof(regs[0]);
		arg.category_anyof_mask = PM_SCAN_PAGE_IS_PRESENT |
					  PM_SCAN_PAGE_IS_SWAPPED;
		arg.return_mask = arg.category_anyof_mask;
		r = ioctl(fd, PM_SCAN_IOCTL, &arg);
		if (r < 0) {
			int err = errno == EINTR ? 0 : -probe_task_errno(errno);

			if (!err)
				continue;
			free(w);
			return err;
		}
		for (i = 0; i < r; i++) {
			uint64_t s = regs[i].start >> CONTIG_PAGE_SHIFT;
			uint64_t e =
				(regs[i].end + (1u << CONTIG_PAGE_SHIFT) - 1) >>
				CONTIG_PAGE_SHIFT;

			s -= s % CONTIG_PAGES_2M;
			e += (CONTIG_PAGES_2M - e % CONTIG_PAGES_2M) %
			     CONTIG_PAGES_2M;
			if (n && s <= w[n - 1].end_vpn) {
				if (e > w[n - 1].end_vpn)
					w[n - 1].end_vpn = e;
				continue;
			}
			p = array_reserve(w, &cap, n + 1, sizeof(*w), 64);
			if (!p) {
				free(w);
				return -ENOMEM;
			}
			w = p;
			w[n].start_vpn = s;
			w[n].end_vpn = e;
			n++;
		}
		if (arg.walk_end <= addr) {
			free(w);
			return -EIO; /* no progress: do not spin */
		}
		addr = arg.walk_end;
	}
	*out = w;
	*nr_out = n;
	return 0;
}

int pagemap_read_vma(int fd, uint64_t start_vpn, uint64_t nr,
		     struct pagemap_vma *out)
{
	struct pagemap_window all = { start_vpn, start_vpn + nr }, *w;
	size_t nr_w;
	int err;

	if (!nr)
		return pagemap_read_vma_windows(fd, start_vpn, 0, NULL, 0, out);
	err = pagemap_scan_windows(fd, start_vpn, nr, &w, &nr_w);
	if (err == -ESRCH || err == -ENOMEM) {
		memset(out, 0, sizeof(*out));
		return err;
	}
	if (err) {
		/* No PAGEMAP_SCAN (older kernel, a fake /proc): read it all. */
		return pagemap_read_vma_windows(fd, start_vpn, nr, &all, 1,
						out);
	}
	err = pagemap_read_vma_windows(fd, start_vpn, nr, w, nr_w, out);
	free(w);
	return err;
}

void pagemap_vma_free(struct pagemap_vma *pv)
{
	free(pv->pages.pfn);
	free(pv->gaps);
	memset(pv, 0, sizeof(*pv));
}
