// SPDX-License-Identifier: GPL-2.0-only
/*
 * Frame map builder: iomem and zoneinfo parsing, the frame policy, and a
 * whole build against a fake /proc.
 */
#include <check.h>
#include <errno.h>

#include "fake_proc.h"
#include "framemap_build.h"
#include "kpageflags.h"

#define F(b) KPF_BIT(KPF_##b)

struct iomem_case {
	const char *text;
	int rc;
	size_t nr;
	struct pfn_range r[3];
};

static const struct iomem_case iomem_cases[] = {
	{ "00000000-00000fff : Reserved\n"
	  "00001000-0009fbff : System RAM\n"
	  "0009fc00-000fffff : Reserved\n"
	  "  000f0000-000fffff : System ROM\n"
	  "00100000-bfffffff : System RAM\n"
	  "  01000000-0220bb07 : Kernel code\n"
	  "c0001000-eebfffff : PCI Bus 0000:00\n"
	  "100000000-63fffffff : System RAM\n",
	  0,
	  3,
	  { { 1, 0x9f }, { 0x100, 0xc0000 }, { 0x100000, 0x640000 } } },
	/* unsorted, nested, adjacent ranges are merged */
	{ "00200000-002fffff : System RAM\n"
	  "  00100000-001fffff : System RAM\n"
	  "00400000-00400fff : System RAM\n",
	  0,
	  2,
	  { { 0x100, 0x300 }, { 0x400, 0x401 } } },
	/* less than a page */
	{ .text = "00001800-00002100 : System RAM\n" },
	{ .text = "" },
	{ .text = "00001000-00001fff : System RAM (x)\n" },
	/* what a non-root reader sees */
	{ .text = "00000000-00000000 : Reserved\n"
		  "00000000-00000000 : System RAM\n",
	  .rc = -EPERM },
	{ .text = "00001000 : System RAM\n", .rc = -EINVAL },
	{ .text = "00002000-00001000 : System RAM\n", .rc = -EINVAL },
	{ .text = "00001000-00001fff System RAM\n", .rc = -EINVAL },
};

START_TEST(test_iomem)
{
	const struct iomem_case *c = &iomem_cases[_i];
	struct pfn_range *r;
	size_t nr, i;

	ck_assert_int_eq(iomem_parse_ram(c->text, &r, &nr), c->rc);
	if (c->rc)
		return;
	ck_assert_uint_eq(nr, c->nr);
	for (i = 0; i < nr; i++) {
		ck_assert_uint_eq(r[i].start, c->r[i].start);
		ck_assert_uint_eq(r[i].end, c->r[i].end);
	}
	free(r);
}
END_TEST

static const char zoneinfo_text[] = "Node 0, zone      DMA\n"
				    "  per-node stats\n"
				    "      nr_inactive_anon 0\n"
				    "  pages free     3840\n"
				    "        spanned  4095\n"
				    "        present  3998\n"
				    "  pagesets\n"
				    "    cpu: 0\n"
				    "              count: 0\n"
				    "  node_unreclaimable:  0\n"
				    "  start_pfn:           1\n"
				    "Node 0, zone    DMA32\n"
				    "  pages free     772915\n"
				    "        spanned  1044480\n"
				    "  start_pfn:           4096\n"
				    "Node 0, zone   Normal\n"
				    "        spanned  5505024\n"
				    "  start_pfn:           1048576\n"
				    "Node 0, zone  Movable\n"
				    "  pages free     0\n"
				    "        spanned  0\n"
				    "        present  0\n"
				    "Node 1, zone   Normal\n"
				    "        spanned  1000\n"
				    "  start_pfn:           6553000\n";

START_TEST(test_zoneinfo)
{
	struct frame_zone z[8];
	unsigned int nr;

	ck_assert_int_eq(zoneinfo_parse(zoneinfo_text, z, 8, &nr), 0);
	ck_assert_uint_eq(nr, 4);
	ck_assert_str_eq(z[0].name, "DMA");
	ck_assert_uint_eq(z[0].start_pfn, 1);
	ck_assert_uint_eq(z[0].end_pfn, 4096);
	ck_assert_str_eq(z[1].name, "DMA32");
	ck_assert_uint_eq(z[1].end_pfn, 4096 + 1044480);
	ck_assert_str_eq(z[2].name, "Normal");
	ck_assert_uint_eq(z[2].end_pfn, 1048576 + 5505024);
	/* overlaps node 0's Normal: clipped */
	ck_assert_int_eq(z[3].node, 1);
	ck_assert_uint_eq(z[3].start_pfn, 1048576 + 5505024);
	ck_assert_uint_eq(z[3].end_pfn, 6553000 + 1000);

	ck_assert_int_eq(zoneinfo_parse(zoneinfo_text, z, 2, &nr), -EINVAL);
	ck_assert_int_eq(zoneinfo_parse("", z, 8, &nr), 0);
	ck_assert_uint_eq(nr, 0);
	ck_assert_int_eq(zoneinfo_parse("Node 0, zone DMA\n spanned  x1\n", z,
					8, &nr),
			 -EINVAL);
}
END_TEST

struct state_case {
	uint64_t flags, count;
	enum frame_state want;
};

static const struct state_case state_cases[] = {
	{ F(BUDDY), 0, FRAME_FREE },
	{ 0, 0, FRAME_FREE },
	{ 0, 1, FRAME_UNMOVABLE },
	{ F(NOPAGE), 0, FRAME_HOLE },
	{ F(ANON) | F(LRU) | F(MMAP) | F(SWAPBACKED), 1, FRAME_MOVABLE },
	{ F(ANON) | F(LRU) | F(MMAP) | F(ACTIVE), 2, FRAME_MOVABLE },
	{ F(ANON) | F(LRU) | F(UNEVICTABLE), 1, FRAME_UNMOVABLE },
	{ F(ANON) | F(LRU) | KPF_BIT(KPF_MLOCKED), 1, FRAME_UNMOVABLE },
	{ F(ANON) | F(LRU) | F(KSM), 3, FRAME_UNMOVABLE },
	/*
	 * 6.12 sets KPF_KSM on every anonymous page; one that is exclusive
	 * to its mapping (PG_anon_exclusive, KPF_OWNER_2) is no KSM page.
	 * As 6.12.117 reports a faulted page, and one shared after a fork.
	 */
	{ F(ANON) | F(LRU) | F(MMAP) | F(UPTODATE) | F(SWAPBACKED) | F(KSM) |
		  KPF_BIT(KPF_ANON_EXCLUSIVE),
	  1, FRAME_MOVABLE },
	{ F(ANON) | F(LRU) | F(COMPOUND_HEAD) | F(THP) | F(KSM) |
		  KPF_BIT(KPF_ANON_EXCLUSIVE),
	  1, FRAME_MOVABLE },
	{ F(ANON) | F(LRU) | F(MMAP) | F(SWAPBACKED) | F(KSM), 2,
	  FRAME_UNMOVABLE },
	/* a THP's head and tail (6.1: no LRU bit on tails) */
	{ F(ANON) | F(LRU) | F(COMPOUND_HEAD) | F(THP), 1, FRAME_MOVABLE },
	{ F(ANON) | F(COMPOUND_TAIL) | F(THP), 1, FRAME_MOVABLE },
	{ F(ANON) | F(LRU) | F(COMPOUND_TAIL) | F(THP), 1, FRAME_MOVABLE },
	{ F(ANON) | F(LRU) | F(COMPOUND_HEAD) | F(THP) | F(KSM), 1,
	  FRAME_UNMOVABLE },
	{ F(ANON) | F(COMPOUND_HEAD) | F(THP), 1, FRAME_UNMOVABLE },
	/* hugetlb, and compound pages that are no THP */
	{ F(ANON) | F(LRU) | F(COMPOUND_HEAD) | F(HUGE), 1, FRAME_UNMOVABLE },
	{ F(ANON) | F(LRU) | F(COMPOUND_TAIL), 1, FRAME_UNMOVABLE },
	{ F(COMPOUND_TAIL) | F(THP), 1, FRAME_UNMOVABLE }, /* huge zero */
	{ F(ANON), 1, FRAME_UNMOVABLE }, /* not on the LRU */
	{ F(LRU) | F(MMAP) | F(UPTODATE), 1, FRAME_UNMOVABLE }, /* file */
	{ F(SLAB), 0, FRAME_UNMOVABLE },
	{ F(PGTABLE), 0, FRAME_UNMOVABLE },
	{ KPF_BIT(KPF_RESERVED), 0, FRAME_UNMOVABLE },
	{ F(OFFLINE), 0, FRAME_UNMOVABLE },
	{ F(ZERO_PAGE) | F(ANON) | F(LRU), 9, FRAME_UNMOVABLE },
};

START_TEST(test_frame_state)
{
	const struct state_case *c = &state_cases[_i];

	ck_assert_int_eq(frame_state_of(c->flags, c->count), c->want);
}
END_TEST

/*
 * Frames 0..19: RAM 1..9 and 12..17 (the file ends at 16: 16, 17 are
 * holes), one zone 1..18.
 */
START_TEST(test_build_fake)
{
	static const uint64_t flags[16] = {
		[1] = F(BUDDY),
		[2] = 0,
		[3] = F(ANON) | F(LRU) | F(MMAP),
		[4] = F(SLAB),
		[5] = F(ANON) | F(LRU) | F(MMAP),
		[6] = F(NOPAGE),
		[7] = F(LRU) | F(MMAP),
		[8] = 0,
		[9] = F(BUDDY), /* not RAM: ignored */
		[12] = F(BUDDY),
		[13] = 0,
		[14] = F(ANON) | F(LRU) | F(KSM),
		[15] = F(ANON) | F(LRU),
	};
	static const uint64_t count[16] = {
		[3] = 1, [5] = 1, [7] = 1, [8] = 1, [14] = 2, [15] = 1,
	};
	static const uint8_t want[20] = {
		FRAME_HOLE,    FRAME_FREE,	FRAME_FREE,
		FRAME_MOVABLE, FRAME_UNMOVABLE, FRAME_MOVABLE,
		FRAME_HOLE,    FRAME_UNMOVABLE, FRAME_UNMOVABLE,
		FRAME_HOLE,    FRAME_HOLE,	FRAME_HOLE,
		FRAME_FREE,    FRAME_FREE,	FRAME_UNMOVABLE,
		FRAME_MOVABLE, FRAME_HOLE,	FRAME_HOLE,
		FRAME_HOLE,    FRAME_HOLE,
	};
	struct framemap_counts cnt;
	struct frame_map fm;
	uint64_t i;

	fake_proc_text("iomem", "00000000-00000fff : Reserved\n"
				"00001000-00008fff : System RAM\n"
				"00009000-0000bfff : Reserved\n"
				"0000c000-00011fff : System RAM\n");
	fake_proc_text("zoneinfo", "Node 0, zone      DMA\n"
				   "        spanned  17\n"
				   "  start_pfn:           1\n");
	fake_proc_u64("kpageflags", 0, flags, 16);
	fake_proc_u64("kpagecount", 0, count, 16);

	ck_assert_int_eq(framemap_build(fake_root, &fm, &cnt), 0);
	ck_assert_uint_eq(fm.nr_frames, 18);
	for (i = 0; i < fm.nr_frames; i++)
		ck_assert_msg(fm.state[i] == want[i], "frame %u: %u, want %u",
			      (unsigned int)i, fm.state[i], want[i]);
	ck_assert_uint_eq(fm.nr_zones, 1);
	ck_assert_uint_eq(fm.zones[0].start_pfn, 1);
	ck_assert_uint_eq(fm.zones[0].end_pfn, 18);
	ck_assert_uint_eq(cnt.ram, 8 + 6);
	ck_assert_uint_eq(cnt.state[FRAME_FREE], 4);
	ck_assert_uint_eq(cnt.state[FRAME_MOVABLE], 3);
	ck_assert_uint_eq(cnt.state[FRAME_UNMOVABLE], 4);
	ck_assert_uint_eq(cnt.state[FRAME_HOLE], 7);
	/* the index agrees */
	ck_assert(frame_map_window_ok(&fm, 1, 4));
	ck_assert(!frame_map_window_ok(&fm, 1, 5));
	ck_assert(frame_map_window_ok(&fm, 12, 14));
	frame_map_free(&fm);
}
END_TEST

/*
 * Large anonymous folios: frames 4..7 an order-2 THP (tails without the
 * LRU bit, as 6.1 shows them), 8..15 an order-3 one, 1..3 a compound
 * page of three frames (no folio we know), 16..17 a hugetlb page.
 */
START_TEST(test_build_folios)
{
	const uint64_t h = F(ANON) | F(LRU) | F(COMPOUND_HEAD) | F(THP);
	const uint64_t t = F(ANON) | F(COMPOUND_TAIL) | F(THP);
	const uint64_t flags[20] = {
		[0] = F(BUDDY), [1] = h,  [2] = t,  [3] = t,  [4] = h,
		[5] = t,	[6] = t,  [7] = t,  [8] = h,  [9] = t,
		[10] = t,	[11] = t, [12] = t, [13] = t, [14] = t,
		[15] = t,	[16] = F(COMPOUND_HEAD) | F(HUGE),
		[17] = F(COMPOUND_TAIL) | F(HUGE),
		[18] = F(ANON) | F(LRU),
	};
	const uint64_t count[20] = { [1] = 1, [4] = 1, [8] = 1, [18] = 1 };
	struct frame_map fm;
	uint64_t i;

	fake_proc_text("iomem", "00000000-00013fff : System RAM\n");
	fake_proc_text("zoneinfo", "Node 0, zone      DMA\n"
				   "        spanned  20\n"
				   "  start_pfn:           0\n");
	fake_proc_u64("kpageflags", 0, flags, 20);
	fake_proc_u64("kpagecount", 0, count, 20);
	ck_assert_int_eq(framemap_build(fake_root, &fm, NULL), 0);
	ck_assert_uint_eq(fm.nr_frames, 20);
	for (i = 1; i < 16; i++)
		ck_assert_int_eq(fm.state[i], FRAME_MOVABLE);
	ck_assert_int_eq(fm.state[16], FRAME_UNMOVABLE);
	ck_assert_int_eq(fm.state[17], FRAME_UNMOVABLE);
	ck_assert_int_eq(fm.state[18], FRAME_MOVABLE);
	ck_assert_ptr_nonnull(fm.order);
	for (i = 0; i < 20; i++)
		ck_assert_msg(frame_map_order(&fm, i) ==
				      (i >= 4 && i < 8 ? 2u :
				       i >= 8 && i < 16 ? 3u :
							  0u),
			      "frame %u: order %u", (unsigned int)i,
			      frame_map_order(&fm, i));
	frame_map_free(&fm);
}
END_TEST

/*
 * Deferred struct page init: whole sections with no flags at all are
 * holes; a section only partly in RAM is not judged.
 */
START_TEST(test_build_uninit)
{
	const uint64_t sec = FRAMEMAP_SECTION_FRAMES, n = 3 * sec;
	uint64_t *flags = calloc(n, 8), *count = calloc(n, 8);
	struct framemap_counts cnt;
	struct frame_map fm;

	ck_assert(flags && count);
	/* section 0: RAM from frame 100 on, no flags; section 1: nothing */
	flags[2 * sec] = F(BUDDY);
	flags[2 * sec + 5] = F(ANON) | F(LRU) | F(MMAP);
	count[2 * sec + 5] = 1;
	fake_proc_text("iomem", "00064000-17ffffff : System RAM\n");
	fake_proc_text("zoneinfo", "");
	fake_proc_u64("kpageflags", 0, flags, n);
	fake_proc_u64("kpagecount", 0, count, n);
	ck_assert_int_eq(framemap_build(fake_root, &fm, &cnt), 0);
	ck_assert_uint_eq(fm.nr_frames, n);
	ck_assert_uint_eq(cnt.uninit, sec);
	ck_assert_uint_eq(fm.state[99], FRAME_HOLE);
	ck_assert_uint_eq(fm.state[100], FRAME_FREE);
	ck_assert_uint_eq(fm.state[sec - 1], FRAME_FREE);
	ck_assert_uint_eq(fm.state[sec], FRAME_HOLE);
	ck_assert_uint_eq(fm.state[2 * sec - 1], FRAME_HOLE);
	ck_assert_uint_eq(fm.state[2 * sec], FRAME_FREE);
	ck_assert_uint_eq(fm.state[2 * sec + 5], FRAME_MOVABLE);
	ck_assert_uint_eq(fm.state[n - 1], FRAME_FREE);
	ck_assert_uint_eq(cnt.state[FRAME_HOLE], 100 + sec);
	ck_assert_uint_eq(cnt.state[FRAME_MOVABLE], 1);
	frame_map_free(&fm);
	free(flags);
	free(count);
}
END_TEST

START_TEST(test_build_errors)
{
	struct frame_map fm;

	/* nothing there */
	ck_assert_int_eq(framemap_build(fake_root, &fm, NULL), -ENOENT);
	fake_proc_text("iomem", "00000000-00000000 : System RAM\n");
	fake_proc_text("zoneinfo", "");
	ck_assert_int_eq(framemap_build(fake_root, &fm, NULL), -EPERM);
	fake_proc_text("iomem", "00001000-00008fff : System RAM\n");
	ck_assert_int_eq(framemap_build(fake_root, &fm, NULL), -ENOENT);
}
END_TEST

START_TEST(test_kpageflags_read)
{
	uint64_t v[3] = { 1, 2, 3 }, out[8], n;

	fake_proc_u64("kpageflags", 5, v, 3);
	ck_assert_int_eq(kpageflags_read(fake_root, 5, 3, out, &n), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_uint_eq(out[2], 3);
	/* past the kernel's last frame */
	ck_assert_int_eq(kpageflags_read(fake_root, 6, 8, out, &n), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(out[0], 2);
}
END_TEST

Suite *test_framemap_build_suite(void)
{
	Suite *s = suite_create("framemap_build");
	TCase *tc = tcase_create("parse");
	TCase *fake = tcase_create("fake_proc");

	tcase_add_loop_test(tc, test_iomem, 0,
			    sizeof(iomem_cases) / sizeof(iomem_cases[0]));
	tcase_add_test(tc, test_zoneinfo);
	tcase_add_loop_test(tc, test_frame_state, 0,
			    sizeof(state_cases) / sizeof(state_cases[0]));
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(fake, fake_proc_setup, fake_proc_teardown);
	tcase_add_test(fake, test_build_fake);
	tcase_add_test(fake, test_build_folios);
	tcase_add_test(fake, test_build_uninit);
	tcase_add_test(fake, test_build_errors);
	tcase_add_test(fake, test_kpageflags_read);
	suite_add_tcase(s, fake);
	return s;
}
