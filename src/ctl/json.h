/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A tiny streaming JSON writer: one line, no whitespace, commas placed
 * automatically. Strings are escaped per RFC 8259; bytes that are not
 * valid UTF-8 become U+FFFD so the output is always valid JSON (paths in
 * /proc/PID/maps are arbitrary bytes).
 */
#ifndef CONTIG_CTL_JSON_H
#define CONTIG_CTL_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 16

struct json_writer {
	FILE *f;
	unsigned int depth;
	bool first[JSON_MAX_DEPTH]; /* nothing written yet at this level */
	bool after_key;
	bool error; /* nesting misuse; check with json_ok() */
};

void json_init(struct json_writer *w, FILE *f);
void json_obj_begin(struct json_writer *w);
void json_obj_end(struct json_writer *w);
void json_arr_begin(struct json_writer *w);
void json_arr_end(struct json_writer *w);
void json_key(struct json_writer *w, const char *key);
void json_str(struct json_writer *w, const char *s);
void json_u64(struct json_writer *w, uint64_t v);
/* A fixed-point value in thousandths, written as a decimal: 1500 -> 1.500. */
void json_milli(struct json_writer *w, uint64_t v);
void json_bool(struct json_writer *w, bool v);
void json_null(struct json_writer *w);
/* "0x…" lower-case hexadecimal, as a string. */
void json_hex(struct json_writer *w, uint64_t v);

/* Key + value shorthands. */
void json_kv_str(struct json_writer *w, const char *key, const char *s);
void json_kv_u64(struct json_writer *w, const char *key, uint64_t v);
void json_kv_hex(struct json_writer *w, const char *key, uint64_t v);

/* Write s as a JSON string (with quotes) to f. */
void json_write_string(FILE *f, const char *s);

/* true when every begin had its end and nothing was misused. */
bool json_ok(const struct json_writer *w);

#endif
