/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A fake /proc tree in a temporary directory, for the probe tests.
 */
#ifndef CONTIG_TEST_FAKE_PROC_H
#define CONTIG_TEST_FAKE_PROC_H

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char fake_root[64];

static inline void fake_proc_setup(void)
{
	snprintf(fake_root, sizeof(fake_root), "/tmp/contig-test-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(fake_root));
}

static inline void fake_proc_teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fake_root);
	ck_assert_int_eq(system(cmd), 0);
}

static inline void fake_proc_mkdir(const char *rel)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", fake_root, rel);
	ck_assert_int_eq(mkdir(path, 0755), 0);
}

static inline void fake_proc_write(const char *rel, const void *data,
				   size_t len)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", fake_root, rel);
	f = fopen(path, "wb");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(data, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
}

static inline void fake_proc_text(const char *rel, const char *text)
{
	fake_proc_write(rel, text, strlen(text));
}

/* Write n 64-bit entries at entry index first (zero-filled before). */
static inline void fake_proc_u64(const char *rel, uint64_t first,
				 const uint64_t *v, uint64_t n)
{
	size_t len = (size_t)((first + n) * 8);
	uint64_t *buf = calloc(first + n, 8);

	ck_assert_ptr_nonnull(buf);
	memcpy(buf + first, v, n * 8);
	fake_proc_write(rel, buf, len);
	free(buf);
}

#endif
