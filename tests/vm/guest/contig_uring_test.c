// SPDX-License-Identifier: GPL-2.0-only
/*
 * contig_uring_test - /dev/contig through io_uring (IORING_OP_URING_CMD),
 * inside the test VM.
 *
 *   contig_uring_test [CASE...]   run the cases (all by default), TAP output
 *   contig_uring_test bench [N]   N pairs exchanged by ioctl, N others
 *                                 by io_uring one batch at a time, N
 *                                 others with batches in flight; one
 *                                 "CONTIG-JSON: {...}" line
 *
 * Frames are read from pagemap, contents from a per-page pattern; the
 * same batch through the ring and through the ioctl must give the same
 * result per op.
 */
#define _GNU_SOURCE
#include <liburing.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#include "guest_fidelity.h"

/* Pairs per batch and batches in flight in the parallel cases. */
#define BATCH 64
#define DEPTH 4

static struct io_uring ring;

static void sqe_cmd(struct io_uring_sqe *sqe, uint32_t cmd_op,
		    const struct contig_batch *b, uint64_t user_data)
{
	struct contig_uring_cmd c = { .batch = (uintptr_t)b };

	io_uring_prep_rw(IORING_OP_URING_CMD, sqe, dev, NULL, 0, 0);
	sqe->cmd_op = cmd_op;
	memcpy(sqe->cmd, &c, sizeof(c));
	sqe->user_data = user_data;
}

/* Wait for one completion: its res, *user_data if asked. */
static int reap(struct io_uring *r, uint64_t *user_data)
{
	struct io_uring_cqe *cqe;
	int ret = io_uring_wait_cqe(r, &cqe);

	if (ret)
		return ret;
	ret = cqe->res;
	if (user_data)
		*user_data = cqe->user_data;
	io_uring_cqe_seen(r, cqe);
	return ret;
}

/* One batch through the ring, waited for: the CQE's res. */
static int ring_batch(struct io_uring *r, uint32_t cmd_op,
		      struct contig_batch *b)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(r);

	if (!sqe)
		return -EBUSY;
	sqe_cmd(sqe, cmd_op, b, 1);
	if (io_uring_submit(r) != 1)
		return -EIO;
	return reap(r, NULL);
}

static int ioctl_batch(unsigned long cmd, struct contig_batch *b)
{
	return ioctl(dev, cmd, b) < 0 ? -errno : 0;
}

/* Exchange ops a[i] <-> b[i] of our own process. */
static void xchg_ops(struct contig_op *ops, char *a, char *b, size_t n)
{
	memset(ops, 0, n * sizeof(*ops));
	for (size_t i = 0; i < n; i++) {
		ops[i].kind = CONTIG_OP_EXCHANGE;
		ops[i].pid_a = ops[i].pid_b = getpid();
		ops[i].vaddr_a = (uintptr_t)(a + i * PG);
		ops[i].vaddr_b = (uintptr_t)(b + i * PG);
	}
}

static void frames(const char *p, size_t n, uint64_t *f)
{
	for (size_t i = 0; i < n; i++)
		f[i] = frame(p + i * PG);
}

static size_t wrong_pages(const char *p, size_t n, uint64_t seed)
{
	size_t bad = 0;

	for (size_t i = 0; i < n; i++)
		bad += wrong(p + i * PG, seed + i * PG) != 0;
	return bad;
}

static void paint_pages(char *p, size_t n, uint64_t seed)
{
	for (size_t i = 0; i < n; i++)
		paint(p + i * PG, seed + i * PG);
}

/* ---- cases ---------------------------------------------------------- */

static bool inplace(void)
{
	struct contig_info ci;

	return !ioctl(dev, CONTIG_IOC_INFO, &ci) &&
	       (ci.caps & CONTIG_CAP_EXCHANGE_INPLACE);
}

static int t_info(void)
{
	struct contig_info ci;

	if (ioctl(dev, CONTIG_IOC_INFO, &ci))
		return FAIL;
	note("caps 0x%llx", (unsigned long long)ci.caps);
	return want("CONTIG_CAP_URING", !!(ci.caps & CONTIG_CAP_URING), 1);
}

/* An empty batch: what contigd sends to probe. */
static int t_probe(void)
{
	struct contig_batch b = { 0 };

	return want("empty MOVE batch", ring_batch(&ring, CONTIG_URING_MOVE, &b), 0) |
	       want("empty EXCHANGE batch",
		    ring_batch(&ring, CONTIG_URING_EXCHANGE, &b), 0);
}

/*
 * n pairs of pages of our own, a[i] <-> b[i], patterned, their frames
 * read, and an exchange op for each (room for extra ops after them).
 */
struct pairs {
	size_t n;
	char *a, *b;
	uint64_t *fa, *fb, *f; /* frames before; scratch */
	struct contig_op *ops;
};

static void pairs_free(struct pairs *p)
{
	if (p->a)
		munmap(p->a, p->n * PG);
	if (p->b)
		munmap(p->b, p->n * PG);
	free(p->fa);
	free(p->fb);
	free(p->f);
	free(p->ops);
}

static int pairs_init(struct pairs *p, size_t n, size_t extra)
{
	memset(p, 0, sizeof(*p));
	p->n = n;
	p->a = pages(n, MAP_PRIVATE);
	p->b = pages(n, MAP_PRIVATE);
	p->fa = calloc(n, 8);
	p->fb = calloc(n, 8);
	p->f = calloc(n, 8);
	p->ops = calloc(n + extra, sizeof(*p->ops));
	if (!p->a || !p->b || !p->fa || !p->fb || !p->f || !p->ops) {
		pairs_free(p);
		return -ENOMEM;
	}
	paint_pages(p->a, n, 0xa0000);
	paint_pages(p->b, n, 0xb0000);
	frames(p->a, n, p->fa);
	frames(p->b, n, p->fb);
	xchg_ops(p->ops, p->a, p->b, n);
	return 0;
}

/*
 * Pages not where they should be: swapped (each in the other's old
 * frame; only the pairs whose op succeeded when done_only) or back home.
 */
static size_t pairs_misplaced(struct pairs *p, bool swapped, bool done_only)
{
	size_t bad = 0;

	frames(p->a, p->n, p->f);
	for (size_t i = 0; i < p->n; i++)
		bad += (!done_only || !p->ops[i].result) &&
		       p->f[i] != (swapped ? p->fb[i] : p->fa[i]);
	frames(p->b, p->n, p->f);
	for (size_t i = 0; i < p->n; i++)
		bad += (!done_only || !p->ops[i].result) &&
		       p->f[i] != (swapped ? p->fa[i] : p->fb[i]);
	return bad;
}

/* Pages whose contents are not their pattern. */
static size_t pairs_wrong(const struct pairs *p)
{
	return wrong_pages(p->a, p->n, 0xa0000) +
	       wrong_pages(p->b, p->n, 0xb0000);
}

/*
 * n exchanges followed by ops that fail: -EFAULT, -ESRCH, -EINVAL (a
 * field the kind does not use), -EINVAL (unknown kind).
 */
#define MIXED_BAD 4

static void mixed_ops(struct pairs *p, const char *hole)
{
	struct contig_op *ops = p->ops;
	size_t n = p->n;

	ops[n] = ops[0];
	ops[n].vaddr_b = (uintptr_t)hole;
	ops[n + 1] = ops[0];
	ops[n + 1].pid_b = 0x3fffffff;
	ops[n + 2] = ops[0];
	ops[n + 2].pfn = 1;
	ops[n + 3] = ops[0];
	ops[n + 3].kind = 99;
}

/*
 * The same batch (kinds, flags, error cases) on two sets of fresh pairs,
 * one through the ring, one through the ioctl: both swap every pair with
 * contents intact, and every op gets the same result and outcome.  (Not
 * the same pages twice: pages just exchanged sit in a CPU's LRU cache,
 * and a second exchange right away may see -EBUSY.)
 */
static int t_same_as_ioctl(void)
{
	size_t n = BATCH, m = n + MIXED_BAD, bad_res = 0, bad_out = 0;
	char *hole = pages(1, MAP_PRIVATE);
	struct contig_batch br = { .count = (uint32_t)m };
	struct contig_batch bi = { .count = (uint32_t)m };
	struct pairs p, q;
	int r = PASS;

	if (!hole || pairs_init(&p, n, MIXED_BAD))
		return FAIL;
	if (pairs_init(&q, n, MIXED_BAD)) {
		pairs_free(&p);
		return FAIL;
	}
	munmap(hole, PG);
	mixed_ops(&p, hole);
	mixed_ops(&q, hole);
	br.ops = (uintptr_t)p.ops;
	bi.ops = (uintptr_t)q.ops;
	r |= want("ring batch", ring_batch(&ring, CONTIG_URING_EXCHANGE, &br), 0);
	r |= want("ioctl batch", ioctl_batch(CONTIG_IOC_EXCHANGE, &bi), 0);
	r |= want("done (ring)", br.done, (long long)m);
	r |= want("failed (ring)", br.failed, MIXED_BAD);
	r |= want("done, failed (ring = ioctl)",
		  br.done == bi.done && br.failed == bi.failed, 1);
	for (size_t i = 0; i < m; i++) {
		if (p.ops[i].result != q.ops[i].result ||
		    p.ops[i].outcome != q.ops[i].outcome) {
			if (!bad_res && !bad_out)
				note("op %zu: ring %d/%u, ioctl %d/%u", i,
				     p.ops[i].result, p.ops[i].outcome,
				     q.ops[i].result, q.ops[i].outcome);
		}
		bad_res += p.ops[i].result != q.ops[i].result;
		bad_out += p.ops[i].outcome != q.ops[i].outcome;
	}
	r |= want("ops whose result differs", (long long)bad_res, 0);
	r |= want("ops whose outcome differs", (long long)bad_out, 0);
	r |= want("bad address", p.ops[n].result, -EFAULT);
	r |= want("no such pid", p.ops[n + 1].result, -ESRCH);
	r |= want("unused field", p.ops[n + 2].result, -EINVAL);
	r |= want("unknown kind", p.ops[n + 3].result, -EINVAL);
	r |= want("pages not in the other's frame (ring)",
		  (long long)pairs_misplaced(&p, true, false), 0);
	r |= want("pages not in the other's frame (ioctl)",
		  (long long)pairs_misplaced(&q, true, false), 0);
	r |= want("pages changed (ring)", (long long)pairs_wrong(&p), 0);
	r |= want("pages changed (ioctl)", (long long)pairs_wrong(&q), 0);
	pairs_free(&p);
	pairs_free(&q);
	return r;
}

/* MOVE into any free frame, through the ring (the a side of pairs). */
static int t_move(void)
{
	size_t n = BATCH, moved = 0;
	struct contig_batch bt = { .count = (uint32_t)n };
	struct pairs p;
	int r = PASS;

	if (pairs_init(&p, n, 0))
		return FAIL;
	for (size_t i = 0; i < n; i++) {
		p.ops[i].pid_b = 0;
		p.ops[i].vaddr_b = 0;
		p.ops[i].kind = CONTIG_OP_MOVE;
		p.ops[i].pfn = CONTIG_PFN_ANY;
	}
	bt.ops = (uintptr_t)p.ops;
	r |= want("ring batch", ring_batch(&ring, CONTIG_URING_MOVE, &bt), 0);
	frames(p.a, n, p.f);
	for (size_t i = 0; i < n; i++)
		moved += !p.ops[i].result && p.f[i] && p.f[i] != p.fa[i] &&
			 (p.ops[i].outcome & CONTIG_OUT_A_MOVED);
	note("%zu of %zu moved (failed %u)", moved, n, bt.failed);
	r |= want("moved = ops without error", (long long)moved,
		  (long long)(n - bt.failed));
	r |= want("most moved", moved >= n / 2, 1);
	r |= want("pages changed", (long long)pairs_wrong(&p), 0);
	pairs_free(&p);
	return r;
}

/*
 * DEPTH batches of disjoint pairs in flight at once, on at most two
 * workers, half of them IOSQE_ASYNC: every pair swapped, every page
 * intact.
 */
static int t_in_flight(void)
{
	size_t n = (size_t)BATCH * DEPTH, bad = 0;
	struct contig_batch bt[DEPTH];
	unsigned int workers[2] = { 2, 0 };
	struct pairs p;
	int r = PASS;

	if (pairs_init(&p, n, 0))
		return FAIL;
	r |= want("iowq max workers", io_uring_register_iowq_max_workers(&ring, workers), 0);
	for (int k = 0; k < DEPTH; k++) {
		bt[k] = (struct contig_batch){ .count = BATCH,
					       .ops = (uintptr_t)(p.ops + k * BATCH) };
		struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);

		sqe_cmd(sqe, CONTIG_URING_EXCHANGE, &bt[k], (uint64_t)k);
		/* Half straight to a worker, as contigd sends them. */
		if (k % 2)
			io_uring_sqe_set_flags(sqe, IOSQE_ASYNC);
	}
	r |= want("submitted", io_uring_submit(&ring), DEPTH);
	for (int k = 0; k < DEPTH; k++) {
		uint64_t ud = 0;

		r |= want("completion", reap(&ring, &ud), 0);
		r |= want("its batch done", bt[ud % DEPTH].done, BATCH);
	}
	for (size_t i = 0; i < n; i++) {
		int res = p.ops[i].result;

		if (res && res != -EAGAIN && res != -EBUSY && !bad++)
			note("op %zu: %s", i, strerror(-res));
	}
	/*
	 * Exchanges by migration claim frames, and may evict a page to
	 * another zone (-EXDEV, contig(4)): only the in-place exchange must
	 * not fail for good.
	 */
	if (inplace())
		r |= want("hard failures", (long long)bad, 0);
	r |= want("done pairs not swapped",
		  (long long)pairs_misplaced(&p, true, true), 0);
	r |= want("pages changed", (long long)pairs_wrong(&p), 0);
	pairs_free(&p);
	return r;
}

/* Malformed SQEs and batches get a clean error and change nothing. */
static int t_bad_sqes(void)
{
	char *a = pages(2, MAP_PRIVATE);
	struct contig_op op = { 0 };
	struct contig_batch bt = { .count = 1, .ops = (uintptr_t)&op };
	struct io_uring_params p = { .flags = IORING_SETUP_SQE128 };
	struct io_uring big;
	struct io_uring_sqe *sqe;
	uint64_t f0, f1;
	int r = PASS;

	if (!a)
		return FAIL;
	paint_pages(a, 2, 0xf000);
	f0 = frame(a);
	f1 = frame(a + PG);
	xchg_ops(&op, a, a + PG, 1);

	sqe = io_uring_get_sqe(&ring);
	sqe_cmd(sqe, 0x1234, &bt, 1);
	io_uring_submit(&ring);
	r |= want("unknown cmd_op", reap(&ring, NULL), -ENOTTY);
	sqe = io_uring_get_sqe(&ring);
	sqe_cmd(sqe, CONTIG_IOC_EXCHANGE, &bt, 1);
	io_uring_submit(&ring);
	r |= want("an ioctl number as cmd_op", reap(&ring, NULL), -ENOTTY);
	sqe = io_uring_get_sqe(&ring);
	sqe_cmd(sqe, CONTIG_URING_EXCHANGE, &bt, 1);
	((struct contig_uring_cmd *)sqe->cmd)->flags = 1;
	io_uring_submit(&ring);
	r |= want("flags", reap(&ring, NULL), -EINVAL);
	sqe = io_uring_get_sqe(&ring);
	sqe_cmd(sqe, CONTIG_URING_EXCHANGE, &bt, 1);
	((struct contig_uring_cmd *)sqe->cmd)->reserved = 1;
	io_uring_submit(&ring);
	r |= want("reserved", reap(&ring, NULL), -EINVAL);
	sqe = io_uring_get_sqe(&ring);
	sqe_cmd(sqe, CONTIG_URING_EXCHANGE, (void *)16, 1);
	io_uring_submit(&ring);
	r |= want("batch pointer", reap(&ring, NULL), -EFAULT);
	sqe = io_uring_get_sqe(&ring);
	sqe_cmd(sqe, CONTIG_URING_EXCHANGE, (void *)0xffff800000000000ULL, 1);
	io_uring_submit(&ring);
	r |= want("kernel batch pointer", reap(&ring, NULL), -EFAULT);
	bt.ops = 16;
	r |= want("ops pointer", ring_batch(&ring, CONTIG_URING_EXCHANGE, &bt), -EFAULT);
	bt.ops = (uintptr_t)&op;
	bt.count = CONTIG_MAX_BATCH + 1;
	r |= want("count", ring_batch(&ring, CONTIG_URING_EXCHANGE, &bt), -E2BIG);
	bt.count = 1;
	bt.flags = 1;
	r |= want("batch flags", ring_batch(&ring, CONTIG_URING_EXCHANGE, &bt), -EINVAL);
	bt.flags = 0;
	r |= want("a MOVE batch of an EXCHANGE", ring_batch(&ring, CONTIG_URING_MOVE, &bt), 0);
	r |= want("its op", op.result, -EINVAL);

	/* 128-byte SQEs: the payload's 64 bytes past ours must be zero. */
	if (io_uring_queue_init_params(4, &big, &p)) {
		r |= want("SQE128 ring", 1, 0);
	} else {
		sqe = io_uring_get_sqe(&big);
		sqe_cmd(sqe, CONTIG_URING_EXCHANGE, &bt, 1);
		memset(sqe->cmd + sizeof(struct contig_uring_cmd), 0,
		       80 - sizeof(struct contig_uring_cmd));
		sqe->cmd[79] = 1;
		io_uring_submit(&big);
		r |= want("SQE128 tail", reap(&big, NULL), -EINVAL);
		r |= want("SQE128 empty batch", (bt.count = 0,
			  ring_batch(&big, CONTIG_URING_MOVE, &bt)), 0);
		io_uring_queue_exit(&big);
	}
	r |= want("page a kept its frame", frame(a) == f0, 1);
	r |= want("page b kept its frame", frame(a + PG) == f1, 1);
	r |= want("pages changed", (long long)wrong_pages(a, 2, 0xf000), 0);
	munmap(a, 2 * PG);
	return r;
}

static int drop_caps(uint64_t drop)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d))
		return -1;
	for (int i = 0; i < 2; i++) {
		d[i].effective &= ~(uint32_t)(drop >> (32 * i));
		d[i].permitted &= ~(uint32_t)(drop >> (32 * i));
	}
	return (int)syscall(SYS_capset, &h, d);
}

/* One exchange by the ring and by the ioctl: both results, or -errno. */
static int both(struct contig_op op, int *by_ring, int *by_ioctl)
{
	struct contig_batch bt = { .count = 1, .ops = (uintptr_t)&op };
	struct io_uring r;
	int ret;

	if (io_uring_queue_init(4, &r, 0))
		return -EIO;
	ret = ring_batch(&r, CONTIG_URING_EXCHANGE, &bt);
	*by_ring = ret ? ret : op.result;
	io_uring_queue_exit(&r);
	op.result = 0;
	bt.done = 0;
	ret = ioctl_batch(CONTIG_IOC_EXCHANGE, &bt);
	*by_ioctl = ret ? ret : op.result;
	return 0;
}

/*
 * The same rights as the ioctl: without CAP_SYS_ADMIN the batch is
 * refused; without ptrace access another user's process is refused.
 */
static int t_eperm(void)
{
	int p[2], st = 0, ret;
	pid_t target, pid;
	char *base;

	if (pipe(p))
		return FAIL;
	target = fork();
	if (target == 0) {
		char *m = pages(1, MAP_PRIVATE);

		paint(m, 7);
		if (setresgid(1000, 1000, 1000) || setresuid(1000, 1000, 1000))
			_exit(3);
		if (write(p[1], &m, sizeof(m)) != sizeof(m))
			_exit(3);
		for (;;)
			pause();
	}
	if (read(p[0], &base, sizeof(base)) != sizeof(base))
		return FAIL;
	pid = fork();
	if (pid == 0) {
		char *m = pages(2, MAP_PRIVATE);
		struct contig_op op = { 0 };
		int by_ring = 0, by_ioctl = 0, r = 0;

		memset(m, 1, 2 * PG);
		xchg_ops(&op, m, m + PG, 1);
		op.pid_b = target;
		op.vaddr_b = (uintptr_t)base;
		if (drop_caps(1ULL << CAP_SYS_PTRACE))
			_exit(2);
		r |= both(op, &by_ring, &by_ioctl);
		r |= want("other uid (ring)", by_ring, -EPERM);
		r |= want("other uid (ioctl)", by_ioctl, -EPERM);
		xchg_ops(&op, m, m + PG, 1);
		r |= both(op, &by_ring, &by_ioctl);
		r |= want("own process (ring)", by_ring, 0);
		r |= want("own process (ioctl)", by_ioctl, 0);
		if (drop_caps(1ULL << CAP_SYS_ADMIN))
			_exit(2);
		r |= both(op, &by_ring, &by_ioctl);
		r |= want("no CAP_SYS_ADMIN (ring)", by_ring, -EPERM);
		r |= want("no CAP_SYS_ADMIN (ioctl)", by_ioctl, -EPERM);
		_exit(r);
	}
	waitpid(pid, &st, 0);
	ret = WIFEXITED(st) && WEXITSTATUS(st) == 0 ? PASS : FAIL;
	kill(target, SIGKILL);
	waitpid(target, NULL, 0);
	close(p[0]);
	close(p[1]);
	return ret;
}

/* ---- bench ---------------------------------------------------------- */

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/*
 * n pairs, BATCH per batch: one ioctl after another, then through the ring
 * with DEPTH batches in flight on at most two workers.
 */
/* The pairs of p in batches of BATCH, up to depth in flight. */
static double ring_pass(struct pairs *p, struct contig_batch *bt, size_t nb,
			size_t depth)
{
	size_t next = 0, done = 0;
	double t0 = now_s();

	while (done < nb) {
		while (next < nb && next - done < depth) {
			bt[next] = (struct contig_batch){
				.count = BATCH,
				.ops = (uintptr_t)(p->ops + next * BATCH) };
			sqe_cmd(io_uring_get_sqe(&ring), CONTIG_URING_EXCHANGE,
				&bt[next], next);
			next++;
		}
		io_uring_submit(&ring);
		if (reap(&ring, NULL))
			return -1;
		done++;
	}
	return now_s() - t0;
}

/* Ops of batches bt[0..nb) that failed. */
static size_t failed_ops(const struct contig_batch *bt, size_t nb)
{
	size_t failed = 0;

	for (size_t k = 0; k < nb; k++)
		failed += bt[k].failed;
	return failed;
}

static int bench(size_t n)
{
	size_t nb = n / BATCH, f_ioctl, f_ring1, f_ring;
	struct contig_batch *bt = calloc(nb ? nb : 1, sizeof(*bt));
	unsigned int workers[2] = { 2, 0 };
	double t0, t_ioctl, t_ring1, t_ring;
	struct pairs p, q, o;

	/* Three sets of fresh pairs: one per way of submitting. */
	if (!bt || !nb || pairs_init(&p, nb * BATCH, 0) ||
	    pairs_init(&q, nb * BATCH, 0) || pairs_init(&o, nb * BATCH, 0))
		return 1;
	t0 = now_s();
	for (size_t k = 0; k < nb; k++) {
		bt[k] = (struct contig_batch){ .count = BATCH,
					       .ops = (uintptr_t)(p.ops + k * BATCH) };
		if (ioctl_batch(CONTIG_IOC_EXCHANGE, &bt[k]))
			return 1;
	}
	t_ioctl = now_s() - t0;
	f_ioctl = failed_ops(bt, nb);
	t_ring1 = ring_pass(&o, bt, nb, 1);
	f_ring1 = failed_ops(bt, nb);
	if (io_uring_register_iowq_max_workers(&ring, workers))
		return 1;
	t_ring = ring_pass(&q, bt, nb, DEPTH);
	f_ring = failed_ops(bt, nb);
	if (t_ring1 <= 0 || t_ring <= 0)
		return 1;
	printf("CONTIG-JSON: {\"pairs\":%zu,\"batch\":%d,\"depth\":%d,"
	       "\"workers\":2,\"ioctl_s\":%.3f,\"uring_depth1_s\":%.3f,"
	       "\"uring_s\":%.3f,\"ioctl_over_uring\":%.2f,"
	       "\"failed\":[%zu,%zu,%zu],\"misplaced\":%zu,"
	       "\"wrong_pages\":%zu}\n",
	       p.n, BATCH, DEPTH, t_ioctl, t_ring1, t_ring, t_ioctl / t_ring,
	       f_ioctl, f_ring1, f_ring,
	       pairs_misplaced(&p, true, true) + pairs_misplaced(&o, true, true) +
		       pairs_misplaced(&q, true, true),
	       pairs_wrong(&p) + pairs_wrong(&o) + pairs_wrong(&q));
	pairs_free(&p);
	pairs_free(&o);
	pairs_free(&q);
	free(bt);
	return 0;
}

/* ---- main ----------------------------------------------------------- */

static const struct {
	const char *name;
	int (*fn)(void);
} cases[] = {
	{ "info_cap_uring", t_info },
	{ "probe_empty_batch", t_probe },
	{ "exchange_same_results_as_ioctl", t_same_as_ioctl },
	{ "move_to_any_frame", t_move },
	{ "batches_in_flight", t_in_flight },
	{ "bad_sqes", t_bad_sqes },
	{ "eperm_like_ioctl", t_eperm },
};

#define NCASES (sizeof(cases) / sizeof(cases[0]))

static bool wanted(int argc, char **argv, const char *name)
{
	if (argc < 2)
		return true;
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], name))
			return true;
	return false;
}

int main(int argc, char **argv)
{
	int failed = 0, n = 0, ret;

	setvbuf(stdout, NULL, _IOLBF, 0);
	dev = open(CONTIG_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	if (dev < 0) {
		perror(CONTIG_DEVICE_PATH);
		return 1;
	}
	ret = io_uring_queue_init(16, &ring, 0);
	if (ret) {
		fprintf(stderr, "io_uring_queue_init: %s\n", strerror(-ret));
		return 1;
	}
	if (argc >= 2 && !strcmp(argv[1], "bench"))
		return bench(argc > 2 ? strtoul(argv[2], NULL, 10) : 4096);
	for (size_t i = 0; i < NCASES; i++)
		n += wanted(argc, argv, cases[i].name);
	printf("1..%d\n", n);
	n = 0;
	for (size_t i = 0; i < NCASES; i++) {
		if (!wanted(argc, argv, cases[i].name))
			continue;
		why[0] = 0;
		ret = cases[i].fn();
		n++;
		if (ret == SKIP) {
			printf("ok %d - %s # SKIP %s\n", n, cases[i].name, why);
		} else {
			printf("%sok %d - %s\n", ret ? "not " : "", n,
			       cases[i].name);
			failed += ret != PASS;
		}
	}
	io_uring_queue_exit(&ring);
	return failed ? 1 : 0;
}
