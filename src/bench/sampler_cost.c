// SPDX-License-Identifier: GPL-2.0-only
/*
 * observer-bench's figures for the access sampler (sampler_cost.h).
 *
 * Watched memory: nprocs children each fill mib / nprocs MiB and sleep;
 * the observer (the daemon's default mode) watches them all and is
 * polled every 0.5 s, as contigd's tick does, for secs seconds: our
 * CPU time over wall time, and the sampler's rounds and their CPU time.
 *
 * Slowdown: a child reads one random word per step of a mib MiB buffer
 * without pause, counting steps in shared memory. Phases of secs
 * seconds alternate: not watched, watched (the sampler clearing its
 * accessed bits). The rate is steps per CPU second of the child (other
 * load on the machine does not count); slowdown = 1 - watched rate /
 * unwatched rate, median over pairs of neighbouring phases, so that
 * drift cancels.
 */
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sampler_cost.h"

#define MIB (1ull << 20)

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

/* A child holding bytes of touched memory; it sleeps until killed. */
static pid_t hold(uint64_t bytes)
{
	pid_t pid = fork();
	char *p;

	if (pid)
		return pid;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		_exit(1);
	memset(p, 1, bytes);
	for (;;)
		pause();
}

static void reap(pid_t *kids, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++) {
		kill(kids[i], SIGKILL);
		waitpid(kids[i], NULL, 0);
	}
}

/* Resident bytes of pid (statm), 0 when unknown. */
static uint64_t rss_of(pid_t pid)
{
	unsigned long long size, res = 0;
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/statm", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (fscanf(f, "%llu %llu", &size, &res) != 2)
		res = 0;
	fclose(f);
	return res * (uint64_t)sysconf(_SC_PAGESIZE);
}

int sampler_watched_cpu(const struct observer_opts *opts, unsigned nprocs,
			unsigned mib, unsigned secs, struct sampler_cpu *out)
{
	uint64_t each = (uint64_t)mib * MIB / nprocs;
	struct observer_counters c0, c1;
	struct observer *o = NULL;
	unsigned i, started = 0;
	double t0, cpu0, end;
	pid_t *kids;
	int err = 0;

	memset(out, 0, sizeof(*out));
	kids = calloc(nprocs, sizeof(*kids));
	if (!kids)
		return -ENOMEM;
	for (i = 0; i < nprocs; i++, started++) {
		kids[i] = hold(each);
		if (kids[i] < 0) {
			err = -errno;
			goto out;
		}
	}
	/* Wait until every child has its memory. */
	for (i = 0; i < nprocs; i++) {
		end = now_s() + 120;
		while (rss_of(kids[i]) < each && now_s() < end)
			usleep(10000);
		out->watched_bytes += rss_of(kids[i]);
	}
	err = observer_open(opts, &o);
	for (i = 0; !err && i < nprocs; i++)
		err = observer_watch(o, kids[i]);
	if (err)
		goto out;
	snprintf(out->describe, sizeof(out->describe), "%s",
		 observer_describe(o));
	observer_counters(o, &c0);
	t0 = now_s();
	cpu0 = cpu_s();
	while (!err && now_s() - t0 < secs) {
		err = observer_poll(o);
		usleep(500000);
	}
	out->cpu_pct = 100.0 * (cpu_s() - cpu0) / (now_s() - t0);
	observer_counters(o, &c1);
	out->rounds = c1.sample_rounds - c0.sample_rounds;
	if (out->rounds)
		out->round_ms = (double)(c1.sample_cpu_ns - c0.sample_cpu_ns) /
				1e6 / (double)out->rounds;
	out->source = observer_source_name(observer_source(o));
out:
	observer_close(o);
	reap(kids, started);
	free(kids);
	return err;
}

static volatile uint64_t sink;

/* The memory-bound loop: counts steps into *steps until killed. */
static void loop(uint64_t bytes, _Atomic uint64_t *steps)
{
	uint64_t *p, x = 0x9e3779b97f4a7c15ull, n = bytes / 8, sum = 0, k;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (p == MAP_FAILED)
		_exit(1);
	for (;;) {
		for (k = 0; k < 4096; k++) {
			x ^= x >> 12;
			x ^= x << 25;
			x ^= x >> 27;
			sum += ((volatile uint64_t *)
					p)[(x * 2685821657736338717ull) % n];
		}
		sink = sum;
		atomic_fetch_add_explicit(steps, 4096, memory_order_relaxed);
	}
}

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* CPU seconds of process clock c. */
static double clock_s(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * Steps per CPU second of the loop over secs seconds, polling o if not
 * NULL: per CPU second of its own, so that other load on the machine,
 * which takes the loop's core away at times, does not count.
 */
static double rate(_Atomic uint64_t *steps, clockid_t kid_clock,
		   struct observer *o, unsigned secs)
{
	uint64_t s0 = atomic_load(steps);
	double t0 = now_s(), c0 = clock_s(kid_clock);

	while (now_s() - t0 < secs) {
		if (o)
			observer_poll(o);
		usleep(500000);
	}
	return (double)(atomic_load(steps) - s0) / (clock_s(kid_clock) - c0);
}

int sampler_slowdown(const struct observer_opts *opts, unsigned mib,
		     unsigned phases, unsigned secs, double *pct)
{
	_Atomic uint64_t *steps;
	struct observer *o = NULL;
	double *d = NULL, off, on;
	clockid_t kc;
	unsigned ph;
	pid_t kid;
	int err;

	*pct = -1;
	steps = mmap(NULL, sizeof(*steps), PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (steps == MAP_FAILED)
		return -errno;
	atomic_store(steps, 0);
	kid = fork();
	if (kid == 0)
		loop((uint64_t)mib * MIB, steps);
	if (kid < 0) {
		err = -errno;
		goto out_map;
	}
	while (!atomic_load(steps))
		usleep(10000);
	err = -clock_getcpuclockid(kid, &kc);
	d = calloc(phases, sizeof(*d));
	if (!err)
		err = d ? observer_open(opts, &o) : -ENOMEM;
	for (ph = 0; !err && ph < phases; ph++) {
		off = rate(steps, kc, NULL, secs);
		err = observer_watch(o, kid);
		if (err)
			break;
		on = rate(steps, kc, o, secs);
		err = observer_unwatch(o, kid);
		d[ph] = 100.0 * (1.0 - on / off);
	}
	if (!err) {
		qsort(d, phases, sizeof(*d), cmp_dbl);
		*pct = d[phases / 2];
	}
	observer_close(o);
	free(d);
	kill(kid, SIGKILL);
	waitpid(kid, NULL, 0);
out_map:
	munmap(steps, sizeof(*steps));
	return err;
}
