// SPDX-License-Identifier: GPL-2.0-only
/*
 * The pagemap and frame-map readers (src/probe/pagemap.c, kpageflags.c,
 * framemap_build.c). The first input byte picks what is fed:
 *
 *   0  raw pagemap entries to pagemap_decode(), checked entry by entry;
 *   1  a VMA: entries written to a memfd standing for /proc/PID/pagemap,
 *      read back by pagemap_read_vma_windows() (or pagemap_read_vma())
 *      and compared with a plain decode of the same entries: the
 *      compacted array with its gaps expanded must equal it, the gaps
 *      must drop only whole empty 2 MiB blocks, and the metrics of the
 *      compacted array must equal those of the full one;
 *   2  a fake proc root (iomem, zoneinfo, kpageflags, kpagecount in a
 *      temporary directory) for framemap_build(), whose frame map is
 *      compared with the states computed frame by frame;
 *   3  free text to iomem_parse_ram() and zoneinfo_parse().
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sys/mman.h>
#include <unistd.h>

#include "framemap_build.h"
#include "fuzz_common.h"
#include "kpageflags.h"
#include "metrics.h"
#include "pagemap.h"

/* ---- 0: pagemap_decode ------------------------------------------------ */

static void fuzz_decode(struct fuzz_in *in)
{
	uint64_t nr = in->n / 8, i, present = 0, swapped = 0;
	uint64_t *e = malloc((nr ? nr : 1) * sizeof(*e));
	struct pagemap_counts c = { 1, 2 };
	bool hidden = false;
	int err;

	if (!e)
		return;
	for (i = 0; i < nr; i++)
		e[i] = fuzz_u64(in);
	for (i = 0; i < nr; i++) {
		if (e[i] & PM_PRESENT) {
			present++;
			hidden |= !(e[i] & PM_PFN_MASK);
		} else {
			swapped += !!(e[i] & PM_SWAPPED);
		}
	}
	in->p -= nr * 8;
	err = pagemap_decode(e, nr, &c);
	FUZZ_CHECK(err == (hidden ? -EPERM : 0));
	FUZZ_CHECK(c.present == 1 + present && c.swapped == 2 + swapped);
	for (i = 0; i < nr; i++) {
		uint64_t v = 0;
		unsigned int k;

		for (k = 0; k < 8; k++)
			v = v << 8 | in->p[i * 8 + k];
		FUZZ_CHECK(e[i] == ((v & PM_PRESENT) ? (v & PM_PFN_MASK) :
						       CONTIG_PFN_NONE));
	}
	free(e);
}

/* ---- 1: a VMA through a memfd ----------------------------------------- */

#define VMA_MAX_WINDOWS 8

static uint64_t decode_one(uint64_t v)
{
	return (v & PM_PRESENT) ? (v & PM_PFN_MASK) : CONTIG_PFN_NONE;
}

static void check_metrics(const uint64_t *full, const struct pagemap_vma *pv)
{
	struct contig_metrics a, b;

	if (contig_metrics_compute(full, pv->pages.start_vpn, pv->real_nr,
				   &a) ||
	    contig_metrics_compute(pv->pages.pfn, pv->pages.start_vpn,
				   pv->pages.nr, &b))
		return;
	FUZZ_CHECK(a.present == b.present);
	FUZZ_CHECK(a.runs == b.runs);
	FUZZ_CHECK(a.largest_run == b.largest_run);
	FUZZ_CHECK(a.runs_99 == b.runs_99);
	FUZZ_CHECK(a.aligned_2m == b.aligned_2m);
}

/* Expand pv's gaps and compare with full[]; check where gaps may be. */
static void check_compacted(const uint64_t *full, const struct pagemap_vma *pv)
{
	const struct vma_pages *vp = &pv->pages;
	uint64_t pos = 0, idx = 0, j;
	size_t g = 0;

	for (;;) {
		while (g < pv->nr_gaps && pv->gaps[g].at == idx) {
			const struct pagemap_gap *gap = &pv->gaps[g];

			/* Whole aligned blocks, after a kept empty block. */
			FUZZ_CHECK(gap->dropped &&
				   gap->dropped % CONTIG_PAGES_2M == 0);
			FUZZ_CHECK((vp->start_vpn + pos) % CONTIG_PAGES_2M ==
				   0);
			FUZZ_CHECK(idx >= CONTIG_PAGES_2M);
			for (j = idx - CONTIG_PAGES_2M; j < idx; j++)
				FUZZ_CHECK(vp->pfn[j] == CONTIG_PFN_NONE);
			FUZZ_CHECK(pos + gap->dropped <= pv->real_nr);
			for (j = 0; j < gap->dropped; j++)
				FUZZ_CHECK(full[pos + j] == CONTIG_PFN_NONE);
			pos += gap->dropped;
			g++;
		}
		if (idx == vp->nr)
			break;
		FUZZ_CHECK(pos < pv->real_nr);
		FUZZ_CHECK(vp->pfn[idx] == full[pos]);
		idx++;
		pos++;
	}
	FUZZ_CHECK(g == pv->nr_gaps);
	FUZZ_CHECK(pos == pv->real_nr);
}

static void fuzz_vma(struct fuzz_in *in, int memfd)
{
	uint8_t mode = fuzz_u8(in);
	uint64_t start_vpn = fuzz_u32(in) & 0x3ffffff;
	uint64_t nr = fuzz_u16(in) % (12 * CONTIG_PAGES_2M);
	struct pagemap_window w[VMA_MAX_WINDOWS];
	size_t nr_w = 0, i;
	uint64_t *raw, *full, pos, j, present = 0, swapped = 0;
	struct pagemap_vma pv;
	bool hidden = false, use_scan = mode & 1;
	int err;

	if ((mode & 6) == 6)
		nr += 65536 - 2048; /* more than one batch of reads */
	if (!use_scan) {
		uint64_t at = start_vpn > 600 ? start_vpn - fuzz_u8(in) * 3 :
						start_vpn;

		nr_w = fuzz_u8(in) % (VMA_MAX_WINDOWS + 1);
		for (i = 0; i < nr_w; i++) {
			at += fuzz_u16(in) % 4096;
			w[i].start_vpn = at;
			at += fuzz_u16(in) % 8192;
			w[i].end_vpn = at;
		}
	}
	raw = calloc(nr ? nr : 1, sizeof(*raw));
	full = calloc(nr ? nr : 1, sizeof(*full));
	if (!raw || !full)
		goto out;
	/* Records: skip, count, kind, value. */
	pos = 0;
	while (in->n >= 4 && pos < nr) {
		uint64_t skip = fuzz_u16(in) % 2048;
		uint64_t count = fuzz_u8(in) + 1u;
		uint8_t kind = fuzz_u8(in);
		uint64_t v = fuzz_u64(in);

		pos += skip;
		for (j = 0; j < count && pos < nr; j++, pos++) {
			switch (kind & 3) {
			case 0:
				raw[pos] = v;
				break;
			case 1: /* a run */
				raw[pos] = PM_PRESENT | ((v + j) & PM_PFN_MASK);
				break;
			case 2: /* a backwards run */
				raw[pos] = PM_PRESENT | ((v - j) & PM_PFN_MASK);
				break;
			default:
				raw[pos] = PM_SWAPPED | (v & 0xffff);
				break;
			}
		}
	}
	/* The file: the VMA's entries at their offsets, zeros elsewhere. */
	if (ftruncate(memfd, 0) ||
	    ftruncate(memfd, (off_t)((start_vpn + nr + 1) * 8)) ||
	    pwrite(memfd, raw, nr * 8, (off_t)(start_vpn * 8)) !=
		    (ssize_t)(nr * 8))
		goto out;
	for (pos = 0; pos < nr; pos++) {
		uint64_t vpn = start_vpn + pos;
		bool inside = use_scan;

		for (i = 0; i < nr_w && !inside; i++)
			inside = vpn >= w[i].start_vpn && vpn < w[i].end_vpn;
		full[pos] = inside ? decode_one(raw[pos]) : CONTIG_PFN_NONE;
		if (!inside)
			continue;
		if (raw[pos] & PM_PRESENT) {
			present++;
			hidden |= !(raw[pos] & PM_PFN_MASK);
		} else {
			swapped += !!(raw[pos] & PM_SWAPPED);
		}
	}

	if (use_scan)
		err = pagemap_read_vma(memfd, start_vpn, nr, &pv);
	else
		err = pagemap_read_vma_windows(memfd, start_vpn, nr, w, nr_w,
					       &pv);
	if (err == -ENOMEM)
		goto out;
	FUZZ_CHECK(err == (hidden ? -EPERM : 0));
	if (!err) {
		FUZZ_CHECK(pv.real_nr == nr && pv.pages.start_vpn == start_vpn);
		FUZZ_CHECK(pv.counts.present == present);
		FUZZ_CHECK(pv.counts.swapped == swapped);
		check_compacted(full, &pv);
		check_metrics(full, &pv);
		pagemap_vma_free(&pv);
	} else {
		FUZZ_CHECK(!pv.pages.pfn && !pv.gaps);
	}

	/* pagemap_read(): the whole range, no compaction. */
	if (nr && nr <= 4096 && use_scan) {
		struct pagemap_counts c = { 0, 0 };

		err = pagemap_read(memfd, start_vpn, nr, raw, &c);
		FUZZ_CHECK(err == (hidden ? -EPERM : 0));
		if (!err)
			FUZZ_CHECK(!memcmp(raw, full, nr * 8) &&
				   c.present == present);
	}
out:
	free(raw);
	free(full);
}

/* ---- 2: framemap_build on a fake proc root ---------------------------- */

/* Frames of the fake machine: four memory sections and a bit. */
#define FM_FRAMES_MAX (4 * FRAMEMAP_SECTION_FRAMES + 4096)

static char proc_root[256];

static int write_file(const char *name, const void *buf, size_t len)
{
	char path[300];
	int fd, ok;

	snprintf(path, sizeof(path), "%s/%s", proc_root, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	ok = write(fd, buf, len) == (ssize_t)len;
	close(fd);
	return ok ? 0 : -1;
}

/* Flags and mapcounts that real frames carry. */
static const struct {
	uint64_t flags, count;
} palette[] = {
	{ 0, 0 }, /* free tail, or not initialised */
	{ KPF_BIT(KPF_BUDDY), 0 },
	{ KPF_BIT(KPF_ANON) | KPF_BIT(KPF_LRU) | KPF_BIT(KPF_MMAP), 1 },
	{ KPF_BIT(KPF_ANON) | KPF_BIT(KPF_LRU) | KPF_BIT(KPF_MMAP) |
		  KPF_BIT(KPF_THP) | KPF_BIT(KPF_COMPOUND_HEAD),
	  1 },
	{ KPF_BIT(KPF_SLAB), 0 },
	{ KPF_BIT(KPF_NOPAGE), 0 },
	{ KPF_BIT(KPF_RESERVED), 0 },
	{ KPF_BIT(KPF_LRU) | KPF_BIT(KPF_MMAP), 3 },
	{ 0, 2 }, /* flags 0 but mapped: only the count tells */
};

#define PALETTE_NR (sizeof(palette) / sizeof(palette[0]))

static void fuzz_framemap(struct fuzz_in *in)
{
	static const char *const zone_names[] = { "DMA", "DMA32", "Normal",
						  "Movable", "Device" };
	char *iomem = NULL, *zoneinfo = NULL;
	size_t iomem_len = 0, zoneinfo_len = 0;
	uint64_t *flags = NULL, *count = NULL, nr_file, pos, i, s;
	uint64_t nr_frames = 0, uninit = 0, ram_frames = 0;
	struct frame_zone zones[FRAME_MAP_MAX_ZONES];
	struct pfn_range *ram = NULL;
	size_t nr_ram = 0, k;
	unsigned int nr_zones = 0, nr, z;
	struct framemap_counts counts;
	struct frame_map fm;
	uint8_t *expect = NULL;
	bool hide = false;
	FILE *f;
	int err;

	/* iomem: RAM ranges among other lines, possibly nested. */
	f = open_memstream(&iomem, &iomem_len);
	if (!f)
		return;
	nr = fuzz_u8(in);
	hide = nr & 0x80;
	for (nr %= 6, pos = 0; nr; nr--) {
		uint64_t a = pos + fuzz_u16(in) % 40000;
		uint64_t len = fuzz_u16(in) % 70000;
		uint8_t kind = fuzz_u8(in);
		uint64_t b0 = (a << 12) + (kind & 0x10 ? 0x800 : 0);
		uint64_t b1 = ((a + len) << 12) - (kind & 0x20 ? 0x1000 : 1);

		if (a + len > FM_FRAMES_MAX || !len)
			break;
		if (hide)
			b0 = b1 = 0;
		fprintf(f, "%s%08" PRIx64 "-%08" PRIx64 " : %s\n",
			kind & 0x40 ? "  " : "", b0, b1,
			kind & 1 ? "Reserved" : "System RAM");
		if (kind & 2)
			fprintf(f,
				"  %08" PRIx64 "-%08" PRIx64 " : Kernel code\n",
				b0, b0 + 0xfff);
		pos = kind & 4 ? a + len / 2 : a + len;
	}
	fclose(f);

	/* zoneinfo */
	f = open_memstream(&zoneinfo, &zoneinfo_len);
	if (!f)
		goto out;
	nr = fuzz_u8(in) % 6;
	for (pos = 0; nr; nr--) {
		uint8_t kind = fuzz_u8(in);
		uint64_t a = pos + fuzz_u16(in) % 40000;
		uint64_t len = fuzz_u16(in) % 70000;

		if (a + len > FM_FRAMES_MAX)
			break;
		fprintf(f,
			"Node %d, zone %8s\n  pages free     12\n"
			"        spanned  %" PRIu64 "\n"
			"        present  %" PRIu64 "\n"
			"  start_pfn:           %" PRIu64 "\n",
			kind & 1, zone_names[kind % 5], len, len, a);
		pos = kind & 8 ? a + len / 3 : a + len;
	}
	fclose(f);

	/* kpageflags and kpagecount: runs of palette entries. */
	/* Mostly a small machine: whole sections cost time. */
	nr_file = fuzz_u32(in);
	nr_file %= nr_file >> 31 ? FM_FRAMES_MAX + 1 : 8192;
	flags = calloc(nr_file + 1, sizeof(*flags));
	count = calloc(nr_file + 1, sizeof(*count));
	if (!flags || !count)
		goto out;
	for (pos = 0; in->n && pos < nr_file;) {
		uint64_t n = fuzz_u16(in) + 1u;
		uint8_t p = fuzz_u8(in);
		uint64_t fl = palette[p % PALETTE_NR].flags;
		uint64_t cn = palette[p % PALETTE_NR].count;

		if (p == 0xff) {
			fl = fuzz_u64(in);
			cn = fuzz_u8(in);
		}
		for (i = 0; i < n && pos < nr_file; i++, pos++) {
			flags[pos] = fl;
			count[pos] = cn;
		}
	}
	if (write_file("iomem", iomem, iomem_len) ||
	    write_file("zoneinfo", zoneinfo, zoneinfo_len) ||
	    write_file("kpageflags", flags, nr_file * 8) ||
	    write_file("kpagecount", count, nr_file * 8))
		goto out;

	/* What framemap_build must find, frame by frame. */
	err = iomem_parse_ram(iomem, &ram, &nr_ram);
	if (!err)
		err = zoneinfo_parse(zoneinfo, zones, FRAME_MAP_MAX_ZONES,
				     &nr_zones);
	if (!err) {
		if (nr_ram)
			nr_frames = ram[nr_ram - 1].end;
		for (z = 0; z < nr_zones; z++)
			if (zones[z].end_pfn > nr_frames)
				nr_frames = zones[z].end_pfn;
		if (!nr_frames)
			err = -ENODATA;
	}
	if (!err) {
		expect = malloc(nr_frames);
		if (!expect)
			goto out;
		memset(expect, FRAME_HOLE, nr_frames);
		for (k = 0; k < nr_ram; k++) {
			uint64_t end = ram[k].end < nr_file ? ram[k].end :
							      nr_file;

			ram_frames += ram[k].end - ram[k].start;
			for (i = ram[k].start; i < end; i++)
				expect[i] = frame_state_of(flags[i], count[i]);
			/* whole sections of flags 0 inside the range */
			s = (ram[k].start + FRAMEMAP_SECTION_FRAMES - 1) /
			    FRAMEMAP_SECTION_FRAMES * FRAMEMAP_SECTION_FRAMES;
			for (; s + FRAMEMAP_SECTION_FRAMES <= end;
			     s += FRAMEMAP_SECTION_FRAMES) {
				for (i = s; i < s + FRAMEMAP_SECTION_FRAMES &&
					    !flags[i];
				     i++)
					;
				if (i < s + FRAMEMAP_SECTION_FRAMES)
					continue;
				memset(expect + s, FRAME_HOLE,
				       FRAMEMAP_SECTION_FRAMES);
				uninit += FRAMEMAP_SECTION_FRAMES;
			}
		}
	}

	memset(&counts, 0xa5, sizeof(counts));
	{
		int got = framemap_build(proc_root, &fm, &counts);

		if (got == -ENOMEM)
			goto out;
		if (err) {
			FUZZ_CHECK(got == err);
			goto out;
		}
		FUZZ_CHECK(!got);
	}
	FUZZ_CHECK(fm.nr_frames == nr_frames);
	FUZZ_CHECK(fm.nr_zones == nr_zones);
	for (z = 0; z < nr_zones; z++)
		FUZZ_CHECK(fm.zones[z].start_pfn == zones[z].start_pfn &&
			   fm.zones[z].end_pfn == zones[z].end_pfn);
	for (i = 0; i < nr_frames; i++) {
		if (fm.state[i] != expect[i])
			fprintf(stderr, "frame %" PRIu64 ": %u, expected %u\n",
				i, fm.state[i], expect[i]);
		FUZZ_CHECK(fm.state[i] == expect[i]);
	}
	FUZZ_CHECK(counts.ram == ram_frames && counts.uninit == uninit);
	FUZZ_CHECK(counts.state[0] + counts.state[1] + counts.state[2] +
			   counts.state[3] ==
		   nr_frames);
	/* The bad-span index covers exactly the unmovable frames and holes. */
	for (k = 0, pos = 0; k < fm.nr_bad; k++) {
		FUZZ_CHECK(fm.bad[k].start >= pos &&
			   fm.bad[k].start < fm.bad[k].end &&
			   fm.bad[k].end <= nr_frames);
		for (i = pos; i < fm.bad[k].start; i++)
			FUZZ_CHECK(fm.state[i] == FRAME_FREE ||
				   fm.state[i] == FRAME_MOVABLE);
		for (i = fm.bad[k].start; i < fm.bad[k].end; i++)
			FUZZ_CHECK(fm.state[i] == FRAME_UNMOVABLE ||
				   fm.state[i] == FRAME_HOLE);
		pos = fm.bad[k].end;
	}
	for (i = pos; i < nr_frames; i++)
		FUZZ_CHECK(fm.state[i] == FRAME_FREE ||
			   fm.state[i] == FRAME_MOVABLE);
	frame_map_free(&fm);
out:
	free(expect);
	free(ram);
	free(flags);
	free(count);
	free(iomem);
	free(zoneinfo);
}

/* ---- 3: iomem and zoneinfo text --------------------------------------- */

static void fuzz_text(struct fuzz_in *in)
{
	struct frame_zone zones[FRAME_MAP_MAX_ZONES];
	struct pfn_range *ram;
	unsigned int nr_zones, z;
	size_t nr_ram, k;
	char *buf = malloc(in->n + 1);

	if (!buf)
		return;
	memcpy(buf, in->p, in->n);
	buf[in->n] = '\0';
	if (!iomem_parse_ram(buf, &ram, &nr_ram)) {
		for (k = 0; k < nr_ram; k++) {
			FUZZ_CHECK(ram[k].start < ram[k].end);
			FUZZ_CHECK(!k || ram[k].start > ram[k - 1].end);
		}
		free(ram);
	}
	if (!zoneinfo_parse(buf, zones, FRAME_MAP_MAX_ZONES, &nr_zones)) {
		FUZZ_CHECK(nr_zones <= FRAME_MAP_MAX_ZONES);
		for (z = 0; z < nr_zones; z++) {
			FUZZ_CHECK(zones[z].start_pfn < zones[z].end_pfn);
			FUZZ_CHECK(!z ||
				   zones[z].start_pfn >= zones[z - 1].end_pfn);
			FUZZ_CHECK(memchr(zones[z].name, 0,
					  sizeof(zones[z].name)));
		}
	}
	free(buf);
}

static void remove_proc_root(void)
{
	static const char *const names[] = { "iomem", "zoneinfo", "kpageflags",
					     "kpagecount" };
	char path[300];
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", proc_root, names[i]);
		unlink(path);
	}
	rmdir(proc_root);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int memfd = -1;
	struct fuzz_in in = { data, size };

	if (memfd < 0) {
		const char *tmp = getenv("TMPDIR");

		snprintf(proc_root, sizeof(proc_root), "%s/contig-fuzz-XXXXXX",
			 tmp && *tmp && strlen(tmp) < 200 ? tmp : "/tmp");
		memfd = memfd_create("pagemap", MFD_CLOEXEC);
		if (memfd < 0 || !mkdtemp(proc_root))
			abort();
		atexit(remove_proc_root);
	}
	switch (fuzz_u8(&in) % 4) {
	case 0:
		fuzz_decode(&in);
		break;
	case 1:
		fuzz_vma(&in, memfd);
		break;
	case 2:
		fuzz_framemap(&in);
		break;
	default:
		fuzz_text(&in);
		break;
	}
	return 0;
}
