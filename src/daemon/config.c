// SPDX-License-Identifier: GPL-2.0-only
/*
 * The configuration file: a table of knobs, one line parser, no global
 * state. config_parse_buffer() takes any bytes (it is a fuzz target):
 * every line is copied into a bounded buffer before it is looked at.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MIN_HEAT_MAX 1e9

enum knob_kind {
	KNOB_BACKEND,
	KNOB_OBSERVER,
	KNOB_ANCHOR,
	KNOB_PATH,
	KNOB_SECONDS,
	KNOB_MS,
	KNOB_COUNT,
	KNOB_SIZE,
	KNOB_RATE,
	KNOB_BOOL,
	KNOB_INCLUDE,
	KNOB_EXCLUDE,
};

struct knob {
	const char *name;
	enum knob_kind kind;
	size_t off;
	uint64_t min, max;
};

#define KNOB(n, k, lo, hi)                                        \
	{                                                         \
#n, k, offsetof(struct contigd_config, n), lo, hi \
	}

static const struct knob knobs[] = {
	KNOB(backend, KNOB_BACKEND, 0, 0),
	KNOB(observer, KNOB_OBSERVER, 0, 0),
	KNOB(anchor, KNOB_ANCHOR, 0, 0),
	KNOB(runtime_dir, KNOB_PATH, 0, 0),
	KNOB(stats_file, KNOB_PATH, 0, 0),
	{ "stats_interval", KNOB_SECONDS,
	  offsetof(struct contigd_config, stats_interval_s), 1, 86400 },
	{ "scan_interval", KNOB_SECONDS,
	  offsetof(struct contigd_config, scan_interval_s), 1, 86400 },
	KNOB(budget_pages, KNOB_COUNT, 0, 1ULL << 40),
	KNOB(cpu_share, KNOB_COUNT, 1, 100),
	KNOB(batch, KNOB_COUNT, 1, 1024),
	KNOB(max_retries, KNOB_COUNT, 0, 100),
	KNOB(backoff_ms, KNOB_MS, 0, 60000),
	KNOB(min_vma_size, KNOB_SIZE, 0, 1ULL << 47),
	KNOB(min_heat, KNOB_RATE, 0, 0),
	KNOB(include, KNOB_INCLUDE, 0, 0),
	KNOB(exclude, KNOB_EXCLUDE, 0, 0),
	KNOB(watch_min_rss, KNOB_SIZE, 0, 1ULL << 47),
	KNOB(max_queue, KNOB_COUNT, 1, 1 << 20),
	KNOB(max_clients, KNOB_COUNT, 1, 4096),
	KNOB(client_timeout_ms, KNOB_MS, 1, 3600000),
	KNOB(wait_timeout_ms, KNOB_MS, 1, 86400000),
	KNOB(verbose, KNOB_BOOL, 0, 0),
};

static const char *const backend_names[] = {
	[CONFIG_BACKEND_AUTO] = "auto",
	[CONFIG_BACKEND_KMOD] = "kmod",
	[CONFIG_BACKEND_COLLAPSE] = "collapse",
};

static const char *const observer_names[] = {
	[CONFIG_OBSERVER_AUTO] = "auto",
	[CONFIG_OBSERVER_BPF] = "bpf",
	[CONFIG_OBSERVER_PROC] = "proc",
	[CONFIG_OBSERVER_OFF] = "off",
};

static const char *const anchor_names[] = {
	[CONFIG_ANCHOR_BEST] = "best",
	[CONFIG_ANCHOR_RFC] = "rfc",
};

/* Where a message goes: "name:line: ..." */
struct where {
	const char *name;
	unsigned int line;
	char *err;
	size_t errsz;
};

static int fail(const struct where *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int fail(const struct where *w, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!w->err || !w->errsz)
		return -EINVAL;
	n = snprintf(w->err, w->errsz, "%s:%u: ", w->name, w->line);
	if (n >= 0 && (size_t)n < w->errsz) {
		va_start(ap, fmt);
		vsnprintf(w->err + n, w->errsz - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* A value as quoted in a message: printable, at most 64 characters. */
static const char *quote(const char *s, char *buf, size_t n)
{
	size_t i;

	for (i = 0; s[i] && i + 4 < n && i < 64; i++)
		buf[i] = isprint((unsigned char)s[i]) ? s[i] : '?';
	if (s[i] && i + 4 <= n) {
		memcpy(buf + i, "...", 3);
		i += 3;
	}
	buf[i] = '\0';
	return buf;
}

const char *config_backend_name(enum config_backend b)
{
	if ((size_t)b < ARRAY_SIZE(backend_names))
		return backend_names[b];
	return "?";
}

const char *config_observer_name(enum config_observer o)
{
	if ((size_t)o < ARRAY_SIZE(observer_names))
		return observer_names[o];
	return "?";
}

const char *config_anchor_name(enum config_anchor a)
{
	if ((size_t)a < ARRAY_SIZE(anchor_names))
		return anchor_names[a];
	return "?";
}

enum anchor_rule config_anchor_rule(enum config_anchor a)
{
	return a == CONFIG_ANCHOR_RFC ? ANCHOR_RULE_FIRST_FIT :
					ANCHOR_RULE_BEST;
}

void config_defaults(struct contigd_config *c)
{
	memset(c, 0, sizeof(*c));
	c->backend = CONFIG_BACKEND_AUTO;
	c->observer = CONFIG_OBSERVER_AUTO;
	c->anchor = CONFIG_ANCHOR_BEST;
	snprintf(c->runtime_dir, sizeof(c->runtime_dir), "%s",
		 CONFIG_RUNTIME_DIR_DEFAULT);
	c->stats_file[0] = '\0';
	c->stats_interval_s = 10;
	c->scan_interval_s = 30;
	c->budget_pages = 262144;
	c->cpu_share = 25;
	c->batch = 256;
	c->max_retries = 3;
	c->backoff_ms = 10;
	c->min_vma_size = 2ULL << 20;
	c->min_heat = 1.0;
	c->watch_min_rss = 64ULL << 20;
	c->max_queue = 1024;
	c->max_clients = 64;
	c->client_timeout_ms = 5000;
	c->wait_timeout_ms = 60000;
	c->verbose = false;
}

static void free_list(char ***list, size_t *n)
{
	size_t i;

	for (i = 0; i < *n; i++)
		free((*list)[i]);
	free(*list);
	*list = NULL;
	*n = 0;
}

void config_free(struct contigd_config *c)
{
	free_list(&c->include, &c->n_include);
	free_list(&c->exclude, &c->n_exclude);
}

/*
 * Decimal digits only: no sign, no blanks, no base prefix. Without rest,
 * trailing characters make it -EINVAL (checked before -ERANGE).
 */
static int parse_uint(const char *s, uint64_t *out, const char **rest)
{
	char *end;
	int e;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	*out = strtoull(s, &end, 10);
	e = errno;
	if (rest)
		*rest = end;
	else if (*end)
		return -EINVAL;
	return e ? -e : 0;
}

/* Bytes, with an optional K, M, G or T suffix (powers of 1024). */
static int parse_size(const char *s, uint64_t *out)
{
	static const char units[] = "KMGT";
	const char *rest = s, *u = NULL;
	unsigned int shift;
	int r = parse_uint(s, out, &rest);

	if (r == -EINVAL)
		return r;
	if (*rest) {
		u = strchr(units, toupper((unsigned char)*rest));
		if (!u || !*u || rest[1])
			return -EINVAL;
	}
	if (r)
		return r;
	if (!u)
		return 0;
	shift = 10 * (unsigned int)(u - units + 1);
	if (*out > UINT64_MAX >> shift)
		return -ERANGE;
	*out <<= shift;
	return 0;
}

static int parse_rate(const char *s, double *out)
{
	char *end;

	if (!isdigit((unsigned char)*s) && *s != '.')
		return -EINVAL;
	if (strchr(s, 'x') || strchr(s, 'X'))
		return -EINVAL;
	errno = 0;
	*out = strtod(s, &end);
	if (end == s || *end)
		return -EINVAL;
	if (errno || !isfinite(*out))
		return -ERANGE;
	return 0;
}

static int parse_name(const char *s, const char *const *names, size_t n,
		      int *out)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (!strcmp(s, names[i])) {
			*out = (int)i;
			return 0;
		}
	}
	return -EINVAL;
}

static int add_pattern(const struct where *w, const char *what,
		       const char *value, char ***list, size_t *n)
{
	char **grown;

	if (*n >= CONFIG_PATTERNS_MAX)
		return fail(w, "more than %d %s patterns", CONFIG_PATTERNS_MAX,
			    what);
	grown = realloc(*list, (*n + 1) * sizeof(**list));
	if (!grown)
		return -ENOMEM;
	*list = grown;
	grown[*n] = strdup(value);
	if (!grown[*n])
		return -ENOMEM;
	(*n)++;
	return 0;
}

static int range_error(const struct where *w, const struct knob *k,
		       const char *unit)
{
	return fail(w, "%s must be between %llu and %llu%s", k->name,
		    (unsigned long long)k->min, (unsigned long long)k->max,
		    unit);
}

static int set_number(const struct where *w, const struct knob *k,
		      const char *value, uint64_t *dst)
{
	const char *what, *unit;
	char q[72];
	uint64_t v;
	int r;

	switch (k->kind) {
	case KNOB_SECONDS:
		what = "a number of seconds";
		unit = " seconds";
		break;
	case KNOB_MS:
		what = "a number of milliseconds";
		unit = " milliseconds";
		break;
	case KNOB_SIZE:
		what = "a size (bytes, or a number with a K, M, G or T suffix)";
		unit = " bytes";
		break;
	default:
		what = "a number";
		unit = "";
		break;
	}
	if (k->kind == KNOB_SIZE)
		r = parse_size(value, &v);
	else
		r = parse_uint(value, &v, NULL);
	if (r == -ERANGE)
		return range_error(w, k, unit);
	if (r)
		return fail(w, "'%s' is not %s", quote(value, q, sizeof(q)),
			    what);
	if (v < k->min || v > k->max)
		return range_error(w, k, unit);
	*dst = v;
	return 0;
}

static int set_knob(const struct where *w, const struct knob *k,
		    const char *value, struct contigd_config *c)
{
	void *dst = (char *)c + k->off;
	char q[72];
	double rate;
	int e, r;

	switch (k->kind) {
	case KNOB_BACKEND:
		if (parse_name(value, backend_names, ARRAY_SIZE(backend_names),
			       &e))
			return fail(w,
				    "'%s' is not one of auto, kmod, collapse",
				    quote(value, q, sizeof(q)));
		c->backend = (enum config_backend)e;
		return 0;
	case KNOB_OBSERVER:
		if (parse_name(value, observer_names,
			       ARRAY_SIZE(observer_names), &e))
			return fail(w,
				    "'%s' is not one of auto, bpf, proc, off",
				    quote(value, q, sizeof(q)));
		c->observer = (enum config_observer)e;
		return 0;
	case KNOB_ANCHOR:
		if (parse_name(value, anchor_names, ARRAY_SIZE(anchor_names),
			       &e))
			return fail(w, "'%s' is not one of best, rfc",
				    quote(value, q, sizeof(q)));
		c->anchor = (enum config_anchor)e;
		return 0;
	case KNOB_PATH:
		if (value[0] != '/')
			return fail(w, "'%s' is not an absolute path",
				    quote(value, q, sizeof(q)));
		/* shorter than the line it came from: it fits */
		snprintf(dst, CONFIG_LINE_MAX, "%s", value);
		return 0;
	case KNOB_RATE:
		r = parse_rate(value, &rate);
		if (r == -EINVAL)
			return fail(w,
				    "'%s' is not a number of faults per second",
				    quote(value, q, sizeof(q)));
		if (r || rate < 0 || rate > MIN_HEAT_MAX)
			return fail(w, "%s must be between 0 and %.0f", k->name,
				    MIN_HEAT_MAX);
		c->min_heat = rate;
		return 0;
	case KNOB_BOOL:
		if (!strcmp(value, "yes"))
			c->verbose = true;
		else if (!strcmp(value, "no"))
			c->verbose = false;
		else
			return fail(w, "'%s' is not yes or no",
				    quote(value, q, sizeof(q)));
		return 0;
	case KNOB_INCLUDE:
		return add_pattern(w, k->name, value, &c->include,
				   &c->n_include);
	case KNOB_EXCLUDE:
		return add_pattern(w, k->name, value, &c->exclude,
				   &c->n_exclude);
	default:
		return set_number(w, k, value, dst);
	}
}

static int is_blank(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\f' ||
	       ch == '\v';
}

/* line is NUL-terminated, without its newline, and holds no other NUL. */
static int parse_line(const struct where *w, char *line,
		      struct contigd_config *c, unsigned int *seen)
{
	char *key, *eq, *value, *p, q[72];
	size_t i;

	/* '#' at the start or after a blank begins a comment */
	for (p = line; *p; p++) {
		if (*p == '#' && (p == line || is_blank(p[-1]))) {
			*p = '\0';
			break;
		}
	}
	for (key = line; is_blank(*key); key++)
		;
	for (p = key + strlen(key); p > key && is_blank(p[-1]); p--)
		;
	*p = '\0';
	if (!*key)
		return 0;

	eq = strchr(key, '=');
	if (!eq || eq == key)
		return fail(w, "expected 'key = value'");
	for (value = eq + 1; is_blank(*value); value++)
		;
	for (p = eq; p > key && is_blank(p[-1]); p--)
		;
	*p = '\0';
	if (!*key)
		return fail(w, "expected 'key = value'");

	for (i = 0; i < ARRAY_SIZE(knobs); i++)
		if (!strcmp(key, knobs[i].name))
			break;
	if (i == ARRAY_SIZE(knobs))
		return fail(w, "unknown key '%s'", quote(key, q, sizeof(q)));
	if (!*value)
		return fail(w, "'%s' needs a value", knobs[i].name);
	if (knobs[i].kind != KNOB_INCLUDE && knobs[i].kind != KNOB_EXCLUDE) {
		if (seen[i])
			return fail(w, "'%s' is set again (first on line %u)",
				    knobs[i].name, seen[i]);
		seen[i] = w->line;
	}
	return set_knob(w, &knobs[i], value, c);
}

int config_parse_buffer(const char *name, const char *buf, size_t len,
			struct contigd_config *out, char *err, size_t errsz)
{
	unsigned int seen[ARRAY_SIZE(knobs)] = { 0 };
	struct where w = { name ? name : "(config)", 0, err, errsz };
	char line[CONFIG_LINE_MAX + 1];
	size_t pos = 0, n;
	const char *nl;
	int r = 0;

	config_defaults(out);
	if (err && errsz)
		err[0] = '\0';
	if (!buf && len)
		return fail(&w, "no data");

	while (pos < len) {
		w.line++;
		nl = memchr(buf + pos, '\n', len - pos);
		n = nl ? (size_t)(nl - (buf + pos)) : len - pos;
		if (n > CONFIG_LINE_MAX) {
			r = fail(&w, "line too long (more than %d characters)",
				 CONFIG_LINE_MAX);
			break;
		}
		if (memchr(buf + pos, '\0', n)) {
			r = fail(&w, "NUL byte in line");
			break;
		}
		memcpy(line, buf + pos, n);
		line[n] = '\0';
		r = parse_line(&w, line, out, seen);
		if (r)
			break;
		pos += n + 1;
	}
	if (r == -ENOMEM && err && errsz)
		snprintf(err, errsz, "%s:%u: out of memory", w.name, w.line);
	if (r) {
		config_free(out);
		config_defaults(out);
	}
	return r;
}

static int read_file(const char *path, char **data, size_t *len)
{
	size_t cap = 0, n = 0;
	char *buf = NULL, *grown;
	struct stat st;
	ssize_t got;
	int fd, r = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		r = -errno;
		goto out_close;
	}
	if (S_ISDIR(st.st_mode)) {
		r = -EISDIR;
		goto out_close;
	}
	for (;;) {
		if (n == cap) {
			if (cap > CONFIG_FILE_MAX) {
				r = -EFBIG;
				goto out_free;
			}
			cap = cap ? cap * 2 : 4096;
			grown = realloc(buf, cap);
			if (!grown) {
				r = -ENOMEM;
				goto out_free;
			}
			buf = grown;
		}
		got = read(fd, buf + n, cap - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			r = -errno;
			goto out_free;
		}
		if (got == 0)
			break;
		n += (size_t)got;
	}
	if (n > CONFIG_FILE_MAX) {
		r = -EFBIG;
		goto out_free;
	}
	*data = buf;
	*len = n;
	goto out_close;

out_free:
	free(buf);
out_close:
	close(fd);
	return r;
}

int config_parse_file(const char *path, struct contigd_config *out, char *err,
		      size_t errsz)
{
	size_t len = 0;
	char *data = NULL;
	int r;

	config_defaults(out);
	r = read_file(path, &data, &len);
	if (r) {
		if (err && errsz) {
			if (r == -EFBIG)
				snprintf(err, errsz, "%s: larger than %d bytes",
					 path, CONFIG_FILE_MAX);
			else
				snprintf(err, errsz, "%s: %s", path,
					 strerror(-r));
		}
		return r;
	}
	r = config_parse_buffer(path, data, len, out, err, errsz);
	free(data);
	return r;
}

int config_stats_path(const struct contigd_config *c, char *buf, size_t n)
{
	int len;

	if (c->stats_file[0])
		len = snprintf(buf, n, "%s", c->stats_file);
	else
		len = snprintf(buf, n, "%s/%s", c->runtime_dir,
			       CONFIG_STATS_NAME);
	if (len < 0)
		return -EINVAL;
	return (size_t)len < n ? 0 : -ENAMETOOLONG;
}

bool config_wants_process(const struct contigd_config *c, const char *comm)
{
	size_t i;

	for (i = 0; i < c->n_exclude; i++)
		if (fnmatch(c->exclude[i], comm, 0) == 0)
			return false;
	if (!c->n_include)
		return true;
	for (i = 0; i < c->n_include; i++)
		if (fnmatch(c->include[i], comm, 0) == 0)
			return true;
	return false;
}
