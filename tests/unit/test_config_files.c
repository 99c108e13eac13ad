// SPDX-License-Identifier: GPL-2.0-only
/*
 * contigd.conf beyond the parser's cases: files over the size limit,
 * arbitrary bytes, and every key known to the parser, in the installed
 * file and in the manual page.
 */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "config_check.h"

START_TEST(test_oversized_file)
{
	char dir[] = "/tmp/contig-config-XXXXXX", path[128], err[256];
	struct contigd_config c;
	size_t left = CONFIG_FILE_MAX + 1;
	static char chunk[4096];
	FILE *f;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/big.conf", dir);
	memset(chunk, '\n', sizeof(chunk));
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	while (left) {
		size_t n = left < sizeof(chunk) ? left : sizeof(chunk);

		ck_assert_uint_eq(fwrite(chunk, 1, n, f), n);
		left -= n;
	}
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(config_parse_file(path, &c, err, sizeof(err)), -EFBIG);
	ck_assert(strstr(err, "larger than 1048576 bytes") != NULL);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

/* Arbitrary bytes, seeded with pieces of real lines: never a crash, and
 * either the file parses or the message names it. */
START_TEST(test_random_bytes)
{
	static const char *const pieces[] = {
		"batch", "=",  " ",    "\n",	   "#",	    "include",
		"2M",	 "\0", "\t",   "min_heat", "1e308", "/",
		"yes",	 "\r", "\xff", "exclude",
	};
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	struct contigd_config c;
	char buf[512], err[128];
	int round, r;

	for (round = 0; round < 20000; round++) {
		size_t len = 0;

		while (len < sizeof(buf) - 16) {
			const char *p;
			size_t n;

			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			if (x % 64 == 0)
				break;
			if (x % 3 == 0) {
				buf[len++] = (char)(x >> 24);
				continue;
			}
			p = pieces[(x >> 8) % ARRAY_SIZE(pieces)];
			n = *p ? strlen(p) : 1;
			memcpy(buf + len, p, n);
			len += n;
		}
		r = config_parse_buffer(NAME, buf, len, &c, err, sizeof(err));
		ck_assert(r == 0 || r == -EINVAL);
		if (r)
			ck_assert(strncmp(err, NAME ":", strlen(NAME) + 1) ==
				  0);
		config_free(&c);
	}
}
END_TEST

#ifdef CONTIG_SOURCE_DIR
static char *slurp(const char *rel)
{
	char path[512], *buf;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", CONTIG_SOURCE_DIR, rel);
	f = fopen(path, "r");
	ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
	buf = calloc(1, 1 << 20);
	ck_assert_ptr_nonnull(buf);
	n = fread(buf, 1, (1 << 20) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static const char *const keys[] = {
	"backend",	     "observer",	"anchor",
	"runtime_dir",
	"stats_file",	     "stats_interval",	"scan_interval",
	"budget_pages",	     "cpu_share",	"batch",
	"max_retries",	     "backoff_ms",	"min_vma_size",
	"min_heat",	     "include",		"exclude",
	"watch_min_rss",     "max_queue",	"max_clients",
	"client_timeout_ms", "wait_timeout_ms", "verbose",
};

/* Each key is known to the parser, in the installed file and in the
 * manual page. */
START_TEST(test_key_documented)
{
	char *conf = slurp("etc/contigd.conf");
	char *man = slurp("man/contigd.conf.5");
	char text[64], want[128], err[256];
	struct contigd_config c;

	snprintf(text, sizeof(text), "%s =\n", keys[_i]);
	ck_assert_int_eq(parse(text, &c, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), NAME ":1: '%s' needs a value", keys[_i]);
	ck_assert_str_eq(err, want);
	snprintf(want, sizeof(want), "\n#%s = ", keys[_i]);
	ck_assert_msg(strstr(conf, want) != NULL, "%s not in etc/contigd.conf",
		      keys[_i]);
	snprintf(want, sizeof(want), "\n.It Cm %s No = ", keys[_i]);
	ck_assert_msg(strstr(man, want) != NULL, "%s not in contigd.conf.5",
		      keys[_i]);
	free(conf);
	free(man);
}
END_TEST

/* The installed file parses as it is, and with every "#key = value"
 * line uncommented it still gives the defaults (plus its examples). */
START_TEST(test_installed_file)
{
	char *conf = slurp("etc/contigd.conf"), *p;
	struct contigd_config c;
	char err[256] = "";
	size_t n = 0;

	ck_assert_int_eq(parse(conf, &c, err, sizeof(err)), 0);
	assert_defaults(&c);
	for (p = conf; (p = strstr(p, "\n#")); p++) {
		if (p[2] >= 'a' && p[2] <= 'z' && strstr(p + 2, " = ") &&
		    strstr(p + 2, " = ") < strchr(p + 2, '\n')) {
			p[1] = ' ';
			n++;
		}
	}
	ck_assert_uint_ge(n, ARRAY_SIZE(keys));
	ck_assert_int_eq(parse(conf, &c, err, sizeof(err)), 0);
	ck_assert_str_eq(err, "");
	ck_assert_uint_eq(c.n_include, 2);
	ck_assert_uint_eq(c.n_exclude, 1);
	config_free(&c);
	/* spelled out, the default stats file is the same file */
	ck_assert_str_eq(c.stats_file, "/run/contigd/metrics.prom");
	c.stats_file[0] = '\0';
	assert_defaults(&c);
	free(conf);
}
END_TEST
#endif

Suite *test_config_files_suite(void)
{
	Suite *s = suite_create("config_files");
	TCase *tc = tcase_create("files");

	tcase_add_test(tc, test_oversized_file);
	tcase_add_test(tc, test_random_bytes);
#ifdef CONTIG_SOURCE_DIR
	tcase_add_loop_test(tc, test_key_documented, 0, ARRAY_SIZE(keys));
	tcase_add_test(tc, test_installed_file);
#endif
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return s;
}
