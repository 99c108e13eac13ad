// SPDX-License-Identifier: GPL-2.0-only
/*
 * promote_range() against a scripted backend: only 2 MiB blocks wholly in
 * the range and on one aligned frame block are asked for, in batches of
 * the backend's max_batch; -EAGAIN is asked again; -EEXIST (a huge page
 * already) counts as neither; refusals are counted by reason and show in
 * the stats file; a backend without the capability is asked nothing.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "promote.h"
#include "stats.h"
#include "vma_pages.h"

#define BLK CONTIG_PAGES_2M
#define NR_BLOCKS 6
#define MAX_ASKED 64

struct script_backend {
	struct backend b;
	unsigned int caps;
	unsigned int max_batch;
	uint64_t start_vpn;
	/* result per block index of the range; -EAGAIN turns 0 after once */
	int result[NR_BLOCKS + 1];
	uint64_t asked[MAX_ASKED]; /* vaddrs, in order */
	size_t nr_asked;
	size_t largest_batch;
};

static struct script_backend *to_script(struct backend *b)
{
	return (struct script_backend *)b;
}

static int script_info(struct backend *b, struct backend_info *out)
{
	memset(out, 0, sizeof(*out));
	out->kind = BACKEND_KMOD;
	out->caps = BACKEND_CAP_PLACE | to_script(b)->caps;
	out->max_batch = to_script(b)->max_batch;
	return 0;
}

static int script_apply(struct backend *b, pid_t pid, struct backend_op *ops,
			size_t nr)
{
	struct script_backend *sb = to_script(b);
	size_t k;

	(void)pid;
	if (nr > sb->largest_batch)
		sb->largest_batch = nr;
	for (k = 0; k < nr; k++) {
		uint64_t blk = ((ops[k].vaddr >> CONTIG_PAGE_SHIFT) -
				sb->start_vpn) / BLK;

		ck_assert_uint_eq(ops[k].kind, BACKEND_OP_PROMOTE);
		ck_assert_uint_eq(ops[k].vaddr % (BLK << CONTIG_PAGE_SHIFT), 0);
		ck_assert_uint_lt(sb->nr_asked, MAX_ASKED);
		sb->asked[sb->nr_asked++] = ops[k].vaddr;
		ops[k].result = sb->result[blk];
		if (sb->result[blk] == -EAGAIN)
			sb->result[blk] = 0;
	}
	return 0;
}

static const struct backend_ops script_ops = {
	.info = script_info,
	.apply = script_apply,
};

/*
 * A range starting on a block boundary: blocks 0-4 whole, block 5 cut
 * short by the range's end.  Blocks 0, 2, 3 and 4 sit on aligned frame
 * blocks, block 1 is off by one frame, block 5 is aligned but not whole.
 */
static void frames(uint64_t *pfn, uint64_t nr)
{
	uint64_t i;

	for (i = 0; i < nr; i++)
		pfn[i] = 0x10000 + i;
	for (i = BLK; i < 2 * BLK; i++)
		pfn[i] = 0x20001 + i;
}

START_TEST(test_promote_aligned_blocks)
{
	struct script_backend sb = { .b = { .ops = &script_ops },
				     .caps = BACKEND_CAP_PROMOTE_2M,
				     .max_batch = 2,
				     .start_vpn = 0x40000 };
	const uint64_t nr = 5 * BLK + 100;
	uint64_t *pfn = calloc(nr, sizeof(*pfn));
	struct promote_result r;
	struct stats st;
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	ck_assert_ptr_nonnull(pfn);
	frames(pfn, nr);
	sb.result[0] = 0;
	sb.result[2] = -EAGAIN; /* then 0 */
	sb.result[3] = -EBUSY; /* pinned */
	sb.result[4] = -EEXIST; /* a huge page already */
	stats_init(&st, BACKEND_KMOD, 2, STATS_OBSERVER_NONE);
	ck_assert_int_eq(promote_range(&sb.b, 1, sb.start_vpn, nr, pfn, &st,
				       &r),
			 0);
	/* 0, 2, 3, 4, then 2 again */
	ck_assert_uint_eq(sb.nr_asked, 5);
	ck_assert_uint_eq(sb.asked[0], sb.start_vpn << CONTIG_PAGE_SHIFT);
	ck_assert_uint_eq(sb.asked[1], (sb.start_vpn + 2 * BLK)
					       << CONTIG_PAGE_SHIFT);
	ck_assert_uint_eq(sb.asked[4], (sb.start_vpn + 2 * BLK)
					       << CONTIG_PAGE_SHIFT);
	ck_assert_uint_le(sb.largest_batch, 2);
	ck_assert_uint_eq(r.candidates, 4);
	ck_assert_uint_eq(r.promoted, 2);
	ck_assert_uint_eq(r.already, 1);
	ck_assert_uint_eq(r.refused, 1);
	ck_assert_uint_eq(st.promotions, 2);
	ck_assert_uint_eq(st.promotion_failures[STATS_PROMOTE_PINNED], 1);
	ck_assert_uint_eq(st.promotion_failures[STATS_PROMOTE_BUSY], 0);

	f = open_memstream(&text, &len);
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(stats_format(&st, f), 0);
	fclose(f);
	ck_assert_ptr_nonnull(strstr(text, "\ncontigd_promotions_total 2\n"));
	ck_assert_ptr_nonnull(strstr(
		text,
		"\ncontigd_promotion_failures_total{reason=\"pinned\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(
		text,
		"\ncontigd_promotion_failures_total{reason=\"not_contiguous\"} 0\n"));
	free(text);
	free(pfn);
}
END_TEST

START_TEST(test_promote_without_cap)
{
	struct script_backend sb = { .b = { .ops = &script_ops },
				     .max_batch = 8,
				     .start_vpn = 0x40000 };
	uint64_t *pfn = calloc(2 * BLK, sizeof(*pfn));
	struct promote_result r;

	ck_assert_ptr_nonnull(pfn);
	frames(pfn, BLK);
	ck_assert_int_eq(promote_range(&sb.b, 1, sb.start_vpn, BLK, pfn, NULL,
				       &r),
			 0);
	ck_assert_uint_eq(sb.nr_asked, 0);
	ck_assert_uint_eq(r.candidates, 0);
	free(pfn);
}
END_TEST

/* A refusal still transient after every round counts as "busy". */
START_TEST(test_promote_errno_reasons)
{
	static const struct {
		int err;
		enum stats_promote_reason reason;
	} map[] = {
		{ -EBUSY, STATS_PROMOTE_PINNED },
		{ -EOPNOTSUPP, STATS_PROMOTE_KSM },
		{ -ENOLCK, STATS_PROMOTE_MLOCKED },
		{ -EFAULT, STATS_PROMOTE_NOT_PRESENT },
		{ -EMLINK, STATS_PROMOTE_SHARED },
		{ -EXDEV, STATS_PROMOTE_ANON_VMA },
		{ -ERANGE, STATS_PROMOTE_NOT_CONTIGUOUS },
		{ -EACCES, STATS_PROMOTE_THP_DISABLED },
		{ -EAGAIN, STATS_PROMOTE_BUSY },
		{ -ENOMEM, STATS_PROMOTE_OTHER },
	};
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		ck_assert_int_eq(stats_promote_reason_of(map[i].err),
				 map[i].reason);
}
END_TEST

/* Start off a block boundary: the partial first block is not asked. */
START_TEST(test_promote_unaligned_start)
{
	struct script_backend sb = { .b = { .ops = &script_ops },
				     .caps = BACKEND_CAP_PROMOTE_2M,
				     .max_batch = 8,
				     .start_vpn = 0x40000 };
	const uint64_t off = 7, nr = 2 * BLK;
	uint64_t *pfn = calloc(3 * BLK, sizeof(*pfn));
	struct promote_result r;
	uint64_t i;

	ck_assert_ptr_nonnull(pfn);
	for (i = 0; i < nr; i++)
		pfn[i] = 0x10000 + off + i; /* block from off on aligned */
	ck_assert_int_eq(promote_range(&sb.b, 1, sb.start_vpn + off, nr, pfn,
				       NULL, &r),
			 0);
	ck_assert_uint_eq(sb.nr_asked, 1);
	ck_assert_uint_eq(sb.asked[0], (sb.start_vpn + BLK)
					       << CONTIG_PAGE_SHIFT);
	ck_assert_uint_eq(r.promoted, 1);
	free(pfn);
}
END_TEST

Suite *test_promote_suite(void)
{
	Suite *s = suite_create("promote");
	TCase *tc = tcase_create("script");

	tcase_add_test(tc, test_promote_aligned_blocks);
	tcase_add_test(tc, test_promote_without_cap);
	tcase_add_test(tc, test_promote_errno_reasons);
	tcase_add_test(tc, test_promote_unaligned_start);
	suite_add_tcase(s, tc);
	return s;
}
