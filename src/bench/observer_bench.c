// SPDX-License-Identifier: GPL-2.0-only
/*
 * observer-bench: what the observer costs. Prints one JSON line.
 *
 *   observer-bench [--rounds N] [--phases N] [--idle-seconds N] [--procs N]
 *
 * Fault cost: a 1 MiB region, warmed first (first touch of fresh memory
 * is slow here), then rounds of MADV_DONTNEED + touch every page; ns per
 * fault is a round's time over its pages. Short phases alternate in one
 * run: detached (no observer loaded), attached but this process not
 * watched (the filter cost every other process pays), attached and
 * watched. fault_ns_*: medians over all rounds of each kind;
 * added_ns_per_fault: median over phases of (watched - detached) medians
 * of the same phase, so that drift on a busy host cancels.
 *
 * Idle CPU: N sleeping children watched, observer_poll() once a second;
 * our user+system time over wall time, in bpf mode and in proc mode.
 *
 * The access sampler (sampler_cost.c): CPU with --procs children holding
 * --watch-mib MiB in all, watched in the default mode for
 * --watch-seconds, and the addresses it sampled (kernel helper); the
 * slowdown of a memory-bound loop over --loop-mib MiB against an
 * unwatched twin, --loop-phases phases of --loop-seconds each after
 * --loop-warmup seconds of being watched (6 sampling periods: the proc
 * sampler clears every round until the loop's heat is found steady),
 * whose slowdown is given apart. With the proc sampler also the loop's
 * CPU lost per clear_refs (--clear-phases phases of --clear-seconds, a
 * clear every 200 ms), and the slowdown that makes at one clear a round
 * (while the sampler learns) and one in four rounds (once it has): on a
 * busy host the direct figure drifts by more than the effect. --no-sampler: skip both;
 * --sampler-only: only these. --sample-seconds: the sampling period (1;
 * contigd takes a quarter of scan_interval, 7.5 s by default).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "array.h"
#include "observer.h"
#include "sampler_cost.h"

#define REGION_PAGES 256

struct samples {
	double *v;
	size_t nr, cap;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void quiet(void *ctx, int prio, const char *msg)
{
	(void)ctx;
	if (prio <= LOG_WARNING)
		fprintf(stderr, "observer: %s\n", msg);
}

static int push(struct samples *s, double v)
{
	double *n = array_reserve(s->v, &s->cap, s->nr + 1, sizeof(*n), 1024);

	if (!n)
		return -ENOMEM;
	s->v = n;
	s->v[s->nr++] = v;
	return 0;
}

static int dbl_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Median of v[from, to) (sorts that span in place). */
static double median_of(double *v, size_t from, size_t to)
{
	if (to <= from)
		return -1;
	qsort(v + from, to - from, sizeof(double), dbl_cmp);
	return v[from + (to - from) / 2];
}

static double median(struct samples *s)
{
	return median_of(s->v, 0, s->nr);
}

/* One refault round over the region: ns per fault. */
static double round_ns(char *buf, size_t pg)
{
	uint64_t t0;
	size_t i;

	t0 = now_ns();
	madvise(buf, REGION_PAGES * pg, MADV_DONTNEED);
	for (i = 0; i < REGION_PAGES; i++)
		buf[i * pg] = (char)i;
	return (double)(now_ns() - t0) / REGION_PAGES;
}

static int measure(struct samples *s, char *buf, size_t pg, unsigned rounds)
{
	unsigned r;
	int err;

	for (r = 0; r < rounds; r++) {
		err = push(s, round_ns(buf, pg));
		if (err)
			return err;
	}
	return 0;
}

static double cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

/* Percent of one core spent polling nprocs idle children for secs. */
static int idle_cpu(enum observer_want want, unsigned nprocs, unsigned secs,
		    double *pct, double *poll_us)
{
	struct observer_opts opts = { .want = want, .log = quiet };
	struct observer *o = NULL;
	pid_t *kids;
	double c0, w0, polls = 0, poll_ns = 0;
	unsigned i, started = 0, s;
	uint64_t t;
	int err;

	kids = calloc(nprocs, sizeof(*kids));
	if (!kids)
		return -ENOMEM;
	err = observer_open(&opts, &o);
	if (err)
		goto out;
	for (i = 0; i < nprocs; i++) {
		kids[i] = fork();
		if (kids[i] == 0) {
			for (;;)
				pause();
		}
		if (kids[i] < 0) {
			err = -errno;
			goto out;
		}
		started++;
		err = observer_watch(o, kids[i]);
		if (err)
			goto out;
	}
	c0 = cpu_s();
	w0 = (double)now_ns() / 1e9;
	for (s = 0; s < secs; s++) {
		t = now_ns();
		err = observer_poll(o);
		if (err)
			goto out;
		poll_ns += (double)(now_ns() - t);
		polls++;
		usleep(1000000 - (useconds_t)((now_ns() - t) / 1000 % 1000000));
	}
	*pct = 100.0 * (cpu_s() - c0) / ((double)now_ns() / 1e9 - w0);
	*poll_us = poll_ns / polls / 1e3;
out:
	for (i = 0; i < started; i++) {
		kill(kids[i], SIGKILL);
		waitpid(kids[i], NULL, 0);
	}
	observer_close(o);
	free(kids);
	return err;
}

static int parse_uint(const char *s, unsigned *out)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || v == 0 || v > 1000000)
		return -EINVAL;
	*out = (unsigned)v;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "rounds", required_argument, NULL, 'r' },
		{ "phases", required_argument, NULL, 'p' },
		{ "idle-seconds", required_argument, NULL, 'i' },
		{ "procs", required_argument, NULL, 'n' },
		{ "watch-mib", required_argument, NULL, 'w' },
		{ "watch-seconds", required_argument, NULL, 's' },
		{ "loop-mib", required_argument, NULL, 'l' },
		{ "loop-phases", required_argument, NULL, 'P' },
		{ "loop-seconds", required_argument, NULL, 'S' },
		{ "no-sampler", no_argument, NULL, 'x' },
		{ "sampler-only", no_argument, NULL, 'o' },
		{ "sample-seconds", required_argument, NULL, 'T' },
		{ "loop-warmup", required_argument, NULL, 'W' },
		{ "clear-phases", required_argument, NULL, 'C' },
		{ "clear-seconds", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned rounds = 100, phases = 15, idle_secs = 5, nprocs = 100, ph;
	unsigned watch_mib = 8192, watch_secs = 20, loop_mib = 256;
	unsigned loop_phases = 5, loop_secs = 3, sample_secs = 1, warm = 0;
	unsigned clear_phases = 4, clear_secs = 10;
	double clear_ms = -1;
	struct observer_opts sopts = { .log = quiet };
	struct sampler_cpu scpu = { .cpu_pct = -1, .source = "none" };
	struct sampler_slow slow = { -1, -1 };
	bool sampler = true, faults = true;
	struct samples det = { 0 }, unw = { 0 }, wat = { 0 };
	struct samples add_w = { 0 }, add_u = { 0 };
	size_t from;
	struct observer_opts opts = { .want = OBSERVER_WANT_BPF, .log = quiet };
	struct observer_counters cnt = { 0 };
	double idle_bpf = -1, idle_proc = -1, poll_bpf = -1, poll_proc = -1;
	double snap_us = -1, d, u, w;
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	struct observer *o = NULL;
	struct vma_list vl = { 0 };
	char describe[512] = "";
	bool bpf = true;
	char *buf;
	int c, err = 0;
	uint64_t t;

	while ((c = getopt_long(argc, argv, "", lopts, NULL)) != -1) {
		unsigned *dst = c == 'r' ? &rounds :
				c == 'p' ? &phases :
				c == 'i' ? &idle_secs :
				c == 'n' ? &nprocs :
				c == 'w' ? &watch_mib :
				c == 's' ? &watch_secs :
				c == 'l' ? &loop_mib :
				c == 'P' ? &loop_phases :
				c == 'S' ? &loop_secs :
				c == 'T' ? &sample_secs :
				c == 'W' ? &warm :
				c == 'C' ? &clear_phases :
				c == 'c' ? &clear_secs :
					   NULL;

		if (c == 'x' || c == 'o') {
			sampler = c == 'o';
			faults = c == 'x';
			continue;
		}
		if (!dst || parse_uint(optarg, dst)) {
			fprintf(stderr,
				"usage: observer-bench [--rounds N] "
				"[--phases N] [--idle-seconds N] [--procs N]\n"
				"       [--watch-mib N] [--watch-seconds N] "
				"[--loop-mib N] [--loop-phases N]\n"
				"       [--loop-seconds N] [--loop-warmup N] "
				"[--sample-seconds N]\n"
				"       [--clear-phases N] [--clear-seconds N]\n"
				"       [--no-sampler | --sampler-only]\n");
			return 2;
		}
	}

	buf = mmap(NULL, REGION_PAGES * pg, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED) {
		perror("observer-bench: mmap");
		return 1;
	}
	/* Warm-up: the kernel's free lists and page tables settle. */
	for (ph = 0; ph < 2000; ph++)
		round_ns(buf, pg);

	if (!faults)
		bpf = false;
	for (ph = 0; ph < phases && bpf; ph++) {
		from = det.nr;
		err = measure(&det, buf, pg, rounds);
		if (err)
			goto out;
		err = observer_open(&opts, &o);
		if (err) {
			fprintf(stderr,
				"observer-bench: bpf mode unavailable (%s); "
				"no fault cost to measure\n",
				strerror(-err));
			bpf = false;
			err = 0;
			break;
		}
		snprintf(describe, sizeof(describe), "%s",
			 observer_describe(o));
		err = measure(&unw, buf, pg, rounds);
		if (!err)
			err = observer_watch(o, getpid());
		if (!err)
			err = measure(&wat, buf, pg, rounds);
		if (!err)
			err = observer_poll(o);
		if (!err && ph == phases - 1) {
			observer_counters(o, &cnt);
			t = now_ns();
			err = observer_snapshot(o, getpid(), &vl);
			snap_us = (double)(now_ns() - t) / 1e3;
		}
		observer_close(o);
		o = NULL;
		if (err)
			goto out;
		/* Paired with this phase's detached rounds: drift cancels. */
		d = median_of(det.v, from, det.nr);
		err = push(&add_w, median_of(wat.v, from, wat.nr) - d);
		if (!err)
			err = push(&add_u, median_of(unw.v, from, unw.nr) - d);
		if (err)
			goto out;
	}
	if (bpf) {
		err = idle_cpu(OBSERVER_WANT_BPF, nprocs, idle_secs, &idle_bpf,
			       &poll_bpf);
		if (err)
			goto out;
	}
	if (faults)
		err = idle_cpu(OBSERVER_WANT_PROC, nprocs, idle_secs,
			       &idle_proc, &poll_proc);
	if (err)
		goto out;

	sopts.sample_s = sample_secs;
	if (!warm)
		warm = 6 * sample_secs;
	if (sampler) {
		err = sampler_watched_cpu(&sopts, nprocs, watch_mib,
					  watch_secs, &scpu);
		if (!err)
			err = sampler_slowdown(&sopts, loop_mib, loop_phases,
					       warm, loop_secs, &slow);
		if (!err && !strcmp(scpu.source, "proc"))
			err = sampler_clear_cost(loop_mib, clear_phases,
						 clear_secs, 200, &clear_ms);
		if (err)
			goto out;
	}

	d = median(&det);
	u = median(&unw);
	w = median(&wat);
	printf("{\"mode\":\"%s\",\"hooks\":\"%s\",\"fault_ns_detached\":%.1f,"
	       "\"fault_ns_attached\":%.1f,\"fault_ns_attached_unwatched\":%.1f,"
	       "\"added_ns_per_fault\":%.1f,\"added_ns_per_fault_unwatched\":%.1f,"
	       "\"rounds_per_kind\":%zu,\"pages_per_round\":%d,"
	       "\"faults_counted_last_phase\":%llu,\"snapshot_us\":%.1f,"
	       "\"snapshot_vmas\":%zu,\"procs\":%u,\"idle_seconds\":%u,"
	       "\"idle_cpu_pct_100_procs\":%.3f,\"poll_us_100_procs\":%.1f,"
	       "\"idle_cpu_pct_100_procs_proc\":%.3f,"
	       "\"poll_us_100_procs_proc\":%.1f,"
	       "\"sampler_source\":\"%s\",\"sampler_watched_mib\":%llu,"
	       "\"sampler_seconds\":%u,\"sampler_cpu_pct\":%.3f,"
	       "\"sampler_rounds\":%llu,\"sampler_round_ms\":%.1f,"
	       "\"sampler_addrs\":%llu,\"sampler_us_per_addr\":%.2f,"
	       "\"sampler_ioctl_us_per_addr\":%.2f,"
	       "\"sample_seconds\":%u,\"loop_mib\":%u,"
	       "\"loop_warmup_seconds\":%u,"
	       "\"loop_slowdown_warmup_pct\":%.2f,"
	       "\"loop_slowdown_pct\":%.2f,\"loop_ms_per_clear\":%.2f,"
	       "\"loop_slowdown_model_warmup_pct\":%.2f,"
	       "\"loop_slowdown_model_pct\":%.2f}\n",
	       !faults ? "skipped" : bpf ? "bpf" : "proc", describe, d, w, u,
	       bpf ? median(&add_w) : 0, bpf ? median(&add_u) : 0, wat.nr,
	       REGION_PAGES, (unsigned long long)cnt.faults, snap_us, vl.nr,
	       nprocs, idle_secs, bpf ? idle_bpf : idle_proc,
	       bpf ? poll_bpf : poll_proc, idle_proc, poll_proc, scpu.source,
	       (unsigned long long)(scpu.watched_bytes >> 20), watch_secs,
	       scpu.cpu_pct, (unsigned long long)scpu.rounds, scpu.round_ms,
	       (unsigned long long)scpu.addrs,
	       scpu.addrs ? scpu.round_ms * 1e3 * (double)scpu.rounds /
				    (double)scpu.addrs :
			    -1.0,
	       scpu.addrs ? scpu.ioctl_ms * 1e3 / (double)scpu.addrs : -1.0,
	       sample_secs, loop_mib, warm, slow.warm_pct, slow.pct, clear_ms,
	       clear_ms < 0 ? -1 : clear_ms / 10 / sample_secs,
	       clear_ms < 0 ? -1 : clear_ms / 10 / (4 * sample_secs));
out:
	if (err)
		fprintf(stderr, "observer-bench: %s\n", strerror(-err));
	vma_list_free(&vl);
	free(det.v);
	free(unw.v);
	free(wat.v);
	free(add_w.v);
	free(add_u.v);
	munmap(buf, REGION_PAGES * pg);
	return err ? 1 : 0;
}
