// SPDX-License-Identifier: MIT
/*
 * Contiguity metrics of one VMA and its compact run map.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "array.h"
#include "vma_pages.h"

/*
 * Run lengths below this are counted in a histogram; longer runs (there
 * are at most present / SHORT_RUN of them) are kept and sorted.
 */
#define SHORT_RUN 4096

static int cmp_u64_desc(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x < y) - (x > y);
}

/* Fewest runs, largest first, that cover at least 99 % of present pages. */
static uint64_t runs_needed(const uint64_t *hist, uint64_t *longs,
			    size_t nr_longs, uint64_t present)
{
	uint64_t need = (present * 99 + 99) / 100;
	uint64_t covered = 0, runs = 0;
	size_t i;
	uint64_t len;

	if (!present)
		return 0;
	if (nr_longs)
		qsort(longs, nr_longs, sizeof(*longs), cmp_u64_desc);
	for (i = 0; i < nr_longs; i++) {
		covered += longs[i];
		runs++;
		if (covered >= need)
			return runs;
	}
	for (len = SHORT_RUN - 1; len > 0; len--) {
		uint64_t take, want;

		if (!hist[len])
			continue;
		want = (need - covered + len - 1) / len;
		take = want < hist[len] ? want : hist[len];
		covered += take * len;
		runs += take;
		if (covered >= need)
			return runs;
	}
	return runs;
}

static uint64_t count_aligned_2m(const uint64_t *pfn, uint64_t start_vpn,
				 uint64_t nr)
{
	uint64_t first = (start_vpn + CONTIG_PAGES_2M - 1) &
			 ~(uint64_t)(CONTIG_PAGES_2M - 1);
	uint64_t blocks = 0, vpn;

	for (vpn = first; vpn + CONTIG_PAGES_2M <= start_vpn + nr;
	     vpn += CONTIG_PAGES_2M) {
		const uint64_t *p = pfn + (vpn - start_vpn);
		unsigned int k;

		if (p[0] == CONTIG_PFN_NONE || p[0] % CONTIG_PAGES_2M)
			continue;
		for (k = 1; k < CONTIG_PAGES_2M; k++)
			if (p[k] != p[0] + k)
				break;
		blocks += k == CONTIG_PAGES_2M;
	}
	return blocks;
}

int contig_metrics_compute(const uint64_t *pfn, uint64_t start_vpn, uint64_t nr,
			   struct contig_metrics *out)
{
	uint64_t *hist, *longs = NULL;
	size_t nr_longs = 0, cap_longs = 0;
	uint64_t run = 0, i;

	memset(out, 0, sizeof(*out));
	out->pages = nr;
	hist = calloc(SHORT_RUN, sizeof(*hist));
	if (!hist)
		return -ENOMEM;

	for (i = 0; i <= nr; i++) {
		int extends = i < nr && pfn[i] != CONTIG_PFN_NONE && run &&
			      pfn[i] == pfn[i - 1] + 1;

		if (run && !extends) {
			/* close the run that ended at i - 1 */
			out->runs++;
			if (run > out->largest_run)
				out->largest_run = run;
			if (run < SHORT_RUN) {
				hist[run]++;
			} else {
				uint64_t *n = array_reserve(longs, &cap_longs,
							    nr_longs + 1,
							    sizeof(*n), 64);

				if (!n) {
					free(longs);
					free(hist);
					return -ENOMEM;
				}
				longs = n;
				longs[nr_longs++] = run;
			}
			run = 0;
		}
		if (i == nr || pfn[i] == CONTIG_PFN_NONE)
			continue;
		out->present++;
		run++;
	}
	out->runs_99 = runs_needed(hist, longs, nr_longs, out->present);
	out->aligned_2m = count_aligned_2m(pfn, start_vpn, nr);
	free(longs);
	free(hist);
	return 0;
}

struct runmap_buf {
	char *buf;
	size_t size;
	size_t len; /* length the full string would have */
	unsigned int tokens;
	unsigned int max_tokens;
	uint64_t dropped;
};

static void runmap_emit(struct runmap_buf *b, char kind, uint64_t n)
{
	char tok[32];
	int w;

	if (!n)
		return;
	if (b->tokens >= b->max_tokens) {
		b->dropped++;
		return;
	}
	w = snprintf(tok, sizeof(tok), "%s%c%llu", b->tokens ? " " : "", kind,
		     (unsigned long long)n);
	if (b->len + w < b->size)
		memcpy(b->buf + b->len, tok, w + 1);
	else if (b->len < b->size)
		b->buf[b->len] = '\0';
	b->len += w;
	b->tokens++;
}

size_t contig_runmap_format(const uint64_t *pfn, uint64_t nr,
			    unsigned int max_tokens, char *buf, size_t size)
{
	struct runmap_buf b = { buf, size, 0, 0, max_tokens, 0 };
	uint64_t singles = 0, absent = 0, i = 0;

	if (size)
		buf[0] = '\0';
	while (i < nr) {
		uint64_t j = i + 1;

		if (pfn[i] == CONTIG_PFN_NONE) {
			runmap_emit(&b, '-', singles);
			singles = 0;
			absent++;
			i++;
			continue;
		}
		runmap_emit(&b, '_', absent);
		absent = 0;
		while (j < nr && pfn[j] != CONTIG_PFN_NONE &&
		       pfn[j] == pfn[j - 1] + 1)
			j++;
		if (j - i == 1) {
			singles++;
		} else {
			runmap_emit(&b, '-', singles);
			singles = 0;
			runmap_emit(&b, '+', j - i);
		}
		i = j;
	}
	runmap_emit(&b, '-', singles);
	runmap_emit(&b, '_', absent);
	if (b.dropped) {
		char tail[48];
		int w = snprintf(tail, sizeof(tail), " \u2026(+%llu)",
				 (unsigned long long)b.dropped);

		if (b.len + w < size)
			memcpy(buf + b.len, tail, w + 1);
		b.len += w;
	}
	return b.len;
}

void contig_metrics_add(struct contig_metrics *sum,
			const struct contig_metrics *m)
{
	sum->pages += m->pages;
	sum->present += m->present;
	sum->runs += m->runs;
	sum->runs_99 += m->runs_99;
	sum->aligned_2m += m->aligned_2m;
	if (m->largest_run > sum->largest_run)
		sum->largest_run = m->largest_run;
}
