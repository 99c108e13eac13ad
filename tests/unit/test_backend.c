// SPDX-License-Identifier: GPL-2.0-only
/*
 * Backend names, the sim backend's ops and injections, and the
 * MADV_NOHUGEPAGE check of the collapse backend on a fake /proc.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend_sim.h"

START_TEST(test_backend_names)
{
	static const char *const names[] = { "sim", "collapse", "kmod" };
	enum backend_kind k;

	ck_assert_int_eq(backend_kind_parse(names[_i], &k), 0);
	ck_assert_int_eq(k, _i);
	ck_assert_str_eq(backend_kind_name(k), names[_i]);
}
END_TEST

START_TEST(test_backend_bad_name)
{
	enum backend_kind k;

	ck_assert_int_eq(backend_kind_parse("auto", &k), -EINVAL);
	ck_assert_int_eq(backend_kind_parse("", &k), -EINVAL);
	ck_assert_str_eq(backend_kind_name(BACKEND_KIND_COUNT), "unknown");
}
END_TEST

START_TEST(test_backend_sim_ops)
{
	struct backend_op ops[4] = {
		{ .kind = BACKEND_OP_MOVE, .vaddr = 0x100000, .pfn = 10 },
		{ .kind = BACKEND_OP_EXCHANGE, .vaddr = 0x101000, .pfn = 2 },
		{ .kind = BACKEND_OP_COLLAPSE, .vaddr = 0x100000 },
		{ .kind = BACKEND_OP_MOVE, .vaddr = 0x200000, .pfn = 11 },
	};
	struct backend_info info;
	struct backend *b;
	struct sim s;
	uint64_t pfn[2];
	int id;

	ck_assert_int_eq(sim_init(&s, 64), 0);
	id = sim_vma_add(&s, 0x100, 2);
	ck_assert_int_ge(id, 0);
	ck_assert_int_eq(sim_fault(&s, (uint32_t)id, 0, 1), 0);
	ck_assert_int_eq(sim_fault(&s, (uint32_t)id, 1, 2), 0);
	ck_assert_int_eq(backend_sim_create(&s, &b), 0);
	ck_assert_int_eq(backend_info(b, &info), 0);
	ck_assert_uint_eq(info.caps, BACKEND_CAP_PLACE);
	ck_assert_int_eq(backend_sim_inject(b, 0x101, -EAGAIN, 1), 0);
	ck_assert_int_eq(backend_sim_inject(b, 0x101, 5, 1), -EINVAL);

	ck_assert_int_eq(backend_apply(b, 1, ops, 4), 0);
	ck_assert_int_eq(ops[0].result, 0);
	ck_assert_int_eq(ops[1].result, -EAGAIN); /* injected once */
	ck_assert_int_eq(ops[2].result, -EOPNOTSUPP);
	ck_assert_int_eq(ops[3].result, -EFAULT); /* no VMA there */
	ck_assert_int_eq(backend_apply(b, 1, &ops[1], 1), 0);
	ck_assert_int_eq(ops[1].result, 0); /* frame 2 is its own: no-op */
	ck_assert_uint_eq(backend_sim_attempts(b), 5);

	ck_assert_int_eq(backend_read_pfns(b, 1, 0x100, 2, pfn), 0);
	ck_assert_uint_eq(pfn[0], 10);
	ck_assert_uint_eq(pfn[1], 2);
	ck_assert_int_eq(sim_check(&s), 0);
	backend_destroy(b);
	sim_free(&s);
}
END_TEST

static const char smaps[] = "7f0000000000-7f0000400000 rw-p 00000000 00:00 0 \n"
			    "Size:               4096 kB\n"
			    "VmFlags: rd wr mr mw me ac sd \n"
			    "7f0000400000-7f0000800000 rw-p 00000000 00:00 0 \n"
			    "Size:               4096 kB\n"
			    "VmFlags: rd wr mr mw me ac sd nh \n"
			    "7f0000800000-7f0000c00000 rw-p 00000000 00:00 0 \n"
			    "VmFlags: rd wr mr mw me nhx hg\n";

START_TEST(test_backend_nohugepage)
{
	char root[] = "/tmp/test_backend.XXXXXX", path[96];
	FILE *f;

	ck_assert_ptr_nonnull(mkdtemp(root));
	snprintf(path, sizeof(path), "%s/42", root);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/42/smaps", root);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(smaps, f);
	fclose(f);

	ck_assert_int_eq(backend_vma_nohugepage(root, 42, 0x7f0000200000), 0);
	ck_assert_int_eq(backend_vma_nohugepage(root, 42, 0x7f0000400000), 1);
	ck_assert_int_eq(backend_vma_nohugepage(root, 42, 0x7f00007ff000), 1);
	/* "nhx" is not "nh" */
	ck_assert_int_eq(backend_vma_nohugepage(root, 42, 0x7f0000800000), 0);
	ck_assert_int_eq(backend_vma_nohugepage(root, 42, 0x1000), -ENOENT);
	ck_assert_int_lt(backend_vma_nohugepage(root, 43, 0x1000), 0);

	ck_assert_int_eq(unlink(path), 0);
	snprintf(path, sizeof(path), "%s/42", root);
	ck_assert_int_eq(rmdir(path), 0);
	ck_assert_int_eq(rmdir(root), 0);
}
END_TEST

Suite *test_backend_suite(void)
{
	Suite *s = suite_create("backend");
	TCase *tc = tcase_create("backend");

	tcase_add_loop_test(tc, test_backend_names, 0, 3);
	tcase_add_test(tc, test_backend_bad_name);
	tcase_add_test(tc, test_backend_sim_ops);
	tcase_add_test(tc, test_backend_nohugepage);
	suite_add_tcase(s, tc);
	return s;
}
