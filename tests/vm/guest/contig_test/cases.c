// SPDX-License-Identifier: GPL-2.0-only
/* contig_test: exchanges and moves within and across processes. */
#include "contig_test.h"

/* ---- exchange / move cases ------------------------------------------ */

/* Exchange page i with page i + n/2 of one region. */
static int exchange_within(size_t npages, uint32_t flags)
{
	bool migrate = flags & CONTIG_OP_F_MIGRATE;
	size_t half = npages / 2, bad, nf;
	uint64_t *before = calloc(npages, 8), *after = calloc(npages, 8);
	struct contig_op *ops = calloc(half, sizeof(*ops));
	char *m = map_anon(npages);
	int ret = FAIL;

	if (!before || !after || !ops || !m)
		goto out;
	fill(m, npages, 11);
	if (read_pfns(getpid(), m, npages, before))
		goto out;
	for (size_t i = 0; i < half; i++)
		ops[i] = op_xchg(getpid(), m + i * PG, getpid(),
				 m + (i + half) * PG, flags);
	/*
	 * In place, an exchange is all or nothing: retry transient failures.
	 * By migration it can stop half way (the first page moved) and a
	 * frame whose pageblock holds an unmovable page cannot be claimed at
	 * all: one round, a few failures allowed, only successes checked.
	 */
	nf = submit_retry(CONTIG_IOC_EXCHANGE, ops, half, migrate ? 1 : 5);
	if (nf > (migrate ? half / 20 : 0)) {
		diag("%zu of %zu exchanges failed", nf, half);
		print_failures(ops, half);
		goto out;
	}
	if (nf)
		diag("%zu of %zu exchanges failed (transient or unclaimable)",
		     nf, half);
	read_pfns(getpid(), m, npages, after);
	for (size_t i = 0; i < half; i++)
		if (ops[i].result == 0 && (after[i] != before[i + half] ||
					   after[i + half] != before[i])) {
			diag("pair %zu: pfns %#" PRIx64 ",%#" PRIx64
			     " -> %#" PRIx64 ",%#" PRIx64,
			     i, before[i], before[i + half], after[i],
			     after[i + half]);
			/* Success means both pages are where asked. */
			goto out;
		}
	bad = check(m, npages, 11);
	if (bad) {
		diag("%zu pages corrupted", bad);
		goto out;
	}
	ret = PASS;
out:
	if (m)
		munmap(m, npages * PG);
	free(before);
	free(after);
	free(ops);
	return ret;
}

int t_exchange_self(void)
{
	return exchange_within(4096, 0);
}

int t_exchange_self_migrate(void)
{
	return exchange_within(512, CONTIG_OP_F_MIGRATE);
}

/* Exchange with the frame of another page: EXCHANGE_PFN. */
int t_exchange_pfn_self(void)
{
	size_t npages = 2048, half = npages / 2, nf;
	uint64_t *before = calloc(npages, 8), *after = calloc(npages, 8);
	struct contig_op *ops = calloc(half, sizeof(*ops));
	char *m = map_anon(npages);
	int ret = FAIL;

	if (!before || !after || !ops || !m)
		goto out;
	fill(m, npages, 12);
	read_pfns(getpid(), m, npages, before);
	for (size_t i = 0; i < half; i++) {
		ops[i].kind = CONTIG_OP_EXCHANGE_PFN;
		ops[i].pid_a = getpid();
		ops[i].vaddr_a = (uintptr_t)(m + i * PG);
		ops[i].pfn = before[npages - 1 - i];
	}
	nf = submit_retry(CONTIG_IOC_EXCHANGE, ops, half, 5);
	if (nf) {
		diag("%zu of %zu failed", nf, half);
		print_failures(ops, half);
		goto out;
	}
	read_pfns(getpid(), m, npages, after);
	for (size_t i = 0; i < half; i++)
		if (after[i] != before[npages - 1 - i] ||
		    after[npages - 1 - i] != before[i]) {
			diag("pair %zu not exchanged", i);
			goto out;
		}
	if (check(m, npages, 12)) {
		diag("contents corrupted");
		goto out;
	}
	ret = PASS;
out:
	if (m)
		munmap(m, npages * PG);
	free(before);
	free(after);
	free(ops);
	return ret;
}

/* Move pages into free frames of their zone. */
static int move_pages_to_free(pid_t pid, char *m, size_t npages, int *okp)
{
	uint64_t *before = calloc(npages, 8), *after = calloc(npages, 8);
	uint64_t *tgt = calloc(npages, 8);
	struct contig_op *ops = calloc(npages, sizeof(*ops));
	size_t nt, ok = 0;
	int ret = FAIL;

	if (!before || !after || !tgt || !ops)
		goto out;
	read_pfns(pid, m, npages, before);
	nt = free_frames(zone_of(before[0]), tgt, npages);
	if (nt < npages) {
		diag("only %zu free frames found", nt);
		goto out;
	}
	for (size_t i = 0; i < npages; i++)
		ops[i] = op_move(pid, m + i * PG, tgt[i]);
	submit_retry(CONTIG_IOC_MOVE, ops, npages, 2);
	read_pfns(pid, m, npages, after);
	for (size_t i = 0; i < npages; i++) {
		if (ops[i].result == 0) {
			ok++;
			if (after[i] != tgt[i]) {
				diag("page %zu: moved but at %#" PRIx64
				     ", not %#" PRIx64,
				     i, after[i], tgt[i]);
				goto out;
			}
		} else if (ops[i].result != -EBUSY) {
			diag("page %zu -> %#" PRIx64 ": %s", i, tgt[i],
			     strerror(-ops[i].result));
			goto out;
		}
	}
	diag("%zu of %zu moved (the rest: target frame busy)", ok, npages);
	*okp = (int)ok;
	ret = ok >= npages / 2 ? PASS : FAIL;
out:
	free(before);
	free(after);
	free(tgt);
	free(ops);
	return ret;
}

/* MOVE to CONTIG_PFN_ANY: the page leaves its frame, contents intact. */
int t_move_any(void)
{
	size_t n = 1024, nf;
	uint64_t *before = calloc(n, 8), *after = calloc(n, 8);
	struct contig_op *ops = calloc(n, sizeof(*ops));
	char *m = map_anon(n);
	int ret = FAIL;

	if (!before || !after || !ops || !m)
		goto out;
	fill(m, n, 14);
	read_pfns(getpid(), m, n, before);
	for (size_t i = 0; i < n; i++)
		ops[i] = op_move(getpid(), m + i * PG, CONTIG_PFN_ANY);
	nf = submit_retry(CONTIG_IOC_MOVE, ops, n, 5);
	if (nf) {
		diag("%zu of %zu failed", nf, n);
		print_failures(ops, n);
		goto out;
	}
	read_pfns(getpid(), m, n, after);
	for (size_t i = 0; i < n; i++)
		if (!after[i] || after[i] == before[i]) {
			diag("page %zu still at %#" PRIx64, i, after[i]);
			goto out;
		}
	if (check(m, n, 14)) {
		diag("contents corrupted");
		goto out;
	}
	ret = PASS;
out:
	if (m)
		munmap(m, n * PG);
	free(before);
	free(after);
	free(ops);
	return ret;
}

int t_move_self(void)
{
	size_t npages = 2048;
	char *m = map_anon(npages);
	int ok = 0, ret;

	if (!m)
		return FAIL;
	fill(m, npages, 13);
	ret = move_pages_to_free(getpid(), m, npages, &ok);
	if (check(m, npages, 13)) {
		diag("contents corrupted");
		ret = FAIL;
	}
	munmap(m, npages * PG);
	return ret;
}

int t_exchange_cross(void)
{
	size_t n = 2048, nf;
	uint64_t *pa = calloc(n, 8), *pb = calloc(n, 8), *qa = calloc(n, 8),
		 *qb = calloc(n, 8);
	struct contig_op *ops = calloc(n, sizeof(*ops));
	char *m = map_anon(n);
	struct child c;
	int ret = FAIL, st;

	if (!pa || !pb || !qa || !qb || !ops || !m || child_start(&c, n, 21))
		goto out;
	fill(m, n, 22);
	read_pfns(getpid(), m, n, pa);
	read_pfns(c.pid, c.base, n, pb);
	for (size_t i = 0; i < n; i++)
		ops[i] = op_xchg(getpid(), m + i * PG, c.pid,
				 c.base + (n - 1 - i) * PG, 0);
	nf = submit_retry(CONTIG_IOC_EXCHANGE, ops, n, 5);
	read_pfns(getpid(), m, n, qa);
	read_pfns(c.pid, c.base, n, qb);
	st = child_finish(&c);
	if (nf) {
		diag("%zu of %zu failed", nf, n);
		print_failures(ops, n);
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		if (qa[i] != pb[n - 1 - i] || qb[n - 1 - i] != pa[i]) {
			diag("pair %zu not exchanged", i);
			goto out;
		}
	if (check(m, n, 22) || st) {
		diag("contents corrupted (here: %zu pages, child status %d)",
		     check(m, n, 22), st);
		goto out;
	}
	ret = PASS;
out:
	if (m)
		munmap(m, n * PG);
	free(pa);
	free(pb);
	free(qa);
	free(qb);
	free(ops);
	return ret;
}

int t_move_cross(void)
{
	struct child c;
	int ok = 0, ret, st;

	if (child_start(&c, 512, 23))
		return FAIL;
	ret = move_pages_to_free(c.pid, c.base, 512, &ok);
	st = child_finish(&c);
	if (st) {
		diag("child found its pages corrupted (status %d)", st);
		ret = FAIL;
	}
	return ret;
}
