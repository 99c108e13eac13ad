// SPDX-License-Identifier: GPL-2.0-only
/*
 * io_uring submission to /dev/contig (contig(4), CONTIG_CAP_URING).
 *
 * One apply() call is cut into batches: stretches of one kind, each cut
 * again so that there are about depth of them, at most max_batch ops.
 * Up to depth batches are in flight, each run by one of io_uring's async
 * workers in the kernel, so that the exchanges of a pass use as many CPUs
 * as the daemon's cpu_share allows (contigd.conf(5)).
 *
 * Order: the executor hands the ops of one apply() in plan order, and a
 * later op may depend on an earlier one (a frame an earlier op empties or
 * fills).  A batch goes in flight only when it shares neither a page nor a
 * frame (the ops' targets, and the frames their pages are in when the
 * batch is cut) with a batch still in flight; otherwise it waits for the
 * completions it depends on.  apply() returns once every batch has
 * completed, so what follows it (verification, retries) is unchanged.
 */
#include <errno.h>
#include <liburing.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>

#include "kmod_uring.h"
#include "vma_pages.h"

/* Fewer ops than this are not worth a batch of their own. */
#define KMOD_URING_MIN_OPS 16
/* Keys of the page itself (its virtual page number), apart from frames. */
#define KEY_PAGE (1ULL << 63)

struct kmod_uring {
	struct io_uring ring;
	int dev;
	_Atomic unsigned int depth;
	_Atomic uint64_t busy_ns;
	int broken; /* an SQE is stuck in the ring: no more use of it */
};

struct kbatch {
	uint32_t cmd_op; /* CONTIG_URING_* */
	struct contig_batch b;
	struct backend_op *ops;
	struct contig_op *k;
	size_t nr;
	uint64_t *keys; /* sorted */
	size_t nkeys;
	uint64_t t0; /* submitted at */
	int res;
	int state; /* 0 waiting, 1 in flight, 2 completed */
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void prep(struct io_uring_sqe *sqe, int dev, uint32_t cmd_op,
		 struct contig_batch *b, uint64_t user_data)
{
	struct contig_uring_cmd c = { .batch = (uint64_t)(uintptr_t)b };

	io_uring_prep_rw(IORING_OP_URING_CMD, sqe, dev, NULL, 0, 0);
	sqe->cmd_op = cmd_op;
	memcpy(sqe->cmd, &c, sizeof(c));
	io_uring_sqe_set_data64(sqe, user_data);
	/* A batch always blocks: straight to an async worker. */
	io_uring_sqe_set_flags(sqe, IOSQE_ASYNC);
}

void kmod_uring_set_depth(struct kmod_uring *u, unsigned int depth)
{
	unsigned int w[2];

	if (depth < 1)
		depth = 1;
	if (depth > KMOD_URING_MAX_DEPTH)
		depth = KMOD_URING_MAX_DEPTH;
	atomic_store(&u->depth, depth);
	/* Bounded workers: as many as batches in flight (0: unbounded kept). */
	w[0] = depth;
	w[1] = 0;
	(void)io_uring_register_iowq_max_workers(&u->ring, w);
}

unsigned int kmod_uring_depth(const struct kmod_uring *u)
{
	return atomic_load(&u->depth);
}

int kmod_uring_broken(const struct kmod_uring *u)
{
	return u->broken;
}

uint64_t kmod_uring_busy_ns(const struct kmod_uring *u)
{
	return atomic_load(&u->busy_ns);
}

/* Wait for one completion and record it in bs[]: 0 or -errno. */
static int reap(struct kmod_uring *u, struct kbatch *bs, size_t nb)
{
	struct io_uring_cqe *cqe;
	uint64_t i;
	int err;

	do
		err = io_uring_wait_cqe(&u->ring, &cqe);
	while (err == -EINTR);
	if (err)
		return err;
	i = io_uring_cqe_get_data64(cqe);
	if (i < nb && bs[i].state == 1) {
		bs[i].res = cqe->res;
		bs[i].state = 2;
		atomic_fetch_add(&u->busy_ns, mono_ns() - bs[i].t0);
	}
	io_uring_cqe_seen(&u->ring, cqe);
	return 0;
}

int kmod_uring_open(int dev, unsigned int depth, struct kmod_uring **out)
{
	struct kmod_uring *u = calloc(1, sizeof(*u));
	struct contig_batch empty = { 0 };
	struct kbatch probe = { .state = 1 };
	struct io_uring_sqe *sqe;
	int err;

	if (!u)
		return -ENOMEM;
	u->dev = dev;
	err = io_uring_queue_init(2 * KMOD_URING_MAX_DEPTH, &u->ring, 0);
	if (err) {
		free(u);
		return err;
	}
	kmod_uring_set_depth(u, depth);
	/*
	 * The probe: an empty batch, which the module completes with 0 and
	 * done = 0 written back (a file that takes any command and does
	 * nothing, as /dev/null does on newer kernels, writes nothing).
	 */
	empty.done = UINT32_MAX;
	sqe = io_uring_get_sqe(&u->ring);
	prep(sqe, dev, CONTIG_URING_MOVE, &empty, 0);
	err = io_uring_submit(&u->ring);
	if (err == 1)
		err = reap(u, &probe, 1);
	else if (err >= 0)
		err = -EIO;
	if (!err)
		err = probe.res;
	if (!err && empty.done)
		err = -EPROTO;
	if (err) {
		kmod_uring_close(u);
		return err;
	}
	atomic_store(&u->busy_ns, 0);
	*out = u;
	return 0;
}

void kmod_uring_close(struct kmod_uring *u)
{
	if (!u)
		return;
	io_uring_queue_exit(&u->ring);
	free(u);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Do two sorted key lists share a key? */
static int overlap(const struct kbatch *a, const struct kbatch *b)
{
	size_t i = 0, j = 0;

	while (i < a->nkeys && j < b->nkeys) {
		if (a->keys[i] == b->keys[j])
			return 1;
		if (a->keys[i] < b->keys[j])
			i++;
		else
			j++;
	}
	return 0;
}

/*
 * Every batch's keys: each op's page, its target frame and the frame its
 * page is in now (pagemap, one entry per op).
 */
static int make_keys(struct kbatch *bs, size_t nb, uint64_t *keys, pid_t pid,
		     kmod_pfn_reader rd, void *rd_arg)
{
	size_t i, j;

	for (i = 0; i < nb; i++) {
		struct kbatch *kb = &bs[i];
		uint64_t pfn;

		kb->keys = keys;
		for (j = 0; j < kb->nr; j++) {
			uint64_t vpn = kb->ops[j].vaddr >> CONTIG_PAGE_SHIFT;

			kb->keys[kb->nkeys++] = vpn | KEY_PAGE;
			if (kb->ops[j].pfn != CONTIG_PFN_ANY)
				kb->keys[kb->nkeys++] = kb->ops[j].pfn;
		}
		for (j = 0; j < kb->nr; j++) {
			uint64_t vpn = kb->ops[j].vaddr >> CONTIG_PAGE_SHIFT;
			int err = rd(rd_arg, pid, vpn, 1, &pfn);

			if (err == -ESRCH)
				return err;
			if (!err && pfn)
				kb->keys[kb->nkeys++] = pfn;
		}
		qsort(kb->keys, kb->nkeys, sizeof(*kb->keys), cmp_u64);
		keys += kb->nkeys;
	}
	return 0;
}

/* Cut ops into batches of one kind; -EOPNOTSUPP for other kinds. */
static size_t cut(const struct kmod_name *who, struct backend_op *ops,
		  size_t nr,
		  struct contig_op *k, unsigned int max_batch,
		  unsigned int depth, struct kbatch *bs)
{
	size_t i = 0, nb = 0, n, len, piece;

	while (i < nr) {
		if (ops[i].kind != BACKEND_OP_MOVE &&
		    ops[i].kind != BACKEND_OP_EXCHANGE) {
			ops[i++].result = -EOPNOTSUPP;
			continue;
		}
		for (len = 1; i + len < nr && ops[i + len].kind == ops[i].kind;
		     len++)
			;
		piece = (len + depth - 1) / depth;
		if (piece < KMOD_URING_MIN_OPS)
			piece = KMOD_URING_MIN_OPS;
		if (piece > max_batch)
			piece = max_batch;
		for (; len; len -= n, i += n) {
			struct kbatch *kb = &bs[nb++];

			n = len < piece ? len : piece;
			memset(kb, 0, sizeof(*kb));
			kb->cmd_op = ops[i].kind == BACKEND_OP_EXCHANGE ?
					     CONTIG_URING_EXCHANGE :
					     CONTIG_URING_MOVE;
			kb->ops = ops + i;
			kb->k = k + i;
			kb->nr = n;
			kmod_ops_fill(kb->k, who, kb->ops, n);
		}
	}
	return nb;
}

/* Has a batch other than i an SQE in flight? */
static int others_in_flight(const struct kbatch *bs, size_t nb, size_t i)
{
	for (size_t j = 0; j < nb; j++)
		if (j != i && bs[j].state == 1)
			return 1;
	return 0;
}

/*
 * Batch i in flight; by the ioctl when the ring has no free SQE.  Once an
 * SQE is in the ring it is never run another way: a full completion queue
 * (-EBUSY) or a short allocation (-EAGAIN) are waited out, anything else
 * breaks the ring for good (-errno, and the caller stops using it).
 */
static int submit(struct kmod_uring *u, struct kbatch *bs, size_t nb,
		  size_t i)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&u->ring);
	struct timespec ms = { 0, 1000000 };
	struct kbatch *kb = &bs[i];
	unsigned long cmd;
	int ret, tries = 0;

	kb->b.count = (__u32)kb->nr;
	kb->b.ops = (__u64)(uintptr_t)kb->k;
	if (!sqe) {
		cmd = kb->cmd_op == CONTIG_URING_EXCHANGE ?
			      CONTIG_IOC_EXCHANGE :
			      CONTIG_IOC_MOVE;
		kb->res = ioctl(u->dev, cmd, &kb->b) < 0 ? -errno : 0;
		kb->state = 2;
		return 0;
	}
	prep(sqe, u->dev, kb->cmd_op, &kb->b, i);
	kb->t0 = mono_ns();
	kb->state = 1;
	for (;;) {
		ret = io_uring_submit(&u->ring);
		if (ret > 0)
			return 0;
		if (ret == -EINTR)
			continue;
		if ((ret != -EAGAIN && ret != -EBUSY) || ++tries > 1000)
			break;
		if (others_in_flight(bs, nb, i)) {
			ret = reap(u, bs, nb);
			if (ret)
				break;
		} else {
			nanosleep(&ms, NULL);
		}
	}
	u->broken = 1;
	return ret ? ret : -EIO;
}

/* Must batch i wait for a batch in flight? */
static int blocked(const struct kbatch *bs, size_t i, size_t *in_flight)
{
	size_t j;

	*in_flight = 0;
	for (j = 0; j < i; j++) {
		if (bs[j].state != 1)
			continue;
		(*in_flight)++;
		if (overlap(&bs[j], &bs[i]))
			return 1;
	}
	return 0;
}

int kmod_uring_apply(struct kmod_uring *u, pid_t pid,
		     const struct kmod_name *who, struct backend_op *ops,
		     size_t nr, unsigned int max_batch, kmod_pfn_reader rd,
		     void *rd_arg)
{
	unsigned int depth = kmod_uring_depth(u);
	struct contig_op *k = calloc(nr ? nr : 1, sizeof(*k));
	uint64_t *keys = calloc(3 * nr + 1, sizeof(*keys));
	struct kbatch *bs = calloc(nr ? nr : 1, sizeof(*bs));
	size_t nb, i, in_flight;
	int err = -ENOMEM, ret;

	if (!k || !keys || !bs)
		goto out;
	nb = cut(who, ops, nr, k, max_batch ? max_batch : 1, depth, bs);
	err = make_keys(bs, nb, keys, pid, rd, rd_arg);
	for (i = 0; !err && i < nb; i++) {
		while (blocked(bs, i, &in_flight) || in_flight >= depth) {
			err = reap(u, bs, nb);
			if (err)
				break;
		}
		if (!err)
			err = submit(u, bs, nb, i);
	}
	/* Nothing is freed while the kernel may still write the ops. */
	for (i = 0; i < nb; i++) {
		while (bs[i].state == 1) {
			if (reap(u, bs, nb)) {
				/* The kernel may still write them: leak. */
				u->broken = 1;
				return -EIO;
			}
		}
	}
	for (i = 0; !err && i < nb; i++) {
		if (bs[i].state != 2)
			break;
		ret = kmod_ops_results(bs[i].ops, bs[i].k, bs[i].nr, &bs[i].b,
				       bs[i].res);
		if (ret)
			err = ret;
	}
out:
	free(bs);
	free(keys);
	free(k);
	return err;
}
