// SPDX-License-Identifier: GPL-2.0-only
/*
 * /proc/PID/maps and /proc/PID/stat parsing.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "maps.h"
#include "proc_task.h"

struct maps_case {
	const char *line;
	int rc;
	uint64_t start, end;
	const char *perms;
	uint64_t offset, inode;
	const char *path; /* NULL: none */
	enum vma_kind kind;
	int deleted;
};

static const struct maps_case maps_cases[] = {
	{ "55d4c0a00000-55d4c0a21000 r--p 00000000 08:01 1835106                    /usr/bin/cat\n",
	  0, 0x55d4c0a00000, 0x55d4c0a21000, "r--p", 0, 1835106, "/usr/bin/cat",
	  VMA_KIND_FILE, 0 },
	{ "7f0000000000-7f0000001000 rw-p 00000000 00:00 0 ", 0, 0x7f0000000000,
	  0x7f0000001000, "rw-p", 0, 0, NULL, VMA_KIND_ANON, 0 },
	{ "7f0000000000-7f0000001000 rw-p 00000000 00:00 0", 0, 0x7f0000000000,
	  0x7f0000001000, "rw-p", 0, 0, NULL, VMA_KIND_ANON, 0 },
	{ "7f0000000000-7f0000001000 rw-p 00000000 00:00 0\n", 0,
	  0x7f0000000000, 0x7f0000001000, "rw-p", 0, 0, NULL, VMA_KIND_ANON,
	  0 },
	{ "7f1000000000-7f1000004000 r-xs 00002000 fd:02 42     /home/u/my file with  spaces.so",
	  0, 0x7f1000000000, 0x7f1000004000, "r-xs", 0x2000, 42,
	  "/home/u/my file with  spaces.so", VMA_KIND_FILE, 0 },
	{ "7f1000000000-7f1000004000 r--p 00000000 fd:02 42     /tmp/gone (deleted)",
	  0, 0x7f1000000000, 0x7f1000004000, "r--p", 0, 42,
	  "/tmp/gone (deleted)", VMA_KIND_FILE, 1 },
	{ "563a810db000-563a81151000 rw-p 00000000 00:00 0                          [heap]",
	  0, 0x563a810db000, 0x563a81151000, "rw-p", 0, 0, "[heap]",
	  VMA_KIND_HEAP, 0 },
	{ "7ffedf9b1000-7ffedf9d2000 rw-p 00000000 00:00 0                          [stack]",
	  0, 0x7ffedf9b1000, 0x7ffedf9d2000, "rw-p", 0, 0, "[stack]",
	  VMA_KIND_STACK, 0 },
	{ "7ffedf9b1000-7ffedf9d2000 rw-p 00000000 00:00 0  [stack:1234]", 0,
	  0x7ffedf9b1000, 0x7ffedf9d2000, "rw-p", 0, 0, "[stack:1234]",
	  VMA_KIND_STACK, 0 },
	{ "7f0000000000-7f0000100000 rw-p 00000000 00:00 0   [anon:jemalloc arena]",
	  0, 0x7f0000000000, 0x7f0000100000, "rw-p", 0, 0,
	  "[anon:jemalloc arena]", VMA_KIND_ANON, 0 },
	{ "7f0000000000-7f0000100000 rw-s 00000000 00:01 7   [anon_shmem:ring]",
	  0, 0x7f0000000000, 0x7f0000100000, "rw-s", 0, 7, "[anon_shmem:ring]",
	  VMA_KIND_SHM, 0 },
	{ "7fabb9b9e000-7fabb9ba0000 r-xp 00000000 00:00 0  [vdso]", 0,
	  0x7fabb9b9e000, 0x7fabb9ba0000, "r-xp", 0, 0, "[vdso]", VMA_KIND_VDSO,
	  0 },
	{ "7fabb9b98000-7fabb9b9c000 r--p 00000000 00:00 0  [vvar]", 0,
	  0x7fabb9b98000, 0x7fabb9b9c000, "r--p", 0, 0, "[vvar]", VMA_KIND_VVAR,
	  0 },
	{ "7fabb9b9c000-7fabb9b9e000 r--p 00000000 00:00 0  [vvar_vclock]", 0,
	  0x7fabb9b9c000, 0x7fabb9b9e000, "r--p", 0, 0, "[vvar_vclock]",
	  VMA_KIND_VVAR, 0 },
	{ "ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0  [vsyscall]",
	  0, 0xffffffffff600000, 0xffffffffff601000, "--xp", 0, 0, "[vsyscall]",
	  VMA_KIND_VSYSCALL, 0 },
	{ "7f0000000000-7f0000100000 rw-s 00000000 00:05 98  /SYSV00000000 (deleted)",
	  0, 0x7f0000000000, 0x7f0000100000, "rw-s", 0, 98,
	  "/SYSV00000000 (deleted)", VMA_KIND_SHM, 1 },
	{ "7f0000000000-7f0000100000 rw-s 00000000 00:01 99  /memfd:buf (deleted)",
	  0, 0x7f0000000000, 0x7f0000100000, "rw-s", 0, 99,
	  "/memfd:buf (deleted)", VMA_KIND_SHM, 1 },
	{ "7f0000000000-7f0000100000 rw-s 00000000 00:01 5  /dev/zero (deleted)",
	  0, 0x7f0000000000, 0x7f0000100000, "rw-s", 0, 5,
	  "/dev/zero (deleted)", VMA_KIND_SHM, 1 },
	{ "7f0000000000-7f0000100000 rw-s 00000000 00:1a 5  /dev/shm/pulse-shm-1",
	  0, 0x7f0000000000, 0x7f0000100000, "rw-s", 0, 5,
	  "/dev/shm/pulse-shm-1", VMA_KIND_SHM, 0 },
	{ "ffff0000-ffff1000 r-xp 00000000 00:00 0  [vectors]", 0, 0xffff0000,
	  0xffff1000, "r-xp", 0, 0, "[vectors]", VMA_KIND_OTHER, 0 },
	/* malformed */
	{ .line = "", .rc = -EINVAL },
	{ .line = "garbage", .rc = -EINVAL },
	{ .line = "7f0000000000 rw-p 00000000 00:00 0", .rc = -EINVAL },
	{ .line = "7f0000001000-7f0000000000 rw-p 00000000 00:00 0",
	  .rc = -EINVAL },
	{ .line = "7f0000000000-7f0000000000 rw-p 00000000 00:00 0",
	  .rc = -EINVAL },
	{ .line = "7f0000000000-7f0000001000 rwzp 00000000 00:00 0",
	  .rc = -EINVAL },
	{ .line = "7f0000000000-7f0000001000 rw-p 0000000g 00:00 0",
	  .rc = -EINVAL },
	{ .line = "7f0000000000-7f0000001000 rw-p 00000000 0000 0",
	  .rc = -EINVAL },
	{ .line = "7f0000000000-7f0000001000 rw-p 00000000 00:00 x",
	  .rc = -EINVAL },
	{ .line = "7f0000000000-7f0000001000 rw-p 00000000 00:00 -1",
	  .rc = -EINVAL },
	{ .line = "7f0000000000-7f0000001000 rw-p 00000000 00:00",
	  .rc = -EINVAL },
	{ .line = "-7f0000000000-7f0000001000 rw-p 00000000 00:00 0",
	  .rc = -EINVAL },
	{ .line = "7f0000000000-7f0000001000 rw-p", .rc = -EINVAL },
	{ .line = "7f0000000000-7f0000001000  rw-p 00000000 00:00 0",
	  .rc = -EINVAL },
	{ .line = "10000000000000000-10000000000000001 rw-p 00000000 00:00 0",
	  .rc = -EINVAL },
	{ .line = "7f0000000000-7f0000001000 rw-p 00000000 00:00 0 /a\n/b",
	  .rc = -EINVAL },
};

START_TEST(test_maps_line)
{
	const struct maps_case *c = &maps_cases[_i];
	struct vma_info v;
	int rc = maps_parse_line(c->line, &v);

	ck_assert_msg(rc == c->rc, "'%s': rc %d, want %d", c->line, rc, c->rc);
	if (rc)
		return;
	ck_assert_uint_eq(v.start, c->start);
	ck_assert_uint_eq(v.end, c->end);
	ck_assert_str_eq(v.perms, c->perms);
	ck_assert_uint_eq(v.offset, c->offset);
	ck_assert_uint_eq(v.inode, c->inode);
	if (c->path)
		ck_assert_str_eq(v.path, c->path);
	else
		ck_assert_ptr_null(v.path);
	ck_assert_int_eq(v.kind, c->kind);
	ck_assert_int_eq(v.deleted, c->deleted);
	free(v.path);
}
END_TEST

START_TEST(test_maps_dev)
{
	struct vma_info v;

	ck_assert_int_eq(
		maps_parse_line("1000-2000 r--p 00000000 fd:1a 7 /x", &v), 0);
	ck_assert_uint_eq(v.dev_major, 0xfd);
	ck_assert_uint_eq(v.dev_minor, 0x1a);
	free(v.path);
}
END_TEST

START_TEST(test_maps_kind_names)
{
	int k;

	for (k = 0; k < VMA_KIND_COUNT; k++)
		ck_assert_str_ne(vma_kind_name(k), "?");
	ck_assert_str_eq(vma_kind_name(VMA_KIND_ANON), "anon");
	ck_assert_str_eq(vma_kind_name(VMA_KIND_SHM), "shm");
	ck_assert_str_eq(vma_kind_name(VMA_KIND_COUNT), "?");
}
END_TEST

START_TEST(test_maps_parse_file)
{
	static const char text[] =
		"1000-2000 r--p 00000000 08:01 10 /bin/a\n"
		"2000-3000 rw-p 00000000 00:00 0 \n"
		"7ffd0000-7ffe0000 rw-p 00000000 00:00 0   [stack]\n";
	struct vma_list l = { 0 };

	ck_assert_int_eq(maps_parse(text, &l), 0);
	ck_assert_uint_eq(l.nr, 3);
	ck_assert_int_eq(l.v[0].kind, VMA_KIND_FILE);
	ck_assert_int_eq(l.v[1].kind, VMA_KIND_ANON);
	ck_assert_int_eq(l.v[2].kind, VMA_KIND_STACK);
	vma_list_free(&l);

	ck_assert_int_eq(maps_parse("1000-2000 r--p 0 08:01 10 /a\nbad\n", &l),
			 -EINVAL);
	vma_list_free(&l);
	ck_assert_int_eq(maps_parse("", &l), 0);
	ck_assert_uint_eq(l.nr, 0);
}
END_TEST

/* A fake /proc with one process. */
static char root[64];

static void write_file(const char *rel, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

static void fake_setup(void)
{
	char d[128];

	snprintf(root, sizeof(root), "/tmp/contig-test-maps-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(root));
	snprintf(d, sizeof(d), "%s/42", root);
	ck_assert_int_eq(mkdir(d, 0755), 0);
}

static void fake_teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	ck_assert_int_eq(system(cmd), 0);
}

START_TEST(test_maps_read_fake)
{
	struct vma_list l = { 0 };

	write_file("42/maps", "1000-3000 rw-p 00000000 00:00 0 [heap]\n");
	ck_assert_int_eq(maps_read(root, 42, &l), 0);
	ck_assert_uint_eq(l.nr, 1);
	ck_assert_int_eq(l.v[0].kind, VMA_KIND_HEAP);
	vma_list_free(&l);
	/* no such process */
	ck_assert_int_eq(maps_read(root, 43, &l), -ESRCH);
	/* a kernel thread: empty */
	write_file("42/maps", "");
	ck_assert_int_eq(maps_read(root, 42, &l), 0);
	ck_assert_uint_eq(l.nr, 0);
}
END_TEST

struct stat_case {
	const char *text;
	int rc;
	const char *comm;
	char state;
	int kthread;
};

static const struct stat_case stat_cases[] = {
	{ "2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0 0 0\n", 0, "kthreadd", 'S',
	  1 },
	{ "1234 (my (odd) prog) R 1 1234 1234 34816 1234 4194304 120 0\n", 0,
	  "my (odd) prog", 'R', 0 },
	{ "77 (a) b) Z 1 77 77 0 -1 4227148 0 0\n", 0, "a) b", 'Z', 0 },
	{ .text = "77 (x) S 1 77 77 0 -1\n", .rc = -EINVAL },
	{ .text = "77 x S 1 77 77 0 -1 0\n", .rc = -EINVAL },
	{ .text = "(x) S 1 77 77 0 -1 0\n", .rc = -EINVAL },
	{ .text = "", .rc = -EINVAL },
};

START_TEST(test_stat_parse)
{
	const struct stat_case *c = &stat_cases[_i];
	struct proc_task t;
	int rc = proc_task_parse_stat(c->text, &t);

	ck_assert_msg(rc == c->rc, "'%s': rc %d", c->text, rc);
	if (rc)
		return;
	ck_assert_str_eq(t.comm, c->comm);
	ck_assert_int_eq(t.state, c->state);
	ck_assert_int_eq(t.kthread, c->kthread);
	ck_assert_int_eq(t.zombie, c->state == 'Z');
}
END_TEST

START_TEST(test_stat_read_fake)
{
	struct proc_task t;

	write_file("42/stat", "42 (sleep) S 1 42 42 0 -1 4194560 0 0\n");
	ck_assert_int_eq(proc_task_read(root, 42, &t), 0);
	ck_assert_int_eq(t.pid, 42);
	ck_assert(!t.kthread);
	ck_assert_int_eq(proc_task_read(root, 7, &t), -ESRCH);
}
END_TEST

Suite *test_maps_suite(void)
{
	Suite *s = suite_create("maps");
	TCase *tc = tcase_create("parse");
	TCase *fake = tcase_create("fake_proc");

	tcase_add_loop_test(tc, test_maps_line, 0,
			    sizeof(maps_cases) / sizeof(maps_cases[0]));
	tcase_add_test(tc, test_maps_dev);
	tcase_add_test(tc, test_maps_kind_names);
	tcase_add_test(tc, test_maps_parse_file);
	tcase_add_loop_test(tc, test_stat_parse, 0,
			    sizeof(stat_cases) / sizeof(stat_cases[0]));
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(fake, fake_setup, fake_teardown);
	tcase_add_test(fake, test_maps_read_fake);
	tcase_add_test(fake, test_stat_read_fake);
	suite_add_tcase(s, fake);
	return s;
}
