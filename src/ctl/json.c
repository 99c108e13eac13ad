// SPDX-License-Identifier: GPL-2.0-only
/*
 * Tiny JSON writer.
 */
#include <inttypes.h>
#include <string.h>

#include "json.h"

void json_init(struct json_writer *w, FILE *f)
{
	memset(w, 0, sizeof(*w));
	w->f = f;
	w->first[0] = true;
}

/* Before any value or key: a comma unless it is the first at its level. */
static void json_sep(struct json_writer *w)
{
	if (w->after_key) {
		w->after_key = false;
		return;
	}
	if (!w->first[w->depth])
		fputc(',', w->f);
	w->first[w->depth] = false;
}

static void json_open(struct json_writer *w, char c)
{
	json_sep(w);
	fputc(c, w->f);
	if (w->depth + 1 >= JSON_MAX_DEPTH) {
		w->error = true;
		return;
	}
	w->depth++;
	w->first[w->depth] = true;
}

static void json_close(struct json_writer *w, char c)
{
	if (!w->depth || w->after_key)
		w->error = true;
	else
		w->depth--;
	fputc(c, w->f);
}

void json_obj_begin(struct json_writer *w)
{
	json_open(w, '{');
}

void json_obj_end(struct json_writer *w)
{
	json_close(w, '}');
}

void json_arr_begin(struct json_writer *w)
{
	json_open(w, '[');
}

void json_arr_end(struct json_writer *w)
{
	json_close(w, ']');
}

/* Length of the valid UTF-8 sequence at s, or 0 if it is not valid. */
static size_t utf8_len(const unsigned char *s)
{
	unsigned int c = s[0];
	size_t n, i;
	uint32_t cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* overlong forms, surrogates, beyond U+10FFFF */
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return n;
}

void json_write_string(FILE *f, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;

	fputc('"', f);
	while (*s) {
		size_t n;

		switch (*s) {
		case '"':
			fputs("\\\"", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		case '\b':
			fputs("\\b", f);
			break;
		case '\f':
			fputs("\\f", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\r':
			fputs("\\r", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		default:
			if (*s < 0x20 || *s == 0x7f) {
				fprintf(f, "\\u%04x", *s);
				break;
			}
			n = utf8_len(s);
			if (!n) {
				fputs("\\ufffd", f);
				break;
			}
			fwrite(s, 1, n, f);
			s += n;
			continue;
		}
		s++;
	}
	fputc('"', f);
}

void json_key(struct json_writer *w, const char *key)
{
	if (w->after_key)
		w->error = true;
	json_sep(w);
	json_write_string(w->f, key);
	fputc(':', w->f);
	w->after_key = true;
}

void json_str(struct json_writer *w, const char *s)
{
	json_sep(w);
	json_write_string(w->f, s);
}

void json_u64(struct json_writer *w, uint64_t v)
{
	json_sep(w);
	fprintf(w->f, "%" PRIu64, v);
}

void json_milli(struct json_writer *w, uint64_t v)
{
	json_sep(w);
	fprintf(w->f, "%" PRIu64 ".%03u", v / 1000, (unsigned int)(v % 1000));
}

void json_bool(struct json_writer *w, bool v)
{
	json_sep(w);
	fputs(v ? "true" : "false", w->f);
}

void json_null(struct json_writer *w)
{
	json_sep(w);
	fputs("null", w->f);
}

void json_hex(struct json_writer *w, uint64_t v)
{
	json_sep(w);
	fprintf(w->f, "\"0x%" PRIx64 "\"", v);
}

void json_kv_str(struct json_writer *w, const char *key, const char *s)
{
	json_key(w, key);
	if (s)
		json_str(w, s);
	else
		json_null(w);
}

void json_kv_u64(struct json_writer *w, const char *key, uint64_t v)
{
	json_key(w, key);
	json_u64(w, v);
}

void json_kv_hex(struct json_writer *w, const char *key, uint64_t v)
{
	json_key(w, key);
	json_hex(w, v);
}

bool json_ok(const struct json_writer *w)
{
	return !w->error && !w->depth && !w->after_key;
}
