// SPDX-License-Identifier: GPL-2.0-only
/* Expected benefit, churn and the memo of chosen VMAs (rank.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "rank.h"

#define PAGES_2M 512u
#define NS_PER_S 1000000000ull

double rank_fragmentation(const struct contig_metrics *m)
{
	uint64_t placed = m->aligned_2m * PAGES_2M;

	if (!m->present)
		return 0;
	if (m->runs <= 1)
		return 0;
	if (m->largest_run > placed)
		placed = m->largest_run;
	if (placed >= m->present)
		return 0;
	return 1.0 - (double)placed / (double)m->present;
}

double rank_benefit(double rate, const struct contig_metrics *m)
{
	if (rate <= 0 || m->present < RANK_MIN_PRESENT)
		return 0;
	return rate * rank_fragmentation(m) * (double)m->present;
}

bool rank_fault_churn(double faults, uint64_t pages)
{
	return pages && faults >= 2.0 * (double)pages;
}

void rank_memo_init(struct rank_memo *m)
{
	memset(m, 0, sizeof(*m));
	pthread_mutex_init(&m->lock, NULL);
}

void rank_memo_free(struct rank_memo *m)
{
	free(m->c);
	pthread_mutex_destroy(&m->lock);
	memset(m, 0, sizeof(*m));
}

/* Under the lock: the entry of (pid, start), or NULL. */
static struct rank_choice *find(struct rank_memo *m, pid_t pid,
				uint64_t start)
{
	size_t i;

	for (i = 0; i < m->nr; i++)
		if (m->c[i].pid == pid && m->c[i].start == start)
			return &m->c[i];
	return NULL;
}

static void remove_at(struct rank_memo *m, size_t i)
{
	m->c[i] = m->c[--m->nr];
}

int rank_memo_note(struct rank_memo *m, const struct rank_choice *c)
{
	struct rank_choice *e, *grown;
	size_t i, oldest = 0;
	int err = 0;

	pthread_mutex_lock(&m->lock);
	e = find(m, c->pid, c->start);
	if (e) {
		uint64_t dropped = e->dropped_ns;

		*e = *c;
		e->dropped_ns = dropped > c->dropped_ns ? dropped :
							  c->dropped_ns;
		goto out;
	}
	if (m->nr >= RANK_MEMO_MAX) {
		for (i = 1; i < m->nr; i++)
			if (m->c[i].chosen_ns < m->c[oldest].chosen_ns)
				oldest = i;
		remove_at(m, oldest);
	}
	grown = array_reserve(m->c, &m->cap, m->nr + 1, sizeof(*m->c), 16);
	if (!grown) {
		err = -ENOMEM;
		goto out;
	}
	m->c = grown;
	m->c[m->nr++] = *c;
out:
	pthread_mutex_unlock(&m->lock);
	return err;
}

bool rank_memo_get(struct rank_memo *m, pid_t pid, uint64_t start,
		   struct rank_choice *out)
{
	struct rank_choice *e;

	pthread_mutex_lock(&m->lock);
	e = find(m, pid, start);
	if (e)
		*out = *e;
	pthread_mutex_unlock(&m->lock);
	return e != NULL;
}

void rank_memo_dropped(struct rank_memo *m, pid_t pid, uint64_t lo,
		       uint64_t hi, uint64_t now_ns)
{
	size_t i;

	pthread_mutex_lock(&m->lock);
	for (i = 0; i < m->nr; i++)
		if (m->c[i].pid == pid && m->c[i].start < hi &&
		    lo < m->c[i].end)
			m->c[i].dropped_ns = now_ns;
	pthread_mutex_unlock(&m->lock);
}

void rank_memo_drop_pid(struct rank_memo *m, pid_t pid)
{
	size_t i;

	pthread_mutex_lock(&m->lock);
	for (i = m->nr; i-- > 0;)
		if (m->c[i].pid == pid)
			remove_at(m, i);
	pthread_mutex_unlock(&m->lock);
}

size_t rank_memo_expire(struct rank_memo *m, uint64_t now_ns,
			uint64_t max_age_ns)
{
	size_t i, n = 0;

	pthread_mutex_lock(&m->lock);
	for (i = m->nr; i-- > 0;)
		if (now_ns - m->c[i].chosen_ns > max_age_ns) {
			remove_at(m, i);
			n++;
		}
	pthread_mutex_unlock(&m->lock);
	return n;
}

bool rank_memo_held_back(struct rank_memo *m, pid_t pid, uint64_t start,
			 bool fault_churn_now, uint64_t now_ns)
{
	struct rank_choice c;

	if (!rank_memo_get(m, pid, start, &c))
		return false;
	if (now_ns - c.chosen_ns >= RANK_CHURN_COOLDOWN_S * NS_PER_S)
		return false;
	return c.churn || fault_churn_now || c.dropped_ns > c.chosen_ns;
}

void rank_memo_why(struct rank_memo *m, pid_t pid, uint64_t start,
		   uint64_t end, char *buf, size_t size)
{
	struct rank_choice c;

	if (!rank_memo_get(m, pid, start, &c) || c.end != end) {
		snprintf(buf, size, "%s", "");
		return;
	}
	snprintf(buf, size, "heat %.1f/s (%s), fragmented %.0f %%%s", c.rate,
		 c.source, c.frag * 100.0, c.churn ? ", churning" : "");
}
