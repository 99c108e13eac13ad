// SPDX-License-Identifier: GPL-2.0-only
/*
 * The JSON writer used by contigctl: structure and string escaping.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

struct esc_case {
	const char *in;
	const char *out;
};

static const struct esc_case esc_cases[] = {
	{ "", "\"\"" },
	{ "/usr/bin/cat", "\"/usr/bin/cat\"" },
	{ "a \"q\" \\ b", "\"a \\\"q\\\" \\\\ b\"" },
	{ "tab\there\nnl\r\b\f", "\"tab\\there\\nnl\\r\\b\\f\"" },
	{ "\x01\x1f\x7f", "\"\\u0001\\u001f\\u007f\"" },
	{ "caf\xc3\xa9 \xe2\x80\xa6 \xf0\x9f\x98\x80",
	  "\"caf\xc3\xa9 \xe2\x80\xa6 \xf0\x9f\x98\x80\"" },
	{ "bad \xff byte", "\"bad \\ufffd byte\"" },
	{ "cut \xe2\x80", "\"cut \\ufffd\\ufffd\"" },
	{ "overlong \xc0\xaf", "\"overlong \\ufffd\\ufffd\"" },
	{ "surrogate \xed\xa0\x80", "\"surrogate \\ufffd\\ufffd\\ufffd\"" },
};

static char *capture(void (*fn)(FILE *, const void *), const void *arg)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(f);
	fn(f, arg);
	fclose(f);
	return buf;
}

static void write_one(FILE *f, const void *arg)
{
	json_write_string(f, arg);
}

START_TEST(test_escape)
{
	const struct esc_case *c = &esc_cases[_i];
	char *s = capture(write_one, c->in);

	ck_assert_str_eq(s, c->out);
	free(s);
}
END_TEST

static void write_doc(FILE *f, const void *arg)
{
	struct json_writer w;
	bool *ok = (bool *)arg;

	json_init(&w, f);
	json_obj_begin(&w);
	json_kv_u64(&w, "pid", 42);
	json_key(&w, "vmas");
	json_arr_begin(&w);
	json_obj_begin(&w);
	json_kv_hex(&w, "start", 0x7f0000001000);
	json_kv_str(&w, "path", NULL);
	json_kv_u64(&w, "big", UINT64_MAX);
	json_obj_end(&w);
	json_obj_begin(&w);
	json_obj_end(&w);
	json_arr_end(&w);
	json_key(&w, "flags");
	json_arr_begin(&w);
	json_bool(&w, true);
	json_null(&w);
	json_str(&w, "x");
	json_arr_end(&w);
	json_obj_end(&w);
	*ok = json_ok(&w);
}

START_TEST(test_document)
{
	bool ok = false;
	char *s = capture(write_doc, &ok);

	ck_assert_str_eq(s,
			 "{\"pid\":42,\"vmas\":[{\"start\":\"0x7f0000001000\","
			 "\"path\":null,\"big\":18446744073709551615},{}],"
			 "\"flags\":[true,null,\"x\"]}");
	ck_assert(ok);
	free(s);
}
END_TEST

static void write_bad(FILE *f, const void *arg)
{
	struct json_writer w;
	bool *ok = (bool *)arg;

	json_init(&w, f);
	json_obj_begin(&w);
	json_key(&w, "a");
	json_obj_end(&w);
	*ok = json_ok(&w);
}

START_TEST(test_misuse)
{
	bool ok = true;
	char *s = capture(write_bad, &ok);

	ck_assert(!ok);
	free(s);
}
END_TEST

Suite *test_json_suite(void)
{
	Suite *s = suite_create("json");
	TCase *tc = tcase_create("writer");

	tcase_add_loop_test(tc, test_escape, 0,
			    sizeof(esc_cases) / sizeof(esc_cases[0]));
	tcase_add_test(tc, test_document);
	tcase_add_test(tc, test_misuse);
	suite_add_tcase(s, tc);
	return s;
}
