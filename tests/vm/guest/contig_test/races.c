// SPDX-License-Identifier: GPL-2.0-only
/* contig_test: races with the target: munmap, exit, fork, threads. */
#include "contig_test.h"

/* ---- races ---------------------------------------------------------- */

static volatile int stop_flag;

/* The target keeps unmapping and remapping its pages while we exchange. */
int t_race_munmap(void)
{
	size_t n = 256;
	int p[2], st = 0, ret = PASS, nres[4] = { 0 };
	char *m = map_anon(n);
	bool killed = false;
	char *base;
	pid_t pid;
	struct contig_op ops[256];
	struct timespec t0, t1;

	if (!m || pipe(p))
		return FAIL;
	pid = fork();
	if (pid == 0) {
		char *r = map_anon(n);

		fill(r, n, 42);
		if (write(p[1], &r, sizeof(r)) != sizeof(r))
			_exit(3);
		for (;;) {
			for (size_t i = 0; i < n; i += 7) {
				munmap(r + i * PG, PG);
				mmap(r + i * PG, PG, PROT_READ | PROT_WRITE,
				     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
				     -1, 0);
				r[i * PG] = 1;
			}
			mprotect(r, n * PG, PROT_READ);
			mprotect(r, n * PG, PROT_READ | PROT_WRITE);
		}
	}
	if (read(p[0], &base, sizeof(base)) != sizeof(base))
		return FAIL;
	/* Written after the fork: our pages are not shared with the child. */
	fill(m, n, 41);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int round = 0;; round++) {
		for (size_t i = 0; i < n; i++)
			ops[i] = op_xchg(
				getpid(), m + i * PG, pid,
				base + ((i * 5 + (size_t)round) % n) * PG, 0);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if (!killed && t1.tv_sec - t0.tv_sec >= 2) {
			kill(pid,
			     SIGKILL); /* exit in the middle of the next batches */
			killed = true;
		}
		if (submit(CONTIG_IOC_EXCHANGE, ops, n)) {
			ret = FAIL;
			break;
		}
		for (size_t i = 0; i < n; i++) {
			int e = -ops[i].result;

			nres[e == 0	 ? 0 :
			     e == EFAULT ? 1 :
			     e == ESRCH	 ? 2 :
					   3]++;
			if (e && e != EFAULT && e != EAGAIN && e != EBUSY &&
			    e != ESRCH) {
				diag("op %zu: unexpected %s", i, strerror(e));
				ret = FAIL;
			}
		}
		if (t1.tv_sec - t0.tv_sec >= 4)
			break;
	}
	diag("results: ok %d, EFAULT %d, ESRCH %d, other %d", nres[0], nres[1],
	     nres[2], nres[3]);
	waitpid(pid, &st, 0);
	close(p[0]);
	close(p[1]);
	/* Our side holds whatever the child's pages held: no check of m. */
	munmap(m, n * PG);
	return ret;
}

/* The target forks and its children exit while we exchange its pages. */
int t_race_fork_exit(void)
{
	size_t n = 256;
	int p[2], q[2], st = 0, ret = PASS, nres[3] = { 0 };
	char *m = map_anon(n), *base, c;
	pid_t pid;
	struct contig_op ops[256];

	if (!m || pipe(p) || pipe(q))
		return FAIL;
	pid = fork();
	if (pid == 0) {
		char *r = map_anon(n);

		fill(r, n, 52);
		if (write(p[1], &r, sizeof(r)) != sizeof(r))
			_exit(3);
		fcntl(q[0], F_SETFL, O_NONBLOCK);
		while (read(q[0], &c, 1) != 1) {
			pid_t k = fork();

			if (k == 0) {
				/* The child writes too: COW splits pages under us. */
				r[(size_t)(getpid() % (int)n) * PG] ^= 0;
				_exit(check(r, n, 52) ? 1 : 0);
			}
			if (k > 0) {
				int kst;

				waitpid(k, &kst, 0);
				if (!WIFEXITED(kst) || WEXITSTATUS(kst))
					_exit(4);
			}
		}
		_exit(check(r, n, 52) ? 1 : 0);
	}
	if (read(p[0], &base, sizeof(base)) != sizeof(base))
		return FAIL;
	fill(m, n, 51);
	for (int round = 0; round < 60; round++) {
		for (size_t i = 0; i < n; i++)
			ops[i] = op_xchg(getpid(), m + i * PG, pid,
					 base + i * PG, 0);
		if (submit(CONTIG_IOC_EXCHANGE, ops, n)) {
			ret = FAIL;
			break;
		}
		for (size_t i = 0; i < n; i++) {
			int e = -ops[i].result;

			nres[e == 0 ? 0 : e == EBUSY ? 1 : 2]++;
			if (e && e != EAGAIN && e != EBUSY) {
				diag("op %zu: unexpected %s", i, strerror(e));
				ret = FAIL;
			}
		}
	}
	diag("results: ok %d, EBUSY %d, other %d", nres[0], nres[1], nres[2]);
	if (write(q[1], "x", 1) != 1)
		kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	if (!WIFEXITED(st) || WEXITSTATUS(st)) {
		diag("target or its children saw corrupted pages (status %#x)",
		     st);
		ret = FAIL;
	}
	/* Exchanged pairs swapped contents with their mappings: ours intact. */
	if (check(m, n, 51)) {
		diag("our pages corrupted");
		ret = FAIL;
	}
	close(p[0]);
	close(p[1]);
	close(q[0]);
	close(q[1]);
	munmap(m, n * PG);
	return ret;
}

/* Threads of the caller's own process unmap pages during the batch. */
static char *thr_base;
static size_t thr_n = 512;

static void *thr_unmapper(void *arg)
{
	(void)arg;
	while (!stop_flag) {
		for (size_t i = 1; i < thr_n; i += 3) {
			munmap(thr_base + i * PG, PG);
			mmap(thr_base + i * PG, PG, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
			thr_base[i * PG] = 1;
		}
	}
	return NULL;
}

int t_race_threads(void)
{
	struct contig_op *ops = calloc(thr_n / 2, sizeof(*ops));
	pthread_t th;
	int ret = PASS;

	thr_base = map_anon(thr_n);
	if (!thr_base || !ops)
		return FAIL;
	memset(thr_base, 9, thr_n * PG);
	stop_flag = 0;
	pthread_create(&th, NULL, thr_unmapper, NULL);
	for (int round = 0; round < 40; round++) {
		for (size_t i = 0; i < thr_n / 2; i++)
			ops[i] = op_xchg(getpid(), thr_base + i * PG, getpid(),
					 thr_base + (thr_n - 1 - i) * PG,
					 round % 4 == 3 ? CONTIG_OP_F_MIGRATE :
							  0);
		if (submit(CONTIG_IOC_EXCHANGE, ops, thr_n / 2)) {
			ret = FAIL;
			break;
		}
		for (size_t i = 0; i < thr_n / 2; i++) {
			int e = -ops[i].result;

			if (e && e != EFAULT && e != EAGAIN && e != EBUSY) {
				diag("op %zu: unexpected %s", i, strerror(e));
				ret = FAIL;
			}
		}
	}
	stop_flag = 1;
	pthread_join(th, NULL);
	/* Pages never unmapped (index % 3 != 1) must all still hold 9s. */
	for (size_t i = 0; i < thr_n; i++) {
		if (i % 3 == 1)
			continue;
		for (size_t j = 0; j < PG; j++)
			if (thr_base[i * PG + j] != 9) {
				diag("page %zu corrupted", i);
				ret = FAIL;
				goto out;
			}
	}
out:
	munmap(thr_base, thr_n * PG);
	free(ops);
	return ret;
}
