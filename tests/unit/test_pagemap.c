// SPDX-License-Identifier: GPL-2.0-only
/*
 * pagemap decoding and the compacted VMA read, against a fake /proc.
 */
#include <check.h>
#include <errno.h>
#include <unistd.h>

#include "fake_proc.h"
#include "metrics.h"
#include "pagemap.h"

#define P(pfn) (PM_PRESENT | PM_EXCLUSIVE | (uint64_t)(pfn))

START_TEST(test_decode)
{
	uint64_t e[] = { P(100),
			 0,
			 PM_SWAPPED | 0x1234,
			 P(101) | PM_SOFT_DIRTY,
			 PM_FILE,
			 P(PM_PFN_MASK) };
	struct pagemap_counts c = { 0 };

	ck_assert_int_eq(pagemap_decode(e, 6, &c), 0);
	ck_assert_uint_eq(e[0], 100);
	ck_assert_uint_eq(e[1], CONTIG_PFN_NONE);
	ck_assert_uint_eq(e[2], CONTIG_PFN_NONE);
	ck_assert_uint_eq(e[3], 101);
	ck_assert_uint_eq(e[4], CONTIG_PFN_NONE);
	ck_assert_uint_eq(e[5], PM_PFN_MASK);
	ck_assert_uint_eq(c.present, 3);
	ck_assert_uint_eq(c.swapped, 1);
}
END_TEST

START_TEST(test_decode_hidden)
{
	/* what an unprivileged reader sees: present, PFN zeroed */
	uint64_t e[] = { 0, PM_PRESENT | PM_EXCLUSIVE, 0 };

	ck_assert_int_eq(pagemap_decode(e, 3, NULL), -EPERM);
}
END_TEST

static void fixture_setup(void)
{
	fake_proc_setup();
	fake_proc_mkdir("42");
}

START_TEST(test_read_fake)
{
	uint64_t e[4] = { P(7), P(8), 0, P(3) }, pfn[4];
	struct pagemap_counts c = { 0 };
	int fd;

	fake_proc_u64("42/pagemap", 0x100, e, 4);
	fd = pagemap_open(fake_root, 42);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pagemap_read(fd, 0x100, 4, pfn, &c), 0);
	ck_assert_uint_eq(pfn[0], 7);
	ck_assert_uint_eq(pfn[1], 8);
	ck_assert_uint_eq(pfn[2], CONTIG_PFN_NONE);
	ck_assert_uint_eq(pfn[3], 3);
	ck_assert_uint_eq(c.present, 3);
	/* past the end of the file: the process is gone */
	ck_assert_int_eq(pagemap_read(fd, 0x102, 4, pfn, NULL), -ESRCH);
	close(fd);
	ck_assert_int_eq(pagemap_open(fake_root, 43), -ESRCH);
}
END_TEST

START_TEST(test_read_hidden_fake)
{
	uint64_t e[2] = { PM_PRESENT, PM_PRESENT }, pfn[2];
	struct pagemap_vma pv;
	int fd;

	fake_proc_u64("42/pagemap", 16, e, 2);
	fd = pagemap_open(fake_root, 42);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pagemap_read(fd, 16, 2, pfn, NULL), -EPERM);
	ck_assert_int_eq(pagemap_read_vma(fd, 16, 2, &pv), -EPERM);
	ck_assert_ptr_null(pv.pages.pfn);
	close(fd);
}
END_TEST

/*
 * Sparse VMAs: the compacted read must give the metrics of the dense one.
 * Layouts are generated from a seed: each 2 MiB block is empty, holds a
 * few scattered pages, or a contiguous aligned block.
 */
static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

struct sparse_case {
	uint64_t start_vpn;
	uint64_t nr;
	unsigned int empty_pct; /* chance a block is empty */
};

static const struct sparse_case sparse_cases[] = {
	{ 1024, 512 * 8, 50 },
	{ 1024 + 100, 512 * 12 + 37, 70 },
	{ 512 * 3 + 511, 512 * 20, 90 },
	{ 4096, 512 * 30, 100 },
	{ 4096, 512 * 30, 0 },
	{ 4096 + 1, 300, 50 },
	{ 7, 1, 0 },
};

START_TEST(test_read_vma_sparse)
{
	const struct sparse_case *c = &sparse_cases[_i];
	uint64_t seed = 0x1234567 + _i, *raw, *dense, i, blk, dropped = 0;
	struct contig_metrics md, ms;
	struct pagemap_vma pv;
	size_t g;
	int fd, mode;

	raw = calloc(c->nr, 8);
	dense = calloc(c->nr, 8);
	ck_assert(raw && dense);
	for (i = 0; i < c->nr; i = blk) {
		uint64_t vpn = c->start_vpn + i;
		unsigned int r = rnd(&seed) % 100;

		blk = i + (512 - vpn % 512);
		if (blk > c->nr)
			blk = c->nr;
		if (r < c->empty_pct)
			continue;
		for (; i < blk; i++) {
			if (r % 3 == 0) /* aligned, contiguous */
				raw[i] = P(0x80000 + (c->start_vpn + i));
			else if (rnd(&seed) % 4 == 0)
				raw[i] = P(1 + rnd(&seed) % 100000);
		}
	}
	fake_proc_u64("42/pagemap", c->start_vpn, raw, c->nr);
	fd = pagemap_open(fake_root, 42);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pagemap_read(fd, c->start_vpn, c->nr, dense, NULL), 0);
	ck_assert_int_eq(pagemap_read_vma(fd, c->start_vpn, c->nr, &pv), 0);
	close(fd);

	ck_assert_uint_eq(pv.real_nr, c->nr);
	for (g = 0; g < pv.nr_gaps; g++) {
		ck_assert_uint_eq(pv.gaps[g].dropped % 512, 0);
		ck_assert_uint_le(pv.gaps[g].at, pv.pages.nr);
		dropped += pv.gaps[g].dropped;
	}
	ck_assert_uint_eq(pv.pages.nr + dropped, c->nr);
	ck_assert_int_eq(
		contig_metrics_compute(dense, c->start_vpn, c->nr, &md), 0);
	ck_assert_int_eq(contig_metrics_compute(pv.pages.pfn,
						pv.pages.start_vpn, pv.pages.nr,
						&ms),
			 0);
	ck_assert_uint_eq(ms.present, md.present);
	ck_assert_uint_eq(ms.runs, md.runs);
	ck_assert_uint_eq(ms.largest_run, md.largest_run);
	ck_assert_uint_eq(ms.runs_99, md.runs_99);
	ck_assert_uint_eq(ms.aligned_2m, md.aligned_2m);
	ck_assert_uint_eq(pv.counts.present, md.present);
	if (c->empty_pct == 100 && c->nr >= 3 * 512)
		ck_assert_uint_lt(pv.pages.nr, 3 * 512);

	/* Reading only windows around the present pages gives the same. */
	for (mode = 0; mode < 2; mode++) {
		struct pagemap_window *w = calloc(c->nr + 1, sizeof(*w));
		struct pagemap_vma pw;
		size_t nw = 0;

		ck_assert_ptr_nonnull(w);
		for (i = 0; i < c->nr; i++) {
			uint64_t s = c->start_vpn + i, e = s + 1;

			if (!(raw[i] & PM_PRESENT))
				continue;
			if (mode) { /* widened to 2 MiB blocks */
				s -= s % 512;
				e = s + 512;
			}
			if (nw && s <= w[nw - 1].end_vpn) {
				if (e > w[nw - 1].end_vpn)
					w[nw - 1].end_vpn = e;
				continue;
			}
			w[nw].start_vpn = s;
			w[nw].end_vpn = e;
			nw++;
		}
		fd = pagemap_open(fake_root, 42);
		ck_assert_int_ge(fd, 0);
		ck_assert_int_eq(pagemap_read_vma_windows(fd, c->start_vpn,
							  c->nr, w, nw, &pw),
				 0);
		close(fd);
		ck_assert_uint_eq(pw.pages.nr, pv.pages.nr);
		ck_assert_uint_eq(pw.real_nr, pv.real_nr);
		ck_assert(!pv.pages.nr ||
			  !memcmp(pw.pages.pfn, pv.pages.pfn, pv.pages.nr * 8));
		ck_assert_uint_eq(pw.nr_gaps, pv.nr_gaps);
		for (g = 0; g < pv.nr_gaps; g++) {
			ck_assert_uint_eq(pw.gaps[g].at, pv.gaps[g].at);
			ck_assert_uint_eq(pw.gaps[g].dropped,
					  pv.gaps[g].dropped);
		}
		ck_assert_uint_eq(pw.counts.present, pv.counts.present);
		pagemap_vma_free(&pw);
		free(w);
	}
	pagemap_vma_free(&pv);
	free(raw);
	free(dense);
}
END_TEST

START_TEST(test_read_vma_gaps)
{
	/* aligned start: [1 page][4 empty blocks][1 page][2 empty blocks] */
	uint64_t nr = 512 * 8, raw[512 * 8] = { 0 };
	struct pagemap_vma pv;
	int fd;

	raw[3] = P(1000);
	raw[512 * 5 + 9] = P(2000);
	fake_proc_u64("42/pagemap", 2048, raw, nr);
	fd = pagemap_open(fake_root, 42);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pagemap_read_vma(fd, 2048, nr, &pv), 0);
	close(fd);
	/* kept: block 0, block 1 (first empty), block 5, block 6 */
	ck_assert_uint_eq(pv.pages.nr, 512 * 4);
	ck_assert_uint_eq(pv.nr_gaps, 2);
	ck_assert_uint_eq(pv.gaps[0].at, 512 * 2);
	ck_assert_uint_eq(pv.gaps[0].dropped, 512 * 3);
	ck_assert_uint_eq(pv.gaps[1].at, 512 * 4);
	ck_assert_uint_eq(pv.gaps[1].dropped, 512);
	ck_assert_uint_eq(pv.pages.pfn[3], 1000);
	ck_assert_uint_eq(pv.pages.pfn[512 * 2 + 9], 2000);
	pagemap_vma_free(&pv);
}
END_TEST

Suite *test_pagemap_suite(void)
{
	Suite *s = suite_create("pagemap");
	TCase *tc = tcase_create("decode");
	TCase *fake = tcase_create("fake_proc");

	tcase_add_test(tc, test_decode);
	tcase_add_test(tc, test_decode_hidden);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(fake, fixture_setup, fake_proc_teardown);
	tcase_add_test(fake, test_read_fake);
	tcase_add_test(fake, test_read_hidden_fake);
	tcase_add_loop_test(fake, test_read_vma_sparse, 0,
			    sizeof(sparse_cases) / sizeof(sparse_cases[0]));
	tcase_add_test(fake, test_read_vma_gaps);
	suite_add_tcase(s, fake);
	return s;
}
