// SPDX-License-Identifier: GPL-2.0-only
/*
 * The configuration parser (src/daemon/config.c). The first input byte
 * sizes the error buffer (0 to 255 bytes, allocated to the byte so that
 * ASan sees any overrun) and says whether a file name is given; the rest
 * is the file. A parse must either succeed with every knob in its range,
 * or fail with a message "name:line: ..." and leave the defaults.
 */
#include <errno.h>
#include <math.h>

#include "config.h"
#include "fuzz_common.h"

static void check_path(const char *p, bool may_be_empty)
{
	size_t len = strnlen(p, CONFIG_LINE_MAX);

	FUZZ_CHECK(len < CONFIG_LINE_MAX);
	FUZZ_CHECK(len ? p[0] == '/' : may_be_empty);
	FUZZ_CHECK(!strchr(p, '\n'));
}

static void check_list(char **list, size_t n)
{
	size_t i;

	FUZZ_CHECK(n <= CONFIG_PATTERNS_MAX);
	FUZZ_CHECK(!n == !list);
	for (i = 0; i < n; i++)
		FUZZ_CHECK(list[i] && list[i][0] && !strchr(list[i], '\n'));
}

static void check_config(const struct contigd_config *c)
{
	char path[2 * CONFIG_LINE_MAX + 32];

	FUZZ_CHECK(strcmp(config_backend_name(c->backend), "?"));
	FUZZ_CHECK(strcmp(config_observer_name(c->observer), "?"));
	check_path(c->runtime_dir, false);
	check_path(c->stats_file, true);
	FUZZ_CHECK(c->stats_interval_s >= 1 && c->stats_interval_s <= 86400);
	FUZZ_CHECK(c->scan_interval_s >= 1 && c->scan_interval_s <= 86400);
	FUZZ_CHECK(c->budget_pages <= 1ULL << 40);
	FUZZ_CHECK(c->cpu_share >= 1 && c->cpu_share <= 100);
	FUZZ_CHECK(c->batch >= 1 && c->batch <= 1024);
	FUZZ_CHECK(c->max_retries <= 100);
	FUZZ_CHECK(c->backoff_ms <= 60000);
	FUZZ_CHECK(c->min_vma_size <= 1ULL << 47);
	FUZZ_CHECK(isfinite(c->min_heat) && c->min_heat >= 0 &&
		   c->min_heat <= 1e9);
	FUZZ_CHECK(c->watch_min_rss <= 1ULL << 47);
	FUZZ_CHECK(c->max_queue >= 1 && c->max_queue <= 1 << 20);
	FUZZ_CHECK(c->max_clients >= 1 && c->max_clients <= 4096);
	FUZZ_CHECK(c->client_timeout_ms >= 1 &&
		   c->client_timeout_ms <= 3600000);
	FUZZ_CHECK(c->wait_timeout_ms >= 1 && c->wait_timeout_ms <= 86400000);
	check_list(c->include, c->n_include);
	check_list(c->exclude, c->n_exclude);
	FUZZ_CHECK(!config_stats_path(c, path, sizeof(path)));
	FUZZ_CHECK(path[0] == '/');
	(void)config_wants_process(c, "contigd");
	(void)config_wants_process(c, "");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct contigd_config c, defaults;
	const char *name;
	size_t errsz;
	char *err;
	int r;

	if (!size)
		return 0;
	errsz = data[0] & 0x7f ? (size_t)(data[0] & 0x7f) : 0;
	if (errsz == 0x7f)
		errsz = 255;
	name = data[0] & 0x80 ? NULL : "fuzz.conf";
	data++;
	size--;
	err = malloc(errsz ? errsz : 1);
	if (!err)
		return 0;

	config_defaults(&defaults);
	memset(&c, 0x5a, sizeof(c));
	r = config_parse_buffer(name, (const char *)data, size, &c,
				errsz ? err : NULL, errsz);
	FUZZ_CHECK(!r || r == -EINVAL || r == -ENOMEM);
	if (errsz)
		FUZZ_CHECK(memchr(err, 0, errsz));
	if (r) {
		/* The defaults again, owning nothing. */
		FUZZ_CHECK(!memcmp(&c, &defaults, sizeof(c)));
		if (errsz > 1)
			FUZZ_CHECK(err[0]);
		if (errsz == 255) {
			const char *want = name ? name : "(config)";

			FUZZ_CHECK(!strncmp(err, want, strlen(want)) &&
				   err[strlen(want)] == ':');
		}
	} else {
		if (errsz)
			FUZZ_CHECK(!err[0]);
		check_config(&c);
	}
	config_free(&c);
	FUZZ_CHECK(!c.include && !c.n_include && !c.exclude && !c.n_exclude);
	config_free(&c);
	free(err);
	return 0;
}
