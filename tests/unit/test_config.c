// SPDX-License-Identifier: GPL-2.0-only
/*
 * contigd.conf parsing: a file setting every knob, each kind of error
 * with its exact message and line, the defaults, repeated patterns and
 * the process filter, the limits of every number and files on disk
 * (oversized files, arbitrary bytes and the documented keys:
 * test_config_files.c).
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "config_check.h"

static const char good[] =
	"# every knob, in no particular order\n"
	"\n"
	"backend = kmod\n"
	"observer=proc\n"
	"anchor = rfc\n"
	"  runtime_dir\t=  /tmp/contigd-test  \n"
	"stats_file = /var/lib/node_exporter/contigd.prom # textfile collector\n"
	"stats_interval = 5\n"
	"scan_interval = 120\n"
	"budget_pages = 0\n"
	"cpu_share = 100\n"
	"batch = 1024\n"
	"max_retries = 0\n"
	"backoff_ms = 250\n"
	"min_vma_size = 512K\n"
	"min_heat = 0.25\n"
	"include = postgres*\n"
	"exclude = postgres: logger\n"
	"include = [jJ]ava\n"
	"watch_min_rss = 1g\n"
	"max_queue = 4096\n"
	"max_clients = 8\n"
	"client_timeout_ms = 100\n"
	"wait_timeout_ms = 1000\r\n"
	"verbose = yes";

START_TEST(test_good_file)
{
	struct contigd_config c;
	char err[256] = "untouched";

	ck_assert_int_eq(parse(good, &c, err, sizeof(err)), 0);
	ck_assert_str_eq(err, "");
	ck_assert_int_eq(c.backend, CONFIG_BACKEND_KMOD);
	ck_assert_int_eq(c.observer, CONFIG_OBSERVER_PROC);
	ck_assert_int_eq(c.anchor, CONFIG_ANCHOR_RFC);
	ck_assert_int_eq(config_anchor_rule(c.anchor), ANCHOR_RULE_FIRST_FIT);
	ck_assert_str_eq(c.runtime_dir, "/tmp/contigd-test");
	ck_assert_str_eq(c.stats_file, "/var/lib/node_exporter/contigd.prom");
	ck_assert_uint_eq(c.stats_interval_s, 5);
	ck_assert_uint_eq(c.scan_interval_s, 120);
	ck_assert_uint_eq(c.budget_pages, 0);
	ck_assert_uint_eq(c.cpu_share, 100);
	ck_assert_uint_eq(c.batch, 1024);
	ck_assert_uint_eq(c.max_retries, 0);
	ck_assert_uint_eq(c.backoff_ms, 250);
	ck_assert_uint_eq(c.min_vma_size, 512 * 1024);
	ck_assert_double_eq(c.min_heat, 0.25);
	ck_assert_uint_eq(c.watch_min_rss, 1ULL << 30);
	ck_assert_uint_eq(c.max_queue, 4096);
	ck_assert_uint_eq(c.max_clients, 8);
	ck_assert_uint_eq(c.client_timeout_ms, 100);
	ck_assert_uint_eq(c.wait_timeout_ms, 1000);
	ck_assert(c.verbose);
	ck_assert_uint_eq(c.n_include, 2);
	ck_assert_str_eq(c.include[0], "postgres*");
	ck_assert_str_eq(c.include[1], "[jJ]ava");
	ck_assert_uint_eq(c.n_exclude, 1);
	ck_assert_str_eq(c.exclude[0], "postgres: logger");
	config_free(&c);
	ck_assert_ptr_null(c.include);
	ck_assert_uint_eq(c.n_include, 0);
}
END_TEST

static const struct {
	const char *text;
	const char *err;
} errors[] = {
	{ "foo = 1\n", NAME ":1: unknown key 'foo'" },
	{ "# c\n\nbatch = 8\nstats_intervall = 3\n",
	  NAME ":4: unknown key 'stats_intervall'" },
	{ "Backend = kmod\n", NAME ":1: unknown key 'Backend'" },
	{ "\n\nverbose\n", NAME ":3: expected 'key = value'" },
	{ "= 3\n", NAME ":1: expected 'key = value'" },
	{ " \t= 3\n", NAME ":1: expected 'key = value'" },
	{ "batch =\n", NAME ":1: 'batch' needs a value" },
	{ "batch = # nothing\n", NAME ":1: 'batch' needs a value" },
	{ "stats_interval = x\n", NAME ":1: 'x' is not a number of seconds" },
	{ "stats_interval = 10s\n",
	  NAME ":1: '10s' is not a number of seconds" },
	{ "stats_interval = -1\n", NAME ":1: '-1' is not a number of seconds" },
	{ "stats_interval = +1\n", NAME ":1: '+1' is not a number of seconds" },
	{ "stats_interval = 0x10\n",
	  NAME ":1: '0x10' is not a number of seconds" },
	{ "stats_interval = 1 0\n",
	  NAME ":1: '1 0' is not a number of seconds" },
	{ "stats_interval = 0\n",
	  NAME ":1: stats_interval must be between 1 and 86400 seconds" },
	{ "scan_interval = 86401\n",
	  NAME ":1: scan_interval must be between 1 and 86400 seconds" },
	{ "stats_interval = 99999999999999999999999\n",
	  NAME ":1: stats_interval must be between 1 and 86400 seconds" },
	{ "backoff_ms = 1.5\n",
	  NAME ":1: '1.5' is not a number of milliseconds" },
	{ "backoff_ms = 60001\n",
	  NAME ":1: backoff_ms must be between 0 and 60000 milliseconds" },
	{ "client_timeout_ms = 0\n", NAME
	  ":1: client_timeout_ms must be between 1 and 3600000 milliseconds" },
	{ "batch = many\n", NAME ":1: 'many' is not a number" },
	{ "batch = 0\n", NAME ":1: batch must be between 1 and 1024" },
	{ "batch = 1025\n", NAME ":1: batch must be between 1 and 1024" },
	{ "cpu_share = 0\n", NAME ":1: cpu_share must be between 1 and 100" },
	{ "cpu_share = 101\n", NAME ":1: cpu_share must be between 1 and 100" },
	{ "max_queue = 0\n",
	  NAME ":1: max_queue must be between 1 and 1048576" },
	{ "max_clients = 4097\n",
	  NAME ":1: max_clients must be between 1 and 4096" },
	{ "max_retries = 101\n",
	  NAME ":1: max_retries must be between 0 and 100" },
	{ "min_vma_size = 2MB\n", NAME
	  ":1: '2MB' is not a size (bytes, or a number with a K, M, G or T suffix)" },
	{ "min_vma_size = 2P\n", NAME
	  ":1: '2P' is not a size (bytes, or a number with a K, M, G or T suffix)" },
	{ "min_vma_size = M\n", NAME
	  ":1: 'M' is not a size (bytes, or a number with a K, M, G or T suffix)" },
	{ "watch_min_rss = 129T\n", NAME
	  ":1: watch_min_rss must be between 0 and 140737488355328 bytes" },
	{ "watch_min_rss = 99999999999T\n", NAME
	  ":1: watch_min_rss must be between 0 and 140737488355328 bytes" },
	{ "min_heat = hot\n",
	  NAME ":1: 'hot' is not a number of faults per second" },
	{ "min_heat = -1\n",
	  NAME ":1: '-1' is not a number of faults per second" },
	{ "min_heat = nan\n",
	  NAME ":1: 'nan' is not a number of faults per second" },
	{ "min_heat = 0x10\n",
	  NAME ":1: '0x10' is not a number of faults per second" },
	{ "min_heat = 2e9\n",
	  NAME ":1: min_heat must be between 0 and 1000000000" },
	{ "min_heat = 1e999\n",
	  NAME ":1: min_heat must be between 0 and 1000000000" },
	{ "backend = sim\n",
	  NAME ":1: 'sim' is not one of auto, kmod, collapse" },
	{ "observer = ebpf\n",
	  NAME ":1: 'ebpf' is not one of auto, bpf, proc, off" },
	{ "anchor = first\n", NAME ":1: 'first' is not one of best, rfc" },
	{ "verbose = 1\n", NAME ":1: '1' is not yes or no" },
	{ "runtime_dir = run/contigd\n",
	  NAME ":1: 'run/contigd' is not an absolute path" },
	{ "stats_file = metrics.prom\n",
	  NAME ":1: 'metrics.prom' is not an absolute path" },
	{ "batch = 8\ninclude = a\nbatch = 16\n",
	  NAME ":3: 'batch' is set again (first on line 1)" },
	{ "verbose = no\n\n# x\nverbose = yes\n",
	  NAME ":4: 'verbose' is set again (first on line 1)" },
	{ "batch = 8\nbatch = 8\n",
	  NAME ":2: 'batch' is set again (first on line 1)" },
	/* the error is the first one, later lines are not looked at */
	{ "batch = 8\nfoo = 1\nbar = 2\n", NAME ":2: unknown key 'foo'" },
	/* a '#' inside a word is part of it */
	{ "batch = 8#x\n", NAME ":1: '8#x' is not a number" },
	/* control characters are shown as '?' */
	{ "batch = \x01\x7f\n", NAME ":1: '?\?' is not a number" },
};

START_TEST(test_errors)
{
	struct contigd_config c;
	char err[256] = "";

	ck_assert_int_eq(parse(errors[_i].text, &c, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, errors[_i].err);
	/* a failed parse leaves the defaults, owning nothing */
	assert_defaults(&c);
	config_free(&c);
}
END_TEST

START_TEST(test_long_value_quoted_short)
{
	char text[200], err[256];
	struct contigd_config c;

	memset(text, 0, sizeof(text));
	strcpy(text, "batch = ");
	memset(text + 8, '7', 100);
	ck_assert_int_eq(parse(text, &c, err, sizeof(err)), -EINVAL);
	/* 64 characters of the value, then "..." */
	ck_assert_str_eq(err, NAME ":1: batch must be between 1 and 1024");
	text[50] = 'x';
	ck_assert_int_eq(parse(text, &c, err, sizeof(err)), -EINVAL);
	ck_assert_uint_eq(strlen(err),
			  strlen(NAME ":1: '' is not a number") + 64 + 3);
	ck_assert(strstr(err, "...' is not a number") != NULL);
}
END_TEST

/* Lines at and over the limit; the limit does not count the newline. */
START_TEST(test_line_length)
{
	char *text = malloc(3 * CONFIG_LINE_MAX);
	struct contigd_config c;
	char err[256];
	size_t n;

	ck_assert_ptr_nonnull(text);
	strcpy(text, "batch = 2\n");
	n = strlen(text);
	memset(text + n, '#', CONFIG_LINE_MAX);
	text[n + CONFIG_LINE_MAX] = '\n';
	strcpy(text + n + CONFIG_LINE_MAX + 1, "batch = 3\n");
	ck_assert_int_eq(parse(text, &c, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err,
			 NAME ":3: 'batch' is set again (first on line 1)");

	memset(text + n, '#', CONFIG_LINE_MAX + 1);
	text[n + CONFIG_LINE_MAX + 1] = '\0';
	ck_assert_int_eq(parse(text, &c, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err,
			 NAME ":2: line too long (more than 1024 characters)");

	/* a path as long as a line allows is kept whole */
	strcpy(text, "runtime_dir = /");
	n = strlen(text);
	memset(text + n, 'd', CONFIG_LINE_MAX - n);
	text[CONFIG_LINE_MAX] = '\0';
	ck_assert_int_eq(parse(text, &c, err, sizeof(err)), 0);
	ck_assert_uint_eq(strlen(c.runtime_dir), CONFIG_LINE_MAX - n + 1);
	free(text);
}
END_TEST

START_TEST(test_nul_bytes)
{
	static const char text[] = "batch = 2\nbatch\0 = 3\n";
	struct contigd_config c;
	char err[256];

	ck_assert_int_eq(config_parse_buffer(NAME, text, sizeof(text) - 1, &c,
					     err, sizeof(err)),
			 -EINVAL);
	ck_assert_str_eq(err, NAME ":2: NUL byte in line");
	/* the length decides, not a terminating NUL */
	ck_assert_int_eq(
		config_parse_buffer(NAME, text, 10, &c, err, sizeof(err)), 0);
	ck_assert_uint_eq(c.batch, 2);
	ck_assert_int_eq(config_parse_buffer(NAME, text, 8, &c, err,
					     sizeof(err)),
			 -EINVAL);
	ck_assert_str_eq(err, NAME ":1: 'batch' needs a value");
}
END_TEST

static const char *const empty_texts[] = {
	"",
	"\n\n\n",
	"# only comments\n   # indented\n\t\n",
	"#batch = 0\n",
	"   \r\n",
};

START_TEST(test_defaults)
{
	struct contigd_config c, d;
	char err[256];
	char path[1100];

	ck_assert_int_eq(parse(empty_texts[_i], &c, err, sizeof(err)), 0);
	assert_defaults(&c);
	config_defaults(&d);
	assert_defaults(&d);
	ck_assert_int_eq(config_stats_path(&c, path, sizeof(path)), 0);
	ck_assert_str_eq(path, "/run/contigd/metrics.prom");
	config_free(&c);
}
END_TEST

START_TEST(test_no_data)
{
	struct contigd_config c;
	char err[256];

	ck_assert_int_eq(
		config_parse_buffer(NAME, NULL, 0, &c, err, sizeof(err)), 0);
	assert_defaults(&c);
	ck_assert_int_eq(config_parse_buffer(NAME, NULL, 5, &c, err,
					     sizeof(err)),
			 -EINVAL);
	/* no room for a message is fine too */
	ck_assert_int_eq(config_parse_buffer(NAME, "x\n", 2, &c, NULL, 0),
			 -EINVAL);
}
END_TEST

START_TEST(test_stats_path)
{
	struct contigd_config c;
	char path[64], err[256];

	ck_assert_int_eq(parse("runtime_dir = /tmp/x\n", &c, err, sizeof(err)),
			 0);
	ck_assert_int_eq(config_stats_path(&c, path, sizeof(path)), 0);
	ck_assert_str_eq(path, "/tmp/x/metrics.prom");
	ck_assert_int_eq(parse("runtime_dir = /tmp/x\nstats_file = /s.prom\n",
			       &c, err, sizeof(err)),
			 0);
	ck_assert_int_eq(config_stats_path(&c, path, sizeof(path)), 0);
	ck_assert_str_eq(path, "/s.prom");
	ck_assert_int_eq(config_stats_path(&c, path, 7), -ENAMETOOLONG);
}
END_TEST

/* Numbers at both ends of their range, and suffixes. */
static const struct {
	const char *line;
	size_t off;
	uint64_t want;
} limits[] = {
#define AT(f) offsetof(struct contigd_config, f)
	{ "stats_interval = 1", AT(stats_interval_s), 1 },
	{ "stats_interval = 86400", AT(stats_interval_s), 86400 },
	{ "scan_interval = 007", AT(scan_interval_s), 7 },
	{ "budget_pages = 1099511627776", AT(budget_pages), 1ULL << 40 },
	{ "cpu_share = 1", AT(cpu_share), 1 },
	{ "batch = 1", AT(batch), 1 },
	{ "max_retries = 100", AT(max_retries), 100 },
	{ "backoff_ms = 0", AT(backoff_ms), 0 },
	{ "backoff_ms = 60000", AT(backoff_ms), 60000 },
	{ "min_vma_size = 0", AT(min_vma_size), 0 },
	{ "min_vma_size = 4096", AT(min_vma_size), 4096 },
	{ "min_vma_size = 4k", AT(min_vma_size), 4096 },
	{ "min_vma_size = 2M", AT(min_vma_size), 2 << 20 },
	{ "min_vma_size = 3g", AT(min_vma_size), 3ULL << 30 },
	{ "min_vma_size = 128T", AT(min_vma_size), 1ULL << 47 },
	{ "watch_min_rss = 0", AT(watch_min_rss), 0 },
	{ "max_queue = 1048576", AT(max_queue), 1 << 20 },
	{ "max_clients = 1", AT(max_clients), 1 },
	{ "max_clients = 4096", AT(max_clients), 4096 },
	{ "client_timeout_ms = 3600000", AT(client_timeout_ms), 3600000 },
	{ "wait_timeout_ms = 1", AT(wait_timeout_ms), 1 },
	{ "wait_timeout_ms = 86400000", AT(wait_timeout_ms), 86400000 },
#undef AT
};

START_TEST(test_limits)
{
	struct contigd_config c;
	char err[256];
	uint64_t v;

	ck_assert_int_eq(parse(limits[_i].line, &c, err, sizeof(err)), 0);
	memcpy(&v, (char *)&c + limits[_i].off, sizeof(v));
	ck_assert_uint_eq(v, limits[_i].want);
}
END_TEST

static const struct {
	const char *text;
	double want;
} heats[] = {
	{ "min_heat = 0", 0.0 },	  { "min_heat = .5", 0.5 },
	{ "min_heat = 12", 12.0 },	  { "min_heat = 1e3", 1000.0 },
	{ "min_heat = 1000000000", 1e9 },
};

START_TEST(test_heat)
{
	struct contigd_config c;
	char err[256];

	ck_assert_int_eq(parse(heats[_i].text, &c, err, sizeof(err)), 0);
	ck_assert_double_eq(c.min_heat, heats[_i].want);
}
END_TEST

static const struct {
	const char *conf;
	const char *comm;
	bool want;
} wants[] = {
	{ "", "anything", true },
	{ "exclude = sshd\n", "sshd", false },
	{ "exclude = sshd\n", "bash", true },
	{ "include = postgres\n", "postgres", true },
	{ "include = postgres\n", "postgres2", false },
	{ "include = postgres*\n", "postgres2", true },
	{ "include = java\ninclude = qemu-*\n", "qemu-system-x86", true },
	{ "include = java\ninclude = qemu-*\n", "java", true },
	{ "include = java\ninclude = qemu-*\n", "python3", false },
	/* exclude wins over include */
	{ "include = qemu-*\nexclude = qemu-img\n", "qemu-img", false },
	{ "exclude = qemu-img\ninclude = qemu-*\n", "qemu-img", false },
	{ "include = qemu-*\nexclude = qemu-img\n", "qemu-kvm", true },
	{ "include = [a-c]?\n", "b1", true },
	{ "include = [a-c]?\n", "d1", false },
	{ "include = *\nexclude = kworker*\nexclude = *d\n", "journald",
	  false },
	{ "include = *\nexclude = kworker*\nexclude = *d\n", "redis", true },
};

START_TEST(test_wants_process)
{
	struct contigd_config c;
	char err[256];

	ck_assert_int_eq(parse(wants[_i].conf, &c, err, sizeof(err)), 0);
	ck_assert_int_eq(config_wants_process(&c, wants[_i].comm),
			 wants[_i].want);
	config_free(&c);
}
END_TEST

START_TEST(test_pattern_limit)
{
	size_t n = (CONFIG_PATTERNS_MAX + 1) * 16, len = 0;
	char *text = malloc(n), err[256];
	struct contigd_config c;
	int i;

	ck_assert_ptr_nonnull(text);
	for (i = 0; i < CONFIG_PATTERNS_MAX; i++)
		len += (size_t)snprintf(text + len, n - len, "exclude = p%d\n",
					i);
	ck_assert_int_eq(
		config_parse_buffer(NAME, text, len, &c, err, sizeof(err)), 0);
	ck_assert_uint_eq(c.n_exclude, CONFIG_PATTERNS_MAX);
	ck_assert_str_eq(c.exclude[CONFIG_PATTERNS_MAX - 1], "p255");
	config_free(&c);
	len += (size_t)snprintf(text + len, n - len, "exclude = last\n");
	ck_assert_int_eq(config_parse_buffer(NAME, text, len, &c, err,
					     sizeof(err)),
			 -EINVAL);
	ck_assert_str_eq(err, NAME ":257: more than 256 exclude patterns");
	ck_assert_uint_eq(c.n_exclude, 0);
	free(text);
}
END_TEST

/* A reload that fails leaves the settings in use alone. */
START_TEST(test_reload_keeps_old)
{
	struct contigd_config cur, next;
	char err[256];

	ck_assert_int_eq(parse("batch = 64\ninclude = db*\n", &cur, err,
			       sizeof(err)),
			 0);
	ck_assert_int_eq(parse("batch = 32\ninclude = x\nbatch = 1\n", &next,
			       err, sizeof(err)),
			 -EINVAL);
	ck_assert_str_eq(err,
			 NAME ":3: 'batch' is set again (first on line 1)");
	config_free(&next);
	ck_assert_uint_eq(cur.batch, 64);
	ck_assert_uint_eq(cur.n_include, 1);
	ck_assert_str_eq(cur.include[0], "db*");
	config_free(&cur);
}
END_TEST

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fputs(text, f) >= 0, 1);
	ck_assert_int_eq(fclose(f), 0);
}

START_TEST(test_files)
{
	char dir[] = "/tmp/contig-config-XXXXXX", path[128], err[512],
	     want[256];
	struct contigd_config c;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/missing.conf", dir);
	ck_assert_int_eq(config_parse_file(path, &c, err, sizeof(err)),
			 -ENOENT);
	snprintf(want, sizeof(want), "%s: %s", path, strerror(ENOENT));
	ck_assert_str_eq(err, want);
	assert_defaults(&c);

	ck_assert_int_eq(config_parse_file(dir, &c, err, sizeof(err)), -EISDIR);

	snprintf(path, sizeof(path), "%s/contigd.conf", dir);
	write_file(path, good);
	ck_assert_int_eq(config_parse_file(path, &c, err, sizeof(err)), 0);
	ck_assert_uint_eq(c.n_include, 2);
	ck_assert_uint_eq(c.wait_timeout_ms, 1000);
	config_free(&c);

	/* messages name the file as given */
	write_file(path, "batch = 1\n\n\n\n\n\n\n\n\n\n\nfoo = 1\n");
	ck_assert_int_eq(config_parse_file(path, &c, err, sizeof(err)),
			 -EINVAL);
	snprintf(want, sizeof(want), "%s:12: unknown key 'foo'", path);
	ck_assert_str_eq(err, want);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

Suite *test_config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, test_good_file);
	tcase_add_loop_test(tc, test_errors, 0, ARRAY_SIZE(errors));
	tcase_add_test(tc, test_long_value_quoted_short);
	tcase_add_test(tc, test_line_length);
	tcase_add_test(tc, test_nul_bytes);
	tcase_add_loop_test(tc, test_defaults, 0, ARRAY_SIZE(empty_texts));
	tcase_add_test(tc, test_no_data);
	tcase_add_test(tc, test_stats_path);
	tcase_add_loop_test(tc, test_limits, 0, ARRAY_SIZE(limits));
	tcase_add_loop_test(tc, test_heat, 0, ARRAY_SIZE(heats));
	tcase_add_loop_test(tc, test_wants_process, 0, ARRAY_SIZE(wants));
	tcase_add_test(tc, test_pattern_limit);
	tcase_add_test(tc, test_reload_keeps_old);
	tcase_add_test(tc, test_files);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return s;
}
