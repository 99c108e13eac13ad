// SPDX-License-Identifier: GPL-2.0-only
/*
 * observer-bench's figures for the access sampler (sampler_cost.h).
 *
 * Watched memory: nprocs children each fill mib / nprocs MiB and sleep;
 * the observer (the daemon's default mode) watches them all and is
 * polled every 0.5 s, as contigd's tick does, for secs seconds: our
 * CPU time over wall time, and the sampler's rounds and their CPU time.
 *
 * Slowdown: two twin children each read one random word per step of
 * their own mib MiB buffer without pause, counting steps in shared
 * memory, side by side, so that whatever else loads the machine loads
 * both alike. In each phase one twin is watched (the sampler clearing
 * its accessed bits) and the other not, in turns, for warm + secs
 * seconds. The rate is steps per CPU second of a twin (time the other
 * load takes its core away does not count); slowdown = 1 - watched
 * rate / unwatched rate, median over the phases. The first warm seconds
 * are the slowdown while the sampler learns that the loop's heat is
 * steady (it clears every round then), the next secs the slowdown once
 * it has (sampler_slowdown's two figures).
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
	out->addrs = c1.sample_addrs - c0.sample_addrs;
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
 * Over secs seconds, polling o: 1 - watched rate / unwatched rate in
 * percent, the rates in steps per CPU second of each loop, so that other
 * load on the machine, which takes a loop's core away at times, does
 * not count.
 */
static double pair_slowdown(_Atomic uint64_t *steps, const clockid_t *kc,
			    struct observer *o, unsigned w, unsigned secs)
{
	uint64_t s0[2] = { atomic_load(&steps[0]), atomic_load(&steps[1]) };
	double c0[2] = { clock_s(kc[0]), clock_s(kc[1]) }, r[2];
	double t0 = now_s();
	unsigned i;

	while (now_s() - t0 < secs) {
		observer_poll(o);
		usleep(500000);
	}
	for (i = 0; i < 2; i++)
		r[i] = (double)(atomic_load(&steps[i]) - s0[i]) /
		       (clock_s(kc[i]) - c0[i]);
	return 100.0 * (1.0 - r[w] / r[!w]);
}

static double median(double *v, unsigned n)
{
	qsort(v, n, sizeof(*v), cmp_dbl);
	return v[n / 2];
}

int sampler_slowdown(const struct observer_opts *opts, unsigned mib,
		     unsigned phases, unsigned warm, unsigned secs,
		     struct sampler_slow *out)
{
	_Atomic uint64_t *steps;
	struct observer *o = NULL;
	double *d = NULL, *dw;
	clockid_t kc[2];
	pid_t kid[2] = { -1, -1 };
	unsigned ph, i;
	int err = 0;

	out->warm_pct = out->pct = -1;
	steps = mmap(NULL, 2 * sizeof(*steps), PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (steps == MAP_FAILED)
		return -errno;
	for (i = 0; i < 2 && !err; i++) {
		atomic_store(&steps[i], 0);
		kid[i] = fork();
		if (kid[i] == 0)
			loop((uint64_t)mib * MIB, &steps[i]);
		if (kid[i] < 0)
			err = -errno;
	}
	for (i = 0; i < 2 && !err; i++) {
		while (!atomic_load(&steps[i]))
			usleep(10000);
		err = -clock_getcpuclockid(kid[i], &kc[i]);
	}
	d = calloc(2 * (size_t)phases, sizeof(*d));
	if (!err)
		err = d ? observer_open(opts, &o) : -ENOMEM;
	dw = d + phases;
	/* The twins take turns at being watched. */
	for (ph = 0; !err && ph < phases; ph++) {
		unsigned w = ph % 2;

		err = observer_watch(o, kid[w]);
		if (err)
			break;
		if (warm)
			dw[ph] = pair_slowdown(steps, kc, o, w, warm);
		d[ph] = pair_slowdown(steps, kc, o, w, secs);
		err = observer_unwatch(o, kid[w]);
	}
	if (!err) {
		out->pct = median(d, phases);
		out->warm_pct = warm ? median(dw, phases) : out->pct;
	}
	observer_close(o);
	free(d);
	for (i = 0; i < 2; i++) {
		if (kid[i] > 0) {
			kill(kid[i], SIGKILL);
			waitpid(kid[i], NULL, 0);
		}
	}
	munmap(steps, 2 * sizeof(*steps));
	return err;
}
