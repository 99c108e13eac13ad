// SPDX-License-Identifier: GPL-2.0-only
/*
 * AnonHugePages per VMA from smaps text.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>

#include "maps.h"
#include "smaps_thp.h"

static const char maps_text[] =
	"7f0000000000-7f0004000000 rw-p 00000000 00:00 0 \n"
	"7f0004000000-7f0004001000 r--p 00000000 08:01 42 /usr/lib/x.so\n"
	"7ffd00000000-7ffd00021000 rw-p 00000000 00:00 0 [stack]\n";

static const char smaps_text[] =
	"7f0000000000-7f0004000000 rw-p 00000000 00:00 0 \n"
	"Size:              65536 kB\n"
	"Anonymous:         65536 kB\n"
	"AnonHugePages:     32768 kB\n"
	"VmFlags: rd wr mr mw me ac hg\n"
	"7f0004000000-7f0004001000 r--p 00000000 08:01 42 /usr/lib/x.so\n"
	"AnonHugePages:         0 kB\n"
	/* a mapping that appeared after maps was read: ignored */
	"7f0005000000-7f0005200000 rw-p 00000000 00:00 0 \n"
	"AnonHugePages:      2048 kB\n"
	"7ffd00000000-7ffd00021000 rw-p 00000000 00:00 0 [stack]\n"
	"AnonHugePages:         4 kB\n";

START_TEST(test_smaps_anon_huge)
{
	struct vma_list maps = { 0 };
	uint64_t bytes[3];

	ck_assert_int_eq(maps_parse(maps_text, &maps), 0);
	ck_assert_uint_eq(maps.nr, 3);
	ck_assert_int_eq(smaps_parse_anon_huge(smaps_text, &maps, bytes), 0);
	ck_assert_uint_eq(bytes[0], 32ull << 20);
	ck_assert_uint_eq(bytes[1], 0);
	ck_assert_uint_eq(bytes[2], 4096);
	/* nothing known: zeros */
	ck_assert_int_eq(smaps_parse_anon_huge("", &maps, bytes), 0);
	ck_assert_uint_eq(bytes[0], 0);
	/* a malformed figure is an error, not a guess */
	ck_assert_int_eq(smaps_parse_anon_huge("7f0000000000-7f0004000000 rw-p "
					       "00000000 00:00 0\n"
					       "AnonHugePages: lots kB\n",
					       &maps, bytes),
			 -EINVAL);
	ck_assert_int_eq(smaps_parse_anon_huge("AnonHugePages: 99999999999999"
					       "999999 kB\n",
					       &maps, bytes),
			 -EINVAL);
	vma_list_free(&maps);
}
END_TEST

Suite *test_smaps_suite(void)
{
	Suite *s = suite_create("smaps");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, test_smaps_anon_huge);
	suite_add_tcase(s, tc);
	return s;
}
