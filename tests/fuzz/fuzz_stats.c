// SPDX-License-Identifier: GPL-2.0-only
/*
 * The Prometheus writer (src/daemon/stats.c), round trip.
 *
 * The input sets every counter and gauge of a struct stats to any 64-bit
 * value, picks backend, ABI and observer, and records passes through
 * stats_pass() and stats_add() (results in and out of range, durations
 * of 0 to 1e9 seconds: what a monotonic clock can give; the histogram
 * is only ever fed that way, so its buckets add up to its count).
 * stats_format() writes to memory; a strict parser of the text format
 * reads it back and every value must equal the struct's. Now and then
 * (first byte 0xfc or more) stats_write() writes the file too, which must
 * hold the same text.
 */
#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <unistd.h>

#include "fuzz_common.h"
#include "stats.h"

#define MAX_FAMILIES 64
#define MAX_SAMPLES 32

struct sample {
	char name[96];
	char labels[160]; /* between the braces, as written */
	char value[64];
};

struct family {
	char name[96];
	char type[16];
	bool help;
	struct sample s[MAX_SAMPLES];
	unsigned int n;
};

static struct family fam[MAX_FAMILIES];
static unsigned int nr_fam;

static bool metric_name_ok(const char *s)
{
	if (!*s || !(isalpha((unsigned char)*s) || *s == '_' || *s == ':'))
		return false;
	for (s++; *s; s++)
		if (!(isalnum((unsigned char)*s) || *s == '_' || *s == ':'))
			return false;
	return true;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && !strcmp(s + a - b, suffix);
}

/* name="value",... with label names [a-zA-Z_][a-zA-Z0-9_]*, plain values. */
static void check_labels(const char *l)
{
	if (!*l)
		return;
	for (;;) {
		FUZZ_CHECK(isalpha((unsigned char)*l) || *l == '_');
		while (isalnum((unsigned char)*l) || *l == '_')
			l++;
		FUZZ_CHECK(*l++ == '=');
		FUZZ_CHECK(*l++ == '"');
		while (*l && *l != '"') {
			FUZZ_CHECK(*l != '\\' && *l != '\n');
			l++;
		}
		FUZZ_CHECK(*l++ == '"');
		if (!*l)
			return;
		FUZZ_CHECK(*l++ == ',');
	}
}

static struct family *find(const char *name)
{
	unsigned int i;

	for (i = 0; i < nr_fam; i++)
		if (!strcmp(fam[i].name, name))
			return &fam[i];
	return NULL;
}

/* The family a sample belongs to: its name, or for a histogram its name
 * without _bucket, _sum or _count. */
static struct family *family_of(const char *name)
{
	static const char *const suffix[] = { "_bucket", "_sum", "_count" };
	struct family *f = find(name);
	char base[96];
	size_t i, len;

	if (f)
		return f->type[0] == 'h' ? NULL : f;
	for (i = 0; i < 3; i++) {
		if (!ends_with(name, suffix[i]))
			continue;
		len = strlen(name) - strlen(suffix[i]);
		snprintf(base, sizeof(base), "%.*s", (int)len, name);
		f = find(base);
		if (f && f->type[0] == 'h')
			return f;
	}
	return NULL;
}

static void parse(char *text)
{
	struct family *cur = NULL;
	char *line, *save = NULL;
	size_t len = strlen(text);

	nr_fam = 0;
	FUZZ_CHECK(len && text[len - 1] == '\n');
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char name[96], rest[256];

		if (!strncmp(line, "# HELP ", 7)) {
			FUZZ_CHECK(sscanf(line + 7, "%95s %255[^\n]", name,
					  rest) == 2);
			FUZZ_CHECK(metric_name_ok(name) && !find(name));
			FUZZ_CHECK(nr_fam < MAX_FAMILIES);
			cur = &fam[nr_fam++];
			memset(cur, 0, sizeof(*cur));
			snprintf(cur->name, sizeof(cur->name), "%s", name);
			cur->help = true;
			continue;
		}
		if (!strncmp(line, "# TYPE ", 7)) {
			char type[16];

			FUZZ_CHECK(sscanf(line + 7, "%95s %15s", name, type) ==
				   2);
			/* right after its HELP, before any sample */
			FUZZ_CHECK(cur && !strcmp(cur->name, name) &&
				   !cur->type[0] && !cur->n);
			FUZZ_CHECK(!strcmp(type, "counter") ||
				   !strcmp(type, "gauge") ||
				   !strcmp(type, "histogram"));
			FUZZ_CHECK(strcmp(type, "counter") ||
				   ends_with(name, "_total"));
			FUZZ_CHECK(!strncmp(name, "contigd_", 8));
			snprintf(cur->type, sizeof(cur->type), "%s", type);
			continue;
		}
		FUZZ_CHECK(line[0] != '#');
		{
			struct sample *s;
			char *sp = strrchr(line, ' ');
			char *brace = strchr(line, '{');
			struct family *f;

			FUZZ_CHECK(sp && sp[1]);
			*sp = '\0';
			FUZZ_CHECK(cur && cur->n < MAX_SAMPLES);
			s = &cur->s[cur->n];
			snprintf(s->value, sizeof(s->value), "%s", sp + 1);
			if (brace) {
				size_t l = strlen(brace);

				FUZZ_CHECK(l >= 2 && brace[l - 1] == '}');
				brace[l - 1] = '\0';
				snprintf(s->labels, sizeof(s->labels), "%s",
					 brace + 1);
				*brace = '\0';
				check_labels(s->labels);
			}
			snprintf(s->name, sizeof(s->name), "%s", line);
			FUZZ_CHECK(metric_name_ok(s->name));
			/* declared, and by the family being written */
			f = family_of(s->name);
			FUZZ_CHECK(f == cur && cur->type[0]);
			cur->n++;
		}
	}
	FUZZ_CHECK(nr_fam);
}

static uint64_t u64_value(const struct sample *s)
{
	char *e;
	uint64_t v;

	FUZZ_CHECK(isdigit((unsigned char)s->value[0]));
	errno = 0;
	v = strtoull(s->value, &e, 10);
	FUZZ_CHECK(!errno && !*e);
	return v;
}

/* A family of one unlabelled sample. */
static void expect_one(const char *name, const char *type, uint64_t v)
{
	struct family *f = find(name);

	FUZZ_CHECK(f && !strcmp(f->type, type) && f->n == 1);
	FUZZ_CHECK(!strcmp(f->s[0].name, name) && !f->s[0].labels[0]);
	FUZZ_CHECK(u64_value(&f->s[0]) == v);
}

/* A family of n samples, one label each, values in order; label values
 * all different (and equal to names[i] when given). */
static void expect_vec(const char *name, const char *type, const char *label,
		       const uint64_t *v, unsigned int n,
		       const char *(*names)(unsigned int))
{
	struct family *f = find(name);
	unsigned int i, j;
	size_t ll = strlen(label);

	FUZZ_CHECK(f && !strcmp(f->type, type) && f->n == n);
	for (i = 0; i < n; i++) {
		const char *l = f->s[i].labels;

		FUZZ_CHECK(!strcmp(f->s[i].name, name));
		FUZZ_CHECK(!strncmp(l, label, ll) && l[ll] == '=');
		FUZZ_CHECK(!strchr(l, ','));
		if (names) {
			char want[64];

			snprintf(want, sizeof(want), "\"%s\"", names(i));
			FUZZ_CHECK(!strcmp(l + ll + 1, want));
		}
		for (j = 0; j < i; j++)
			FUZZ_CHECK(strcmp(l, f->s[j].labels));
		FUZZ_CHECK(u64_value(&f->s[i]) == v[i]);
	}
}

static const char *reason_name(unsigned int i)
{
	return stats_reason_name((enum stats_reason)i);
}

static void check_histogram(const struct stats *st)
{
	struct family *f = find("contigd_pass_duration_seconds");
	const char *name = "contigd_pass_duration_seconds";
	uint64_t cum = 0, prev = 0;
	double le_prev = -INFINITY, sum;
	unsigned int i;
	char *e;

	FUZZ_CHECK(f && !strcmp(f->type, "histogram"));
	FUZZ_CHECK(f->n == STATS_NR_BUCKETS + 3);
	for (i = 0; i <= STATS_NR_BUCKETS; i++) {
		const struct sample *s = &f->s[i];
		uint64_t v = u64_value(s);
		double le;

		FUZZ_CHECK(!strncmp(s->name, name, strlen(name)) &&
			   !strcmp(s->name + strlen(name), "_bucket"));
		FUZZ_CHECK(!strncmp(s->labels, "le=\"", 4));
		if (i == STATS_NR_BUCKETS) {
			FUZZ_CHECK(!strcmp(s->labels, "le=\"+Inf\""));
		} else {
			le = strtod(s->labels + 4, &e);
			FUZZ_CHECK(!strcmp(e, "\""));
			FUZZ_CHECK(le > le_prev && le == stats_buckets[i]);
			le_prev = le;
		}
		cum += st->duration_bucket[i];
		FUZZ_CHECK(v >= prev && v == cum);
		prev = v;
	}
	FUZZ_CHECK(!strcmp(f->s[i].name, "contigd_pass_duration_seconds_sum"));
	FUZZ_CHECK(!f->s[i].labels[0]);
	sum = strtod(f->s[i].value, &e);
	FUZZ_CHECK(!*e && isfinite(sum));
	FUZZ_CHECK(fabs(sum - st->duration_sum) <=
		   5e-7 + fabs(st->duration_sum) * 1e-15);
	i++;
	FUZZ_CHECK(
		!strcmp(f->s[i].name, "contigd_pass_duration_seconds_count"));
	FUZZ_CHECK(!f->s[i].labels[0]);
	FUZZ_CHECK(u64_value(&f->s[i]) == st->duration_count);
	FUZZ_CHECK(prev == st->duration_count); /* +Inf == _count */
}

static void check_text(const struct stats *st, char *text)
{
	struct family *f;
	uint64_t v[8];
	unsigned int i;

	parse(text);
	f = find("contigd_backend_info");
	FUZZ_CHECK(f && !strcmp(f->type, "gauge") && f->n == 1);
	{
		char want[96];

		snprintf(want, sizeof(want), "backend=\"%s\",abi=\"%u\"",
			 backend_kind_name(st->backend), st->backend_abi);
		FUZZ_CHECK(!strcmp(f->s[0].labels, want));
		FUZZ_CHECK(u64_value(&f->s[0]) == 1);
	}
	for (i = 0; i < STATS_OBSERVER_COUNT; i++)
		v[i] = i == st->observer;
	expect_vec("contigd_observer_mode", "gauge", "mode", v,
		   STATS_OBSERVER_COUNT, NULL);
	expect_one("contigd_queue_length", "gauge", st->queue_length);
	expect_one("contigd_watched_processes", "gauge", st->watched);
	expect_one("contigd_claimed_windows", "gauge", st->claims);
	expect_one("contigd_clients", "gauge", st->clients);
	expect_vec("contigd_requests_total", "counter", "type", st->requests,
		   STATS_REQ_COUNT, NULL);
	expect_vec("contigd_request_errors_total", "counter", "error",
		   st->request_errors, STATS_RERR_COUNT, NULL);
	expect_one("contigd_clients_refused_total", "counter",
		   st->clients_refused);
	expect_one("contigd_contiguity_decays_total", "counter", st->decays);
	expect_one("contigd_pages_moved_total", "counter", st->pages_moved);
	expect_one("contigd_pages_exchanged_total", "counter",
		   st->pages_exchanged);
	expect_one("contigd_blocks_collapsed_total", "counter",
		   st->blocks_collapsed);
	expect_one("contigd_pages_verified_total", "counter",
		   st->pages_verified);
	expect_one("contigd_contiguous_bytes_total", "counter",
		   st->bytes_contiguous);
	expect_vec("contigd_ops_failed_total", "counter", "reason",
		   st->ops_failed, STATS_REASON_COUNT, reason_name);
	expect_one("contigd_op_retries_total", "counter", st->retries);
	expect_vec("contigd_passes_total", "counter", "result", st->passes,
		   STATS_PASS_COUNT, NULL);
	check_histogram(st);
}

/* A duration a monotonic clock can give, or a negative value to skip. */
static double seconds_of(struct fuzz_in *in)
{
	uint64_t bits = fuzz_u64(in);
	double d;

	if ((bits >> 56) == 0xfe) /* exactly on a bucket bound */
		return stats_buckets[bits % STATS_NR_BUCKETS];
	memcpy(&d, &bits, sizeof(d));
	return isfinite(d) && d >= 0 && d <= 1e9 ? d : -1;
}

/* Passes recorded with stats_pass(), and the buckets they must land in. */
static void record_passes(struct fuzz_in *in, struct stats *s, unsigned int n)
{
	while (n-- && in->n) {
		uint8_t r = fuzz_u8(in);
		double d = seconds_of(in);
		uint64_t passes[STATS_PASS_COUNT],
			buckets[STATS_NR_BUCKETS + 1];
		unsigned int b = 0, i;

		if (d < 0)
			continue;
		while (b < STATS_NR_BUCKETS && d > stats_buckets[b])
			b++;
		memcpy(passes, s->passes, sizeof(passes));
		memcpy(buckets, s->duration_bucket, sizeof(buckets));
		r %= STATS_PASS_COUNT + 1;
		stats_pass(s, (enum stats_result)r, d);
		for (i = 0; i < STATS_PASS_COUNT; i++)
			FUZZ_CHECK(s->passes[i] == passes[i] + (i == r));
		for (i = 0; i <= STATS_NR_BUCKETS; i++)
			FUZZ_CHECK(s->duration_bucket[i] ==
				   buckets[i] + (i == b));
	}
}

static char stats_path[256];

static void remove_stats_file(void)
{
	unlink(stats_path);
}

/* stats_write() must leave exactly the text stats_format() gives. */
static void check_write(const struct stats *s, const char *text, size_t len)
{
	char *back = NULL;
	size_t n = 0;
	FILE *f;
	int c;

	if (!stats_path[0]) {
		const char *tmp = getenv("TMPDIR");

		snprintf(stats_path, sizeof(stats_path),
			 "%s/contig-fuzz-%d.prom",
			 tmp && *tmp && strlen(tmp) < 200 ? tmp : "/tmp",
			 (int)getpid());
		atexit(remove_stats_file);
	}
	FUZZ_CHECK(stats_write(s, stats_path) == 0);
	f = fopen(stats_path, "r");
	FUZZ_CHECK(f);
	back = malloc(len + 1);
	FUZZ_CHECK(back);
	while ((c = fgetc(f)) != EOF) {
		FUZZ_CHECK(n < len);
		back[n++] = (char)c;
	}
	fclose(f);
	FUZZ_CHECK(n == len && !memcmp(back, text, len));
	free(back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	struct stats s, other;
	uint64_t *counters[] = {
		&s.pages_moved,	   &s.pages_exchanged,	&s.blocks_collapsed,
		&s.pages_verified, &s.bytes_contiguous, &s.retries,
		&s.queue_length,   &s.watched,		&s.claims,
		&s.clients,	   &s.clients_refused,	&s.decays,
	};
	char *text = NULL;
	size_t len = 0, i;
	FILE *f;

	stats_init(&s, (enum backend_kind)(fuzz_u8(&in) % BACKEND_KIND_COUNT),
		   fuzz_u32(&in),
		   (enum stats_observer)(fuzz_u8(&in) % STATS_OBSERVER_COUNT));
	for (i = 0; i < sizeof(counters) / sizeof(counters[0]); i++)
		*counters[i] = fuzz_u64(&in);
	for (i = 0; i < STATS_REASON_COUNT; i++)
		s.ops_failed[i] = fuzz_u64(&in);
	for (i = 0; i < STATS_REQ_COUNT; i++)
		s.requests[i] = fuzz_u64(&in);
	for (i = 0; i < STATS_RERR_COUNT; i++)
		s.request_errors[i] = fuzz_u64(&in);
	for (i = 0; i < STATS_PASS_COUNT; i++)
		s.passes[i] = fuzz_u64(&in) >> 1;
	record_passes(&in, &s, fuzz_u8(&in));
	if (fuzz_u8(&in) & 1) {
		struct stats before = s;

		stats_init(&other, BACKEND_SIM, 0, STATS_OBSERVER_NONE);
		other.pages_moved = fuzz_u64(&in);
		other.ops_failed[STATS_REASON_OTHER] = fuzz_u64(&in);
		record_passes(&in, &other, fuzz_u8(&in));
		stats_add(&s, &other);
		FUZZ_CHECK(s.pages_moved ==
			   before.pages_moved + other.pages_moved);
		FUZZ_CHECK(s.duration_count ==
			   before.duration_count + other.duration_count);
		FUZZ_CHECK(s.queue_length == before.queue_length);
		FUZZ_CHECK(s.backend == before.backend);
	}

	f = open_memstream(&text, &len);
	FUZZ_CHECK(f);
	FUZZ_CHECK(stats_format(&s, f) == 0);
	FUZZ_CHECK(!fclose(f));
	FUZZ_CHECK(strlen(text) == len);
	if (size && (data[0] & 0xfc) == 0xfc) /* it fsyncs: now and then */
		check_write(&s, text, len);
	check_text(&s, text);
	free(text);
	return 0;
}
