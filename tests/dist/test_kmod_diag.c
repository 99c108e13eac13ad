// SPDX-License-Identifier: GPL-2.0-only
/*
 * Why the kernel helper is unavailable, from a fake /sys tree: not
 * loaded, not loaded under lockdown, sig_enforce or Secure Boot, loaded
 * without its device, and a permission error; each names the remedy.
 */
#include <check.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "kmod_diag.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

struct fake_file {
	const char *path; /* under the fake root; NULL: none */
	const char *data;
	size_t len;
};

static const struct {
	const char *what;
	int err;
	struct fake_file files[2];
	const char *want; /* a part of the sentence */
} cases[] = {
	{ "nothing", -ENOENT, { { 0 } }, "not loaded: modprobe contig" },
	{ "lockdown none", -ENOENT,
	  { { "/sys/kernel/security/lockdown",
	      "[none] integrity confidentiality\n", 33 } },
	  "not loaded: modprobe contig" },
	{ "lockdown integrity", -ENOENT,
	  { { "/sys/kernel/security/lockdown",
	      "none [integrity] confidentiality\n", 33 } },
	  "signed modules only: enroll the DKMS MOK, see contig(4)" },
	{ "sig_enforce", -ENOENT,
	  { { "/sys/module/module/parameters/sig_enforce", "Y\n", 2 } },
	  "signed modules only" },
	{ "sig_enforce off", -ENOENT,
	  { { "/sys/module/module/parameters/sig_enforce", "N\n", 2 } },
	  "modprobe contig" },
	{ "secure boot", -ENOENT,
	  { { "/sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c",
	      "\x06\0\0\0\x01", 5 } },
	  "signed modules only" },
	{ "secure boot off", -ENOENT,
	  { { "/sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c",
	      "\x06\0\0\0\0", 5 } },
	  "modprobe contig" },
	{ "loaded, no device", -ENOENT,
	  { { "/sys/module/contig/refcnt", "0\n", 2 } },
	  "loaded but /dev/contig is missing: check udev" },
	{ "permission", -EACCES, { { 0 } }, "permission denied" },
};

static void mkdir_p(char *path)
{
	char *p;

	for (p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		ck_assert(mkdir(path, 0755) == 0 || errno == EEXIST);
		*p = '/';
	}
}

static void put(const char *root, const struct fake_file *f)
{
	char path[4096];
	FILE *fp;

	snprintf(path, sizeof(path), "%s%s", root, f->path);
	mkdir_p(path);
	fp = fopen(path, "wb");
	ck_assert_ptr_nonnull(fp);
	ck_assert_uint_eq(fwrite(f->data, 1, f->len, fp), f->len);
	fclose(fp);
}

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

START_TEST(test_diagnose)
{
	char root[] = "/tmp/kmod_diag.XXXXXX", why[160];
	unsigned int j;

	ck_assert_ptr_nonnull(mkdtemp(root));
	for (j = 0; j < ARRAY_SIZE(cases[_i].files); j++)
		if (cases[_i].files[j].path)
			put(root, &cases[_i].files[j]);
	memset(why, 'x', sizeof(why));
	kmod_diagnose(root, cases[_i].err, why, sizeof(why));
	ck_assert_msg(strstr(why, cases[_i].want), "%s: '%s' lacks '%s'",
		      cases[_i].what, why, cases[_i].want);
	ck_assert_uint_le(strlen(why), 120);
	ck_assert_int_eq(nftw(root, rm_one, 8, FTW_DEPTH | FTW_PHYS), 0);
}
END_TEST

START_TEST(test_short_buffer)
{
	char why[8];

	kmod_diagnose("/nonexistent", -ENOENT, why, sizeof(why));
	ck_assert_uint_eq(strlen(why), 7);
	kmod_diagnose("/nonexistent", -ENOENT, why, 0); /* no write */
}
END_TEST

Suite *test_kmod_diag_suite(void)
{
	Suite *s = suite_create("kmod_diag");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_diagnose, 0, ARRAY_SIZE(cases));
	tcase_add_test(tc, test_short_buffer);
	suite_add_tcase(s, tc);
	return s;
}
