/* SPDX-License-Identifier: GPL-2.0-only */
/* What the contigd.conf tests share: parsing a text, the defaults. */
#ifndef CONTIG_TEST_CONFIG_CHECK_H
#define CONTIG_TEST_CONFIG_CHECK_H

#include <check.h>
#include <string.h>

#include "config.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define NAME "contigd.conf"

static inline int parse(const char *text, struct contigd_config *c, char *err,
		 size_t errsz)
{
	return config_parse_buffer(NAME, text, strlen(text), c, err, errsz);
}

static inline void assert_defaults(const struct contigd_config *c)
{
	ck_assert_int_eq(c->backend, CONFIG_BACKEND_AUTO);
	ck_assert_int_eq(c->observer, CONFIG_OBSERVER_AUTO);
	ck_assert_int_eq(c->anchor, CONFIG_ANCHOR_BEST);
	ck_assert_str_eq(c->runtime_dir, "/run/contigd");
	ck_assert_str_eq(c->stats_file, "");
	ck_assert_uint_eq(c->stats_interval_s, 10);
	ck_assert_uint_eq(c->scan_interval_s, 30);
	ck_assert_uint_eq(c->budget_pages, 262144);
	ck_assert_uint_eq(c->cpu_share, 25);
	ck_assert_uint_eq(c->batch, 256);
	ck_assert_uint_eq(c->max_retries, 3);
	ck_assert_uint_eq(c->backoff_ms, 10);
	ck_assert_uint_eq(c->min_vma_size, 2 << 20);
	ck_assert_double_eq(c->min_heat, 1.0);
	ck_assert_uint_eq(c->watch_min_rss, 64 << 20);
	ck_assert_uint_eq(c->max_queue, 1024);
	ck_assert_uint_eq(c->max_clients, 64);
	ck_assert_uint_eq(c->client_timeout_ms, 5000);
	ck_assert_uint_eq(c->wait_timeout_ms, 60000);
	ck_assert(!c->verbose);
	ck_assert_ptr_null(c->include);
	ck_assert_uint_eq(c->n_include, 0);
	ck_assert_ptr_null(c->exclude);
	ck_assert_uint_eq(c->n_exclude, 0);
}

#endif
