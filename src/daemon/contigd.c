// SPDX-License-Identifier: GPL-2.0-only
/*
 * contigd: the daemon.
 *
 *   contigd [--config FILE] [--backend auto|kmod|collapse] [--foreground]
 *           [--runtime-dir DIR] [--stats-file PATH] [-v]
 *
 * serves the control socket until SIGTERM (daemon.c). contigd never forks
 * itself into the background: systemd (Type=notify) or the shell does
 * that; --foreground is accepted for clarity.
 *
 *   contigd --once PID [--range START-END] [--backend auto|kmod|collapse]
 *           [--stats-file PATH] [--runtime-dir DIR] [--budget PAGES]
 *
 * runs one pass over the anonymous memory of PID (or the part of it in
 * START-END), prints the before/after figures, writes the stats file and
 * exits (codes in exit_codes.h). Both read the configuration file for the
 * knobs the command line does not set.
 *
 *   contigd --check-config [FILE]
 *
 * parses FILE (default: --config's, else /etc/contigd/contigd.conf) as a
 * start or a reload would: exit 0, or 7 with file:line and the error.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "backend.h"
#include "check_config.h"
#include "config.h"
#include "daemon.h"
#include "executor.h"
#include "exit_codes.h"
#include "log.h"
#include "maps.h"
#include "proc_file.h"
#include "stats.h"
#include "vma_pages.h"

#ifndef CONTIG_VERSION
#define CONTIG_VERSION "unknown"
#endif

#define RUNTIME_DIR_DEFAULT "/run/contigd"
#define STATS_FILE_NAME "metrics.prom"

struct opts {
	int once;
	int check_config;
	const char *check_path;
	pid_t pid;
	int have_range;
	uint64_t range_start, range_end;
	int have_backend;
	enum backend_kind backend;
	int have_budget;
	const char *stats_file;
	const char *runtime_dir;
	char runtime_dir_buf[PATH_MAX]; /* from the configuration file */
	const char *config;
	int foreground;
	int verbose;
	struct exec_params ep;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: contigd [--config FILE] [--backend auto|kmod|collapse|sim]\n"
		"               [--foreground] [--runtime-dir DIR] [--stats-file PATH]\n"
		"       contigd --once PID [--range START-END] [--backend ...]\n"
		"               [--stats-file PATH] [--budget PAGES_PER_S] [-v]\n"
		"       contigd --check-config [FILE]\n");
}

/* --help: every option, 80 columns. */
static void help(void)
{
	usage(stdout);
	fputs("\nOptions:\n"
	      "  --config FILE           the configuration (default\n"
	      "                          /etc/contigd/contigd.conf, may be absent)\n"
	      "  --backend NAME          auto (the kernel helper if it answers, else\n"
	      "                          collapse), kmod, collapse; sim for tests\n"
	      "  --foreground            accepted for clarity: contigd never forks\n"
	      "  --runtime-dir DIR       socket and stats file directory (default\n"
	      "                          /run/contigd, or $CONTIGD_RUNTIME_DIR)\n"
	      "  --stats-file PATH       the Prometheus text (default DIR/metrics.prom)\n"
	      "  --once PID              one pass over PID's anonymous memory, exit\n"
	      "  --range START-END       --once: only this range (hex, page-aligned)\n"
	      "  --budget PAGES_PER_S    --once: pages moved a second at most\n"
	      "  --check-config [FILE]   parse FILE (default: --config's), exit 0,\n"
	      "                          or 7 with file:line\n"
	      "  -v, --verbose           more log messages\n"
	      "  -h, --help              this text\n"
	      "  --version               the version\n"
	      "\nExit codes (shared with contigctl): contigd(8), EXIT STATUS.\n",
	      stdout);
}

static int parse_u64(const char *s, int base, uint64_t *out)
{
	char *end;

	if (!*s || *s == '-' || *s == '+')
		return -EINVAL;
	errno = 0;
	*out = strtoull(s, &end, base);
	if (errno)
		return -errno;
	return *end ? -EINVAL : 0;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	enum {
		O_RANGE = 256,
		O_BACKEND,
		O_STATS,
		O_RUNTIME,
		O_CONFIG,
		O_BUDGET,
		O_VERSION,
		O_CHECK
	};
	static const struct option lo[] = {
		{ "once", required_argument, NULL, 'o' },
		{ "range", required_argument, NULL, O_RANGE },
		{ "backend", required_argument, NULL, O_BACKEND },
		{ "stats-file", required_argument, NULL, O_STATS },
		{ "runtime-dir", required_argument, NULL, O_RUNTIME },
		{ "config", required_argument, NULL, O_CONFIG },
		{ "budget", required_argument, NULL, O_BUDGET },
		{ "foreground", no_argument, NULL, 'f' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, O_VERSION },
		{ "check-config", no_argument, NULL, O_CHECK },
		{ 0 },
	};
	uint64_t v;
	int c;

	while ((c = getopt_long(argc, argv, "fvh", lo, NULL)) != -1) {
		switch (c) {
		case 'o':
			if (parse_u64(optarg, 10, &v) || !v || v > INT_MAX) {
				log_warnx("--once: '%s' is not a process id",
					  optarg);
				return CONTIGD_EXIT_USAGE;
			}
			o->once = 1;
			o->pid = (pid_t)v;
			break;
		case O_RANGE:
			if (probe_parse_range(optarg, &o->range_start,
					&o->range_end)) {
				log_warnx(
					"--range: '%s' is not START-END, page-aligned, with START < END",
					optarg);
				return CONTIGD_EXIT_USAGE;
			}
			o->have_range = 1;
			break;
		case O_BACKEND:
			if (!strcmp(optarg, "auto")) {
				o->have_backend = 0;
			} else if (backend_kind_parse(optarg, &o->backend)) {
				log_warnx(
					"--backend: '%s' is not auto, kmod, collapse or sim",
					optarg);
				return CONTIGD_EXIT_USAGE;
			} else {
				o->have_backend = 1;
			}
			break;
		case O_STATS:
			o->stats_file = optarg;
			break;
		case O_RUNTIME:
			o->runtime_dir = optarg;
			break;
		case O_CONFIG:
			o->config = optarg;
			break;
		case O_BUDGET:
			o->have_budget = 1;
			if (parse_u64(optarg, 10, &o->ep.budget_pages)) {
				log_warnx(
					"--budget: '%s' is not a number of pages per second",
					optarg);
				return CONTIGD_EXIT_USAGE;
			}
			break;
		case 'f':
			o->foreground = 1;
			break;
		case 'v':
			o->verbose = 1;
			break;
		case 'h':
			help();
			exit(CONTIGD_EXIT_OK);
		case O_VERSION:
			printf("contigd %s\n", CONTIG_VERSION);
			exit(CONTIGD_EXIT_OK);
		case O_CHECK:
			o->check_config = 1;
			break;
		default:
			usage(stderr);
			return CONTIGD_EXIT_USAGE;
		}
	}
	if (o->check_config && optind + 1 == argc)
		o->check_path = argv[optind++];
	if (o->check_config && o->once) {
		log_warnx("--check-config and --once exclude each other");
		return CONTIGD_EXIT_USAGE;
	}
	if (optind != argc) {
		log_warnx("unexpected argument '%s'", argv[optind]);
		return CONTIGD_EXIT_USAGE;
	}
	if (o->have_range && !o->once) {
		log_warnx("--range needs --once");
		return CONTIGD_EXIT_USAGE;
	}
	if (o->have_budget && !o->once) {
		log_warnx(
			"--budget needs --once (set budget_pages in the configuration file)");
		return CONTIGD_EXIT_USAGE;
	}
	return -1;
}

static int exit_for(int err)
{
	switch (err) {
	case -ESRCH:
	case -ENOENT:
		return CONTIGD_EXIT_NOPROC;
	case -EPERM:
	case -EACCES:
		return CONTIGD_EXIT_PERM;
	default:
		return CONTIGD_EXIT_FAIL;
	}
}

static void print_figures(const char *what, const struct contig_metrics *m)
{
	printf("%-6s pages %" PRIu64 " present %" PRIu64 " runs %" PRIu64
	       " runs_99 %" PRIu64 " aligned_2m %" PRIu64 "\n",
	       what, m->pages, m->present, m->runs, m->runs_99, m->aligned_2m);
}

/* One pass over every eligible piece of the range; the exit code. */
static int run_once(const struct opts *o, struct backend *b, struct stats *st)
{
	struct contig_metrics before = { 0 }, after = { 0 };
	struct vma_list maps = { 0 };
	struct exec_params ep = o->ep;
	struct cost_model cost;
	uint64_t lo = o->have_range ? o->range_start : 0;
	uint64_t hi = o->have_range ? o->range_end : UINT64_MAX;
	uint64_t refused = 0, failed = 0, done = 0, ops = 0, retries = 0;
	size_t i, pieces = 0;
	int err, reached = 1, ret = CONTIGD_EXIT_OK;

	cost_init(&cost);
	ep.cost = &cost;
	err = maps_read(o->ep.proc_root, o->pid, &maps);
	if (err) {
		log_warnx("--once %d: reading /proc/%d/maps: %s", o->pid,
			  o->pid, strerror(-err));
		return exit_for(err);
	}
	for (i = 0; i < maps.nr; i++) {
		const struct vma_info *v = &maps.v[i];
		uint64_t a = v->start > lo ? v->start : lo;
		uint64_t z = v->end < hi ? v->end : hi;
		struct exec_result r;

		a = (a + 4095) & ~UINT64_C(4095);
		z &= ~UINT64_C(4095);
		if (a >= z || !worker_eligible(v))
			continue;
		pieces++;
		err = exec_pass(b, o->pid, a, z, &ep, st, &r);
		if (err == -E2BIG) {
			log_info("--once %d: 0x%" PRIx64 "-0x%" PRIx64
				 " skipped: over 64 GiB, a reservation",
				 o->pid, a, z);
			pieces--;
			continue;
		}
		if (err) {
			log_warnx(
				"--once %d: pass over 0x%" PRIx64 "-0x%" PRIx64
				": %s%s",
				o->pid, a, z, strerror(-err),
				err == -EPERM ?
					" (physical frame numbers need CAP_SYS_ADMIN)" :
					"");
			ret = exit_for(err);
			goto out;
		}
		log_debug("0x%" PRIx64 "-0x%" PRIx64 ": %" PRIu64
			  " ops, %" PRIu64 " done, %" PRIu64
			  " failed, %u plan(s), %.3f s",
			  a, z, r.ops, r.done, r.failed, r.plans, r.seconds);
		if (r.stale)
			log_info("--once %d: 0x%" PRIx64 "-0x%" PRIx64
				 ": %u of %u plan(s) refused: pages moved while"
				 " pagemap was read",
				 o->pid, a, z, r.stale, r.plans);
		if (r.refused)
			log_warnx(
				"--once %d: 0x%" PRIx64 "-0x%" PRIx64
				": region refuses huge pages (MADV_NOHUGEPAGE): %" PRIu64
				" of %" PRIu64 " blocks not collapsed",
				o->pid, a, z, r.refused, r.eligible_blocks);
		contig_metrics_add(&before, &r.before);
		contig_metrics_add(&after, &r.after);
		reached &= r.reached;
		refused += r.refused;
		failed += r.failed;
		done += r.done;
		ops += r.ops;
		retries += r.retries;
	}
	if (!pieces) {
		log_warnx(
			"--once %d: no private writable anonymous memory in 0x%" PRIx64
			"-0x%" PRIx64,
			o->pid, lo, hi);
		ret = CONTIGD_EXIT_NOTHING;
		goto out;
	}
	print_figures("before", &before);
	print_figures("after", &after);
	printf("ops %" PRIu64 " done %" PRIu64 " retries %" PRIu64
	       " failed %" PRIu64 " refused %" PRIu64 " target %s\n",
	       ops, done, retries, failed, refused,
	       reached ? "reached" : "not reached");
	if (!reached)
		ret = CONTIGD_EXIT_NOT_REACHED;
out:
	vma_list_free(&maps);
	return ret;
}

/* --once: the configuration file's pass knobs, unless given here. */
static int once_config(struct opts *o)
{
	struct contigd_config c;
	char err[256] = "";
	int ret;

	ret = config_parse_file(o->config ? o->config : CONFIG_FILE_DEFAULT, &c,
				err, sizeof(err));
	if (ret == -ENOENT && !o->config)
		ret = 0;
	else if (ret == -ENOENT)
		log_warnx("%s: no such file", o->config);
	else if (ret)
		log_warnx("%s", *err ? err : strerror(-ret));
	if (!ret) {
		if (!o->have_budget)
			o->ep.budget_pages = c.budget_pages;
		o->ep.batch = (unsigned int)c.batch;
		o->ep.max_retries = (unsigned int)c.max_retries;
		o->ep.backoff_ns = c.backoff_ms * 1000000u;
		o->ep.anchor.rule = config_anchor_rule(c.anchor);
		if (!o->runtime_dir && c.runtime_dir[0]) {
			snprintf(o->runtime_dir_buf, sizeof(o->runtime_dir_buf),
				 "%s", c.runtime_dir);
			o->runtime_dir = o->runtime_dir_buf;
		}
	}
	config_free(&c);
	return ret ? CONTIGD_EXIT_CONFIG : -1;
}

static int once(struct opts *o)
{
	char stats_path[PATH_MAX], why[160] = "";
	struct backend *b = NULL;
	struct backend_info info = { 0 };
	struct stats st;
	const char *env;
	int ret, err;

	ret = once_config(o);
	if (ret >= 0)
		return ret;
	env = getenv("CONTIGD_RUNTIME_DIR");
	if (!o->runtime_dir)
		o->runtime_dir = env && *env ? env : RUNTIME_DIR_DEFAULT;
	if (!o->stats_file) {
		if (snprintf(stats_path, sizeof(stats_path), "%s/%s",
			     o->runtime_dir,
			     STATS_FILE_NAME) >= (int)sizeof(stats_path)) {
			log_warnx("--runtime-dir: '%s' is too long",
				  o->runtime_dir);
			return CONTIGD_EXIT_USAGE;
		}
		if (mkdir(o->runtime_dir, 0755) && errno != EEXIST) {
			log_warn("creating runtime directory %s",
				 o->runtime_dir);
			return CONTIGD_EXIT_FAIL;
		}
		o->stats_file = stats_path;
	}

	err = backend_select(o->have_backend ? &o->backend : NULL,
			     o->ep.proc_root, &b, why, sizeof(why));
	if (err == -EOPNOTSUPP) {
		log_warnx(
			"--backend sim: the simulated backend serves tests and benchmarks only");
		return CONTIGD_EXIT_BACKEND;
	}
	if (err == -ENODEV) {
		log_warnx("--backend kmod: not available: %s", why);
		return CONTIGD_EXIT_BACKEND;
	}
	if (err) {
		log_warnx("setting up the backend: %s", strerror(-err));
		return CONTIGD_EXIT_FAIL;
	}
	/* --once is not paced: batches in flight on every CPU. */
	backend_set_cpu_share(b, 100);
	backend_info(b, &info);
	log_info("backend %s: %s", backend_kind_name(b->kind), b->reason);
	if (info.submission[0])
		log_info("submission %s%s%s", info.submission,
			 info.submission_why ? ": " : "",
			 info.submission_why ? info.submission_why : "");
	stats_init(&st, b->kind, info.abi_version, STATS_OBSERVER_NONE);
	st.queue_length = 1;

	ret = run_once(o, b, &st);

	st.queue_length = 0;
	err = stats_write(&st, o->stats_file);
	if (err) {
		log_warnx("writing stats file %s: %s", o->stats_file,
			  strerror(-err));
		if (ret == CONTIGD_EXIT_OK)
			ret = CONTIGD_EXIT_FAIL;
	}
	backend_destroy(b);
	return ret;
}

int main(int argc, char **argv)
{
	struct opts o = { .ep = EXEC_PARAMS_DEFAULT };
	struct daemon_opts dopts = { 0 };
	int ret;

	log_init(0);
	ret = parse_args(argc, argv, &o);
	if (ret >= 0)
		return ret;
	log_init(o.verbose);
	if (o.check_config) {
		if (o.check_path)
			return check_config(o.check_path, true);
		return check_config(o.config ? o.config : CONFIG_FILE_DEFAULT,
				    o.config != NULL);
	}
	if (o.once)
		return once(&o);
	if (o.backend == BACKEND_SIM && o.have_backend) {
		log_warnx(
			"--backend sim: the simulated backend serves tests and benchmarks only");
		return CONTIGD_EXIT_BACKEND;
	}
	dopts.config_path = o.config;
	dopts.config_explicit = o.config != NULL;
	dopts.runtime_dir = o.runtime_dir ? o.runtime_dir :
					    getenv("CONTIGD_RUNTIME_DIR");
	if (dopts.runtime_dir && !*dopts.runtime_dir)
		dopts.runtime_dir = NULL;
	dopts.stats_file = o.stats_file;
	dopts.have_backend = o.have_backend;
	dopts.backend = o.backend;
	dopts.verbose = o.verbose ? 1 : -1;
	dopts.proc_root = o.ep.proc_root;
	return daemon_run(&dopts);
}
