// SPDX-License-Identifier: GPL-2.0-only
/*
 * Giant pieces split for bounded passes (pieces.c), on this process's
 * own sparse mapping: pieces up to 1 GiB stay whole; a larger one keeps
 * only its 2 MiB blocks with pages, cut at 1 GiB boundaries.
 */
#include <check.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pieces.h"

#define MIB (UINT64_C(1) << 20)
#define GIB (UINT64_C(1) << 30)

START_TEST(test_split_sparse)
{
	size_t len = 4 * GIB, n;
	char *raw = mmap(NULL, len + GIB, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	uint64_t base;
	struct piece in[2], *out;

	ck_assert_ptr_ne(raw, MAP_FAILED);
	/* 1 GiB-aligned, so that the cuts fall where the test expects */
	base = ((uint64_t)(uintptr_t)raw + GIB - 1) & ~(GIB - 1);
	((char *)(uintptr_t)base)[5 * MIB] = 1; /* block 2 */
	((char *)(uintptr_t)base)[7 * MIB] = 1; /* block 3: joins 2 */
	((char *)(uintptr_t)base)[GIB - 4096] = 1; /* last block of GiB 0 */
	((char *)(uintptr_t)base)[GIB] = 1; /* first of GiB 1: cut */
	((char *)(uintptr_t)base)[3 * GIB + 1 * MIB] = 1;
	in[0].start = base;
	in[0].end = base + 4 * GIB;
	in[1].start = base + 4 * GIB; /* a small one: left whole */
	in[1].end = base + 4 * GIB + 8 * MIB;
	ck_assert_int_eq(pieces_split("/proc", getpid(), in, 2, &out, &n), 0);
	ck_assert_uint_eq(n, 5);
	ck_assert_uint_eq(out[0].start, base + 4 * MIB);
	ck_assert_uint_eq(out[0].end, base + 8 * MIB);
	ck_assert_uint_eq(out[1].start, base + GIB - 2 * MIB);
	ck_assert_uint_eq(out[1].end, base + GIB);
	ck_assert_uint_eq(out[2].start, base + GIB);
	ck_assert_uint_eq(out[2].end, base + GIB + 2 * MIB);
	ck_assert_uint_eq(out[3].start, base + 3 * GIB);
	ck_assert_uint_eq(out[3].end, base + 3 * GIB + 2 * MIB);
	ck_assert_uint_eq(out[4].start, in[1].start);
	ck_assert_uint_eq(out[4].end, in[1].end);
	free(out);
	/* without a readable pagemap only the size splits */
	ck_assert_int_eq(pieces_split("/nonexistent", getpid(), in, 1, &out,
				      &n),
			 0);
	ck_assert_uint_eq(n, 4);
	ck_assert_uint_eq(out[3].end, base + 4 * GIB);
	free(out);
	munmap(raw, len + GIB);
}
END_TEST

Suite *test_pieces_suite(void)
{
	Suite *s = suite_create("pieces");
	TCase *tc = tcase_create("pieces");

	tcase_add_test(tc, test_split_sparse);
	suite_add_tcase(s, tc);
	return s;
}
