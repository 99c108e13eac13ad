// SPDX-License-Identifier: GPL-2.0-only
/* Twin memory-bound loops (loop_twins.h). */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "loop_twins.h"

#define MIB (1ull << 20)

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

/* CPU seconds of process clock c. */
static double clock_s(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int twins_start(struct loop_twins *t, unsigned mib)
{
	unsigned i;
	int err = 0;

	t->kid[0] = t->kid[1] = -1;
	t->steps = mmap(NULL, 2 * sizeof(*t->steps), PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (t->steps == MAP_FAILED) {
		t->steps = NULL;
		return -errno;
	}
	for (i = 0; i < 2 && !err; i++) {
		atomic_store(&t->steps[i], 0);
		t->kid[i] = fork();
		if (t->kid[i] == 0)
			loop((uint64_t)mib * MIB, &t->steps[i]);
		if (t->kid[i] < 0)
			err = -errno;
	}
	for (i = 0; i < 2 && !err; i++) {
		while (!atomic_load(&t->steps[i]))
			usleep(10000);
		err = -clock_getcpuclockid(t->kid[i], &t->clock[i]);
	}
	if (err)
		twins_stop(t);
	return err;
}

void twins_stop(struct loop_twins *t)
{
	unsigned i;

	for (i = 0; i < 2; i++) {
		if (t->kid[i] > 0) {
			kill(t->kid[i], SIGKILL);
			waitpid(t->kid[i], NULL, 0);
		}
		t->kid[i] = -1;
	}
	if (t->steps)
		munmap(t->steps, 2 * sizeof(*t->steps));
	t->steps = NULL;
}

void twins_mark(const struct loop_twins *t, struct twins_mark *m)
{
	unsigned i;

	for (i = 0; i < 2; i++) {
		m->steps[i] = atomic_load(&t->steps[i]);
		m->cpu[i] = clock_s(t->clock[i]);
	}
}

double twins_slowdown(const struct loop_twins *t, const struct twins_mark *m,
		      unsigned w, double *cpu_w)
{
	double r[2], cpu[2];
	unsigned i;

	for (i = 0; i < 2; i++) {
		cpu[i] = clock_s(t->clock[i]) - m->cpu[i];
		r[i] = (double)(atomic_load(&t->steps[i]) - m->steps[i]) /
		       cpu[i];
	}
	if (cpu_w)
		*cpu_w = cpu[w];
	return 100.0 * (1.0 - r[w] / r[!w]);
}

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

double twins_median_pairs(double *d, unsigned n)
{
	unsigned i, pairs = n / 2;

	if (!pairs)
		return d[0];
	for (i = 0; i < pairs; i++)
		d[i] = (d[2 * i] + d[2 * i + 1]) / 2;
	qsort(d, pairs, sizeof(*d), cmp_dbl);
	return pairs % 2 ? d[pairs / 2] : (d[pairs / 2 - 1] + d[pairs / 2]) / 2;
}
