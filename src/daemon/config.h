/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * contigd.conf(5): "key = value" lines, '#' comments, blank lines.
 *
 * Parsing never touches the configuration in use: it fills a fresh
 * struct, so that on SIGHUP the daemon can parse, keep its old settings
 * when the new file is wrong (the error names file:line), and swap them
 * in otherwise:
 *
 *	struct contigd_config next;
 *
 *	if (config_parse_file(path, &next, err, sizeof(err)) == 0) {
 *		config_free(&cur);
 *		cur = next;		(the struct owns its pattern lists)
 *	} else {
 *		log_warnx("%s", err);
 *		config_free(&next);
 *	}
 */
#ifndef CONTIG_DAEMON_CONFIG_H
#define CONTIG_DAEMON_CONFIG_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "anchor.h"

#define CONFIG_FILE_DEFAULT "/etc/contigd/contigd.conf"
#define CONFIG_RUNTIME_DIR_DEFAULT "/run/contigd"
#define CONFIG_STATS_NAME "metrics.prom"

/* Longest line, without its newline. */
#define CONFIG_LINE_MAX 1024
/* Largest file config_parse_file() reads. */
#define CONFIG_FILE_MAX (1024 * 1024)
/* Most include (and most exclude) patterns. */
#define CONFIG_PATTERNS_MAX 256

enum config_backend {
	CONFIG_BACKEND_AUTO = 0,
	CONFIG_BACKEND_KMOD,
	CONFIG_BACKEND_COLLAPSE,
};

enum config_observer {
	CONFIG_OBSERVER_AUTO = 0,
	CONFIG_OBSERVER_BPF,
	CONFIG_OBSERVER_PROC,
	CONFIG_OBSERVER_OFF,
};

/* anchor: where a VMA's physical range goes (see anchor.h). */
enum config_anchor {
	CONFIG_ANCHOR_BEST = 0, /* keep the most pages in place */
	CONFIG_ANCHOR_RFC, /* first fit from the zone start, for comparison */
};

struct contigd_config {
	enum config_backend backend;
	enum config_anchor anchor;
	enum config_observer observer;
	char runtime_dir[CONFIG_LINE_MAX];
	/* "" means <runtime_dir>/metrics.prom: see config_stats_path(). */
	char stats_file[CONFIG_LINE_MAX];
	uint64_t stats_interval_s;
	uint64_t scan_interval_s;
	uint64_t budget_pages; /* pages per second, 0: unlimited */
	uint64_t cpu_share; /* percent of one core, 1..100 */
	uint64_t batch; /* ops per backend call */
	uint64_t max_retries;
	uint64_t backoff_ms;
	uint64_t min_vma_size; /* bytes */
	double min_heat; /* faults per second */
	uint64_t watch_min_rss; /* bytes */
	uint64_t max_queue;
	uint64_t max_clients;
	uint64_t client_timeout_ms;
	uint64_t wait_timeout_ms;
	bool verbose;
	/* fnmatch(3) patterns on the process name; NULL when empty. */
	char **include;
	size_t n_include;
	char **exclude;
	size_t n_exclude;
};

/* Every knob at its default; owns nothing yet. */
void config_defaults(struct contigd_config *c);

/*
 * Parse len bytes of buf (any bytes, NULs included) into *out, which is
 * first set to the defaults. name is used in messages ("name:line: ...").
 * 0, or -EINVAL (message in err) or -ENOMEM. On error *out holds the
 * defaults again and owns nothing; config_free() on it is harmless.
 */
int config_parse_buffer(const char *name, const char *buf, size_t len,
			struct contigd_config *out, char *err, size_t errsz);

/*
 * Read and parse path. A missing file gives -ENOENT with *out at the
 * defaults (the caller decides: fine for CONFIG_FILE_DEFAULT, an error
 * for an explicit --config); other read errors give -errno, a file
 * over CONFIG_FILE_MAX -EFBIG, and parse errors as above.
 */
int config_parse_file(const char *path, struct contigd_config *out, char *err,
		      size_t errsz);

/* Frees the pattern lists and resets them; the rest is left as it is. */
void config_free(struct contigd_config *c);

/* The stats file to write: stats_file, or <runtime_dir>/metrics.prom. */
int config_stats_path(const struct contigd_config *c, char *buf, size_t n);

/* Is a process named comm (as in /proc/PID/comm) to be watched? */
bool config_wants_process(const struct contigd_config *c, const char *comm);

const char *config_backend_name(enum config_backend b);
const char *config_observer_name(enum config_observer o);
const char *config_anchor_name(enum config_anchor a);
/* The anchor_params rule the executor uses for it. */
enum anchor_rule config_anchor_rule(enum config_anchor a);

#endif
