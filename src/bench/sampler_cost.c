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
#include <fcntl.h>
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

#include "loop_twins.h"
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
	out->ioctl_ms = (double)(c1.sample_ioctl_ns - c0.sample_ioctl_ns) / 1e6;
	out->source = observer_source_name(observer_source(o));
out:
	observer_close(o);
	reap(kids, started);
	free(kids);
	return err;
}

/* Polls o (when not NULL) for secs seconds, every 0.5 s. */
static void poll_for(struct observer *o, unsigned secs)
{
	double t0 = now_s();

	while (now_s() - t0 < secs) {
		if (o)
			observer_poll(o);
		usleep(500000);
	}
}

int sampler_slowdown(const struct observer_opts *opts, unsigned mib,
		     unsigned phases, unsigned warm, unsigned secs,
		     struct sampler_slow *out)
{
	struct observer *o = NULL;
	struct loop_twins t;
	struct twins_mark m;
	double *d, *dw;
	unsigned ph;
	int err;

	out->warm_pct = out->pct = -1;
	d = calloc(2 * (size_t)phases, sizeof(*d));
	if (!d)
		return -ENOMEM;
	dw = d + phases;
	err = twins_start(&t, mib);
	if (err)
		goto out_free;
	err = observer_open(opts, &o);
	/* The twins take turns at being watched. */
	for (ph = 0; !err && ph < phases; ph++) {
		unsigned w = ph % 2;

		err = observer_watch(o, t.kid[w]);
		if (err)
			break;
		twins_mark(&t, &m);
		poll_for(o, warm);
		dw[ph] = warm ? twins_slowdown(&t, &m, w, NULL) : 0;
		twins_mark(&t, &m);
		poll_for(o, secs);
		d[ph] = twins_slowdown(&t, &m, w, NULL);
		err = observer_unwatch(o, t.kid[w]);
		fprintf(stderr,
			"observer-bench: phase %u, twin %u watched: "
			"%.2f %% in the warm-up, %.2f %% after\n",
			ph, w, dw[ph], d[ph]);
	}
	if (!err) {
		out->pct = twins_median_pairs(d, phases);
		out->warm_pct = warm ? twins_median_pairs(dw, phases) :
				       out->pct;
	}
	observer_close(o);
	twins_stop(&t);
out_free:
	free(d);
	return err;
}

/* Writes "1" to pid's clear_refs. 0 or -errno. */
static int clear_refs(pid_t pid)
{
	char path[64];
	int fd, err = 0;

	snprintf(path, sizeof(path), "/proc/%d/clear_refs", (int)pid);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, "1", 1) != 1)
		err = -errno;
	close(fd);
	return err;
}

int sampler_clear_cost(unsigned mib, unsigned phases, unsigned secs,
		       unsigned interval_ms, double *ms)
{
	struct loop_twins t;
	struct twins_mark m;
	unsigned ph, n;
	double *d, t0, cpu;
	int err;

	*ms = -1;
	d = calloc(phases, sizeof(*d));
	if (!d)
		return -ENOMEM;
	err = twins_start(&t, mib);
	for (ph = 0; !err && ph < phases; ph++) {
		unsigned w = ph % 2;

		twins_mark(&t, &m);
		t0 = now_s();
		for (n = 0; !err && now_s() - t0 < secs; n++) {
			err = clear_refs(t.kid[w]);
			usleep(interval_ms * 1000);
		}
		/* the loop CPU lost, over the clears */
		d[ph] = twins_slowdown(&t, &m, w, &cpu) / 100 * cpu * 1e3 / n;
		fprintf(stderr,
			"observer-bench: phase %u, twin %u cleared %u times: "
			"%.2f ms of its CPU each\n",
			ph, w, n, d[ph]);
	}
	if (!err)
		*ms = twins_median_pairs(d, phases);
	twins_stop(&t);
	free(d);
	return err;
}
