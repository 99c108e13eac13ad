// SPDX-License-Identifier: GPL-2.0-only
/* contig_test: the exchange-against-migration benchmark. */
#include "contig_test.h"

/* ---- benchmark ------------------------------------------------------ */

static double now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

/* The same one-pass swap as the module's, in user space. */
static void user_swap(char *a, char *b)
{
	char tmp[256];

	for (size_t off = 0; off < PG; off += sizeof(tmp)) {
		memcpy(tmp, a + off, sizeof(tmp));
		memcpy(a + off, b + off, sizeof(tmp));
		memcpy(b + off, tmp, sizeof(tmp));
	}
}

int bench(size_t n)
{
	char *a = map_anon(n), *b = map_anon(n);
	struct contig_op *ops = calloc(2 * n, sizeof(*ops));
	uint64_t *pa = calloc(n, 8), *pb = calloc(n, 8), *fr = calloc(n, 8);
	double t0, t_x, t_xm, t_mv, t_mc, t_user;
	size_t fx, fxm, fmv, fmc, nfr;

	if (!a || !b || !ops || !pa || !pb || !fr)
		return 1;
	fill(a, n, 61);
	fill(b, n, 62);
	read_pfns(getpid(), a, n, pa);
	read_pfns(getpid(), b, n, pb);

	/* Warm up (first-touch effects, per-CPU caches). */
	for (size_t i = 0; i < 64; i++)
		ops[i] = op_xchg(getpid(), a + i * PG, getpid(), b + i * PG, 0);
	submit(CONTIG_IOC_EXCHANGE, ops, 64);
	submit(CONTIG_IOC_EXCHANGE, ops, 64);

	/*
	 * 1. exchange in place (or whatever the module does by default) and
	 * 3. two migrations per pair, each into a free frame the kernel picks:
	 * alternated, best of three rounds each (the emulator's timing is
	 * noisy).  Transient -EAGAIN/-EBUSY are retried inside the timing.
	 */
	t_x = t_mv = 1e300;
	fx = fmv = 0;
	for (int round = 0; round < 3; round++) {
		double t;

		for (size_t i = 0; i < n; i++)
			ops[i] = op_xchg(getpid(), a + i * PG, getpid(),
					 b + i * PG, 0);
		t0 = now_ns();
		fx += submit_retry(CONTIG_IOC_EXCHANGE, ops, n, 5);
		t = now_ns() - t0;
		t_x = t < t_x ? t : t_x;

		for (size_t i = 0; i < n; i++) {
			ops[2 * i] =
				op_move(getpid(), a + i * PG, CONTIG_PFN_ANY);
			ops[2 * i + 1] =
				op_move(getpid(), b + i * PG, CONTIG_PFN_ANY);
		}
		t0 = now_ns();
		fmv += submit_retry(CONTIG_IOC_MOVE, ops, 2 * n, 5);
		t = now_ns() - t0;
		t_mv = t < t_mv ? t : t_mv;
	}

	/* 2. the same swap by migration: evict b's frame, fill, then back */
	for (size_t i = 0; i < n; i++)
		ops[i] = op_xchg(getpid(), a + i * PG, getpid(), b + i * PG,
				 CONTIG_OP_F_MIGRATE);
	t0 = now_ns();
	fxm = submit_retry(CONTIG_IOC_EXCHANGE, ops, n, 5);
	t_xm = now_ns() - t0;

	/*
	 * 4. the same, but into chosen frames: a -> a free frame, b -> a's old
	 * frame (each claimed with alloc_contig_range first)
	 */
	read_pfns(getpid(), a, n, pa);
	nfr = free_frames(zone_of(pa[0]), fr, n);
	for (size_t i = 0; i < nfr; i++) {
		ops[2 * i] = op_move(getpid(), a + i * PG, fr[i]);
		ops[2 * i + 1] = op_move(getpid(), b + i * PG, pa[i]);
	}
	t0 = now_ns();
	fmc = submit_retry(CONTIG_IOC_MOVE, ops, 2 * nfr, 5);
	t_mc = now_ns() - t0;

	/* 5. user space swaps the same pages in place: the memory-bandwidth ceiling */
	t0 = now_ns();
	for (size_t i = 0; i < n; i++)
		user_swap(a + i * PG, b + i * PG);
	t_user = now_ns() - t0;

	printf("CONTIG-JSON: {\"bench\":\"exchange\",\"kernel_series\":\"%s\",\"pairs\":%zu,"
	       "\"inplace\":%s,\"exchange_ns_per_pair\":%.0f,\"exchange_failed\":%zu,"
	       "\"migrate_ns_per_pair\":%.0f,\"migrate_failed\":%zu,"
	       "\"migrate_to_frame_ns_per_pair\":%.0f,\"migrate_to_frame_failed\":%zu,"
	       "\"migrate_swap_ns_per_pair\":%.0f,\"migrate_swap_failed\":%zu,"
	       "\"exchange_vs_migrate\":%.3f,\"exchange_pages_per_s\":%.0f,"
	       "\"userspace_swap_ns_per_pair\":%.0f,\"userspace_swap_pages_per_s\":%.0f}\n",
	       getenv("CONTIG_VM_SERIES") ? getenv("CONTIG_VM_SERIES") : "?", n,
	       info.caps & CONTIG_CAP_EXCHANGE_INPLACE ? "true" : "false",
	       t_x / (double)n, fx, t_mv / (double)n, fmv,
	       t_mc / (double)(nfr ? nfr : 1), fmc, t_xm / (double)n, fxm,
	       t_x / t_mv, 2.0 * (double)n / (t_x / 1e9), t_user / (double)n,
	       2.0 * (double)n / (t_user / 1e9));
	fflush(stdout);
	return fx || check(b, n, 61) ? 1 : 0;
}
