// SPDX-License-Identifier: GPL-2.0-only
/*
 * Frame map of the running machine from iomem, zoneinfo and kpage*.
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "framemap_build.h"
#include "array.h"
#include "kpageflags.h"
#include "proc_file.h"

#define PAGE_SIZE_BYTES (UINT64_C(1) << 12)
/* Frames per batch: 512 KiB of flags and 512 KiB of counts. */
#define FM_BATCH 65536u
/* Zones listed in zoneinfo, populated or not (nodes x zone types). */
#define ZONEINFO_MAX 256

static int cmp_range(const void *a, const void *b)
{
	const struct pfn_range *x = a, *y = b;

	return (x->start > y->start) - (x->start < y->start);
}

int iomem_parse_ram(const char *buf, struct pfn_range **out, size_t *nr)
{
	struct pfn_range *r = NULL, *p;
	size_t n = 0, cap = 0, i, m;
	bool any_nonzero = false, any_ram = false;
	const char *line = buf;

	*out = NULL;
	*nr = 0;
	while (*line) {
		const char *nl = strchr(line, '\n');
		const char *next = nl ? nl + 1 : line + strlen(line);
		const char *s = line, *name;
		uint64_t start, end;
		char *e;

		while (*s == ' ')
			s++;
		if (s == next || *s == '\n')
			goto next_line;
		if (probe_parse_u64(s, 16, &start, &e) || *e != '-' ||
		    probe_parse_u64(e + 1, 16, &end, &e) ||
		    strncmp(e, " : ", 3) || end < start)
			goto bad;
		name = e + 3;
		any_nonzero |= end != 0;
		if (strncmp(name, "System RAM", 10) ||
		    (name[10] != '\n' && name[10] != '\0'))
			goto next_line;
		any_ram = true;
		/* Frames wholly inside [start, end]. */
		start = (start + PAGE_SIZE_BYTES - 1) / PAGE_SIZE_BYTES;
		end = end == UINT64_MAX ? end / PAGE_SIZE_BYTES :
					  (end + 1) / PAGE_SIZE_BYTES;
		if (end <= start)
			goto next_line;
		p = array_reserve(r, &cap, n + 1, sizeof(*r), 16);
		if (!p) {
			free(r);
			return -ENOMEM;
		}
		r = p;
		r[n].start = start;
		r[n].end = end;
		n++;
next_line:
		line = next;
	}
	if (any_ram && !any_nonzero) {
		free(r);
		return -EPERM;
	}
	if (!n) {
		free(r);
		return 0;
	}
	qsort(r, n, sizeof(*r), cmp_range);
	for (i = 1, m = 0; i < n; i++) {
		if (r[i].start <= r[m].end) {
			if (r[i].end > r[m].end)
				r[m].end = r[i].end;
		} else {
			r[++m] = r[i];
		}
	}
	*out = r;
	*nr = m + 1;
	return 0;
bad:
	free(r);
	return -EINVAL;
}

static int cmp_zone(const void *a, const void *b)
{
	const struct frame_zone *x = a, *y = b;

	return (x->start_pfn > y->start_pfn) - (x->start_pfn < y->start_pfn);
}

/* "   key   N" or "  key: N" at the start of a line: 1 found, 0 not, <0. */
static int zone_field(const char *s, const char *key, uint64_t *v)
{
	size_t k = strlen(key);
	char *e;

	while (*s == ' ')
		s++;
	if (strncmp(s, key, k))
		return 0;
	s += k;
	if (*s == ':')
		s++;
	if (*s != ' ')
		return 0;
	while (*s == ' ')
		s++;
	if (probe_parse_u64(s, 10, v, &e) || (*e && *e != '\n'))
		return -EINVAL;
	return 1;
}

int zoneinfo_parse(const char *buf, struct frame_zone *zones, unsigned int max,
		   unsigned int *nr)
{
	struct frame_zone all[ZONEINFO_MAX], *cur = NULL;
	uint64_t spanned[ZONEINFO_MAX];
	bool have_start[ZONEINFO_MAX];
	unsigned int n = 0, i, out = 0;
	const char *line = buf;

	*nr = 0;
	while (*line) {
		const char *nl = strchr(line, '\n');
		const char *next = nl ? nl + 1 : line + strlen(line);
		uint64_t v;
		int node, used = 0, r;
		char name[16];

		r = sscanf(line, "Node %d, zone %15s%n", &node, name, &used);
		if (r == 2 && used > 0) {
			if (n == ZONEINFO_MAX || node < 0)
				return -EINVAL;
			cur = &all[n];
			memset(cur, 0, sizeof(*cur));
			cur->node = node;
			snprintf(cur->name, sizeof(cur->name), "%s", name);
			spanned[n] = 0;
			have_start[n] = false;
			n++;
		} else if (cur) {
			r = zone_field(line, "spanned", &v);
			if (r < 0)
				return r;
			if (r)
				spanned[n - 1] = v;
			r = zone_field(line, "start_pfn", &v);
			if (r < 0)
				return r;
			if (r) {
				cur->start_pfn = v;
				have_start[n - 1] = true;
			}
		}
		line = next;
	}
	for (i = 0; i < n; i++) {
		if (!spanned[i] || !have_start[i])
			continue;
		if (all[i].start_pfn > UINT64_MAX - spanned[i])
			return -EINVAL;
		all[i].end_pfn = all[i].start_pfn + spanned[i];
		all[out++] = all[i];
	}
	qsort(all, out, sizeof(all[0]), cmp_zone);
	for (i = 0, n = 0; i < out; i++) {
		if (n && all[i].start_pfn < zones[n - 1].end_pfn)
			all[i].start_pfn = zones[n - 1].end_pfn;
		if (all[i].start_pfn >= all[i].end_pfn)
			continue;
		if (n == max)
			return -EINVAL;
		zones[n++] = all[i];
	}
	*nr = n;
	return 0;
}

enum frame_state frame_state_of(uint64_t f, uint64_t mapcount)
{
	const uint64_t not_movable =
		KPF_BIT(KPF_UNEVICTABLE) | KPF_BIT(KPF_MLOCKED) |
		KPF_BIT(KPF_KSM) | KPF_BIT(KPF_HUGE) | KPF_BIT(KPF_HWPOISON) |
		KPF_BIT(KPF_SLAB) | KPF_BIT(KPF_PGTABLE) |
		KPF_BIT(KPF_ZERO_PAGE) | KPF_BIT(KPF_RESERVED) |
		KPF_BIT(KPF_OFFLINE);
	const uint64_t compound =
		KPF_BIT(KPF_COMPOUND_HEAD) | KPF_BIT(KPF_COMPOUND_TAIL);
	const uint64_t tail = KPF_BIT(KPF_COMPOUND_TAIL) | KPF_BIT(KPF_THP);

	/*
	 * 6.12's kpageflags sets KPF_KSM on every anonymous page (it tests
	 * mapping & PAGE_MAPPING_KSM, true of any anon mapping).  A KSM page
	 * is never exclusive to one mapping: the bit means nothing on a page
	 * that is.
	 */
	if (f & KPF_BIT(KPF_ANON_EXCLUSIVE))
		f &= ~KPF_BIT(KPF_KSM);
	if (f & KPF_BIT(KPF_NOPAGE))
		return FRAME_HOLE;
	if (f & KPF_BIT(KPF_BUDDY))
		return FRAME_FREE;
	if (!f && !mapcount)
		return FRAME_FREE;
	if (!(f & KPF_BIT(KPF_ANON)) || (f & not_movable))
		return FRAME_UNMOVABLE;
	/* Any other compound page (a driver's, a slab's) stays put. */
	if ((f & compound) && !(f & KPF_BIT(KPF_THP)))
		return FRAME_UNMOVABLE;
	/*
	 * A large anonymous folio (THP, mTHP) is movable as a whole.  Its
	 * tails carry the head's anon and THP bits but not, before 6.9,
	 * its LRU bit.
	 */
	if ((f & tail) == tail)
		return FRAME_MOVABLE;
	if (f & KPF_BIT(KPF_LRU))
		return FRAME_MOVABLE;
	return FRAME_UNMOVABLE;
}

static int read_text(const char *proc_root, const char *name, char **buf)
{
	char path[PATH_MAX];
	int err = probe_path(path, sizeof(path), proc_root, "%s", name);

	return err ? err : probe_read_file(path, buf, NULL);
}

#define FM_SECTIONS (FM_BATCH / FRAMEMAP_SECTION_FRAMES)

/*
 * The order of every large anonymous folio among frames [pfn, pfn + nf)
 * (flags[] from kpageflags): a THP head and the tails after it.  Batches
 * start on FM_BATCH multiples, and folios are naturally aligned, so none
 * straddles two batches.  0 or -ENOMEM.
 */
static int record_folios(struct frame_map *fm, uint64_t pfn,
			 const uint64_t *flags, uint64_t nf)
{
	const uint64_t head = KPF_BIT(KPF_COMPOUND_HEAD) | KPF_BIT(KPF_THP);
	uint64_t i = 0, j, n;
	unsigned int order;
	int err;

	while (i < nf) {
		if ((flags[i] & head) != head ||
		    (flags[i] & KPF_BIT(KPF_HUGE))) {
			i++;
			continue;
		}
		for (j = i + 1;
		     j < nf && (flags[j] & KPF_BIT(KPF_COMPOUND_TAIL)) &&
		     !(flags[j] & KPF_BIT(KPF_COMPOUND_HEAD));
		     j++)
			;
		n = j - i;
		for (order = 0; (UINT64_C(1) << order) < n; order++)
			;
		/* a power of two, aligned: else not a folio we know */
		if (n > 1 && (UINT64_C(1) << order) == n &&
		    order <= FRAME_MAP_MAX_ORDER) {
			err = frame_map_set_order(fm, pfn + i, order);
			if (err == -ENOMEM)
				return err;
		}
		i = j;
	}
	return 0;
}

/*
 * Classify frames [r->start, r->end) into fm->state.
 *
 * kpagecount is read only where it can matter: frame_state_of() looks at
 * the mapcount only when the flags are 0, and a mapped page always has
 * KPF_MMAP, so flags 0 already implies mapcount 0 and the count is only a
 * cross-check. Whole sections of flags 0 (not initialised yet) skip it,
 * which halves the build on a machine with much deferred memory.
 */
static int classify_range(int ffd, int cfd, const struct pfn_range *r,
			  struct frame_map *fm, uint64_t *flags,
			  uint64_t *count, uint64_t *uninit)
{
	const uint64_t sec = FRAMEMAP_SECTION_FRAMES;
	uint64_t pfn = r->start;

	while (pfn < r->end) {
		/* Batches end on FM_BATCH multiples: sections never straddle. */
		uint64_t n = FM_BATCH - pfn % FM_BATCH;
		uint64_t nf, nc, i, s, lo = UINT64_MAX, hi = 0;
		bool zero[FM_SECTIONS] = { false };
		int err;

		if (n > r->end - pfn)
			n = r->end - pfn;
		err = kpage_read(ffd, pfn, n, flags, &nf);
		if (err)
			return err;

		/* whole sections of flags 0: struct pages not initialised */
		for (s = (pfn + sec - 1) / sec * sec; s + sec <= pfn + nf;
		     s += sec) {
			for (i = s - pfn; i < s - pfn + sec && !flags[i]; i++)
				;
			if (i < s - pfn + sec)
				continue;
			zero[(s % FM_BATCH) / sec] = true;
			memset(fm->state + s, FRAME_HOLE, sec);
			*uninit += sec;
		}
		for (i = 0; i < nf; i++) {
			if (flags[i] || zero[((pfn + i) % FM_BATCH) / sec])
				continue;
			if (lo == UINT64_MAX)
				lo = i;
			hi = i + 1;
		}
		if (lo < hi) {
			err = kpage_read(cfd, pfn + lo, hi - lo, count + lo,
					 &nc);
			if (err)
				return err;
			if (nc < hi - lo)
				nf = lo + nc;
		}
		for (i = 0; i < nf; i++) {
			if (zero[((pfn + i) % FM_BATCH) / sec])
				continue;
			fm->state[pfn + i] = frame_state_of(
				flags[i], i >= lo && i < hi ? count[i] : 0);
		}
		err = record_folios(fm, pfn, flags, nf);
		if (err)
			return err;
		if (nf < n)
			return 0; /* past the kernel's last frame: holes */
		pfn += n;
	}
	return 0;
}

int framemap_build(const char *proc_root, struct frame_map *fm,
		   struct framemap_counts *counts)
{
	struct frame_zone zones[FRAME_MAP_MAX_ZONES];
	struct pfn_range *ram = NULL;
	uint64_t *flags = NULL, *count = NULL, nr_frames = 0, uninit = 0, i;
	struct timespec t0, t1;
	unsigned int nr_zones = 0, z;
	size_t nr_ram = 0, k;
	char *text = NULL;
	int ffd = -1, cfd = -1, err;

	memset(fm, 0, sizeof(*fm));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	err = read_text(proc_root, "iomem", &text);
	if (!err)
		err = iomem_parse_ram(text, &ram, &nr_ram);
	free(text);
	text = NULL;
	if (err)
		return err;
	err = read_text(proc_root, "zoneinfo", &text);
	if (!err)
		err = zoneinfo_parse(text, zones, FRAME_MAP_MAX_ZONES,
				     &nr_zones);
	free(text);
	if (err)
		goto out_ram;
	if (nr_ram)
		nr_frames = ram[nr_ram - 1].end;
	for (z = 0; z < nr_zones; z++)
		if (zones[z].end_pfn > nr_frames)
			nr_frames = zones[z].end_pfn;
	if (!nr_frames) {
		err = -ENODATA;
		goto out_ram;
	}

	ffd = kpage_open(proc_root, "kpageflags");
	if (ffd < 0) {
		err = ffd;
		goto out_ram;
	}
	cfd = kpage_open(proc_root, "kpagecount");
	if (cfd < 0) {
		err = cfd;
		goto out_close;
	}
	flags = malloc(FM_BATCH * sizeof(*flags));
	count = malloc(FM_BATCH * sizeof(*count));
	if (!flags || !count) {
		err = -ENOMEM;
		goto out_bufs;
	}
	err = frame_map_init(fm, nr_frames);
	if (err)
		goto out_bufs;
	memset(fm->state, FRAME_HOLE, nr_frames);
	for (z = 0; z < nr_zones; z++) {
		err = frame_map_add_zone(fm, zones[z].start_pfn,
					 zones[z].end_pfn, zones[z].name,
					 zones[z].node);
		if (err)
			goto out_fm;
	}
	for (k = 0; k < nr_ram; k++) {
		err = classify_range(ffd, cfd, &ram[k], fm, flags, count,
				     &uninit);
		if (err)
			goto out_fm;
	}
	err = frame_map_index(fm);
	if (err)
		goto out_fm;
	if (counts) {
		memset(counts, 0, sizeof(*counts));
		for (i = 0; i < nr_frames; i++)
			counts->state[fm->state[i] & 3]++;
		for (k = 0; k < nr_ram; k++)
			counts->ram += ram[k].end - ram[k].start;
		counts->uninit = uninit;
		clock_gettime(CLOCK_MONOTONIC, &t1);
		counts->seconds = (double)(t1.tv_sec - t0.tv_sec) +
				  (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	}
	goto out_bufs;

out_fm:
	frame_map_free(fm);
out_bufs:
	free(flags);
	free(count);
	close(cfd);
out_close:
	close(ffd);
out_ram:
	free(ram);
	return err;
}
