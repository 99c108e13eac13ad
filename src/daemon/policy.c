// SPDX-License-Identifier: GPL-2.0-only
/*
 * The observer-driven policy (daemon.h): every tick the observer's
 * counters and events are collected; every scan_interval the watch list
 * is refreshed (processes whose name passes include/exclude and whose
 * resident memory reaches watch_min_rss) and the hottest eligible VMAs
 * are queued, like numad picks the processes worth placing.
 *
 * Heat is the observer's exponentially decayed count of accesses (pages
 * found accessed, observer.h; faults without an access sampler), with
 * half-life half_life_s; a steady rate r gives heat r * half_life / ln 2,
 * so the rate shown and compared with min_heat is heat * ln 2 / half_life.
 *
 * Of the VMAs above min_heat, those with the largest expected benefit
 * (rank.h: rate x fragmentation x size) are queued, JOBS_PER_SCAN at
 * most; a VMA already contiguous scores nothing, and a churning one is
 * held back for RANK_CHURN_COOLDOWN_S after each choice.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "contig_proto.h"
#include "daemon.h"
#include "log.h"
#include "pagemap.h"
#include "proc_file.h"
#include "rank.h"

/* New observer jobs per scan, so that hints are never starved. */
#define JOBS_PER_SCAN 8
/* Most processes watched at once. */
#define WATCH_MAX 4096
#define PAGE_BYTES (UINT64_C(1) << CONTIG_PAGE_SHIFT)
/* Hot VMAs measured (their pagemap read) per scan at most. */
#define CANDIDATES_PER_SCAN 64
/* MADV_DONTNEED: the pages are gone; they refault elsewhere. */
#define ADVICE_DONTNEED 4

_Static_assert(OBSERVER_SRC_FAULT == CONTIG_HEAT_FAULT &&
		       OBSERVER_SRC_YOUNG == CONTIG_HEAT_YOUNG &&
		       OBSERVER_SRC_PROC == CONTIG_HEAT_PROC &&
		       OBSERVER_SRC_TLB == CONTIG_HEAT_TLB,
	       "observer sources are the protocol's");

static double rate_of(const struct daemon *d, double heat)
{
	return heat * M_LN2 / d->half_life_s;
}

uint64_t policy_heat(struct daemon *d, pid_t pid, uint64_t vma_start)
{
	if (!d->obs)
		return 0;
	return (uint64_t)llround(
		rate_of(d, observer_vma_heat(d->obs, pid, vma_start)) * 1000);
}

double policy_sample_s(const struct contigd_config *cfg)
{
	double s = (double)cfg->scan_interval_s / 4;

	return s > 1 ? s : 1;
}

uint32_t policy_heat_source(struct daemon *d)
{
	return d->obs ? (uint32_t)observer_source(d->obs) : 0;
}

void policy_watch_exit(struct daemon *d, pid_t pid)
{
	struct epoll_event ev = { .events = EPOLLIN,
				  .data.u64 = TAG(TAG_PIDFD, pid) };
	struct proc *p;
	int fd;

	procs_lock(&d->procs);
	p = procs_get(&d->procs, pid, false);
	if (p && p->pidfd < 0) {
		fd = (int)syscall(SYS_pidfd_open, pid, 0);
		if (fd >= 0 && epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ev)) {
			close(fd);
			fd = -1;
		}
		/* Without a pidfd the worker notices the exit itself. */
		p->pidfd = fd;
	}
	procs_unlock(&d->procs);
}

void policy_pid_exited(struct daemon *d, pid_t pid)
{
	size_t i;

	procs_lock(&d->procs);
	for (i = 0; i < d->procs.nr; i++) {
		struct proc *p = d->procs.p[i];

		if (p->pid != pid || p->pidfd < 0)
			continue;
		epoll_ctl(d->epfd, EPOLL_CTL_DEL, p->pidfd, NULL);
		close(p->pidfd);
		p->pidfd = -1;
		p->dead = true;
	}
	procs_unlock(&d->procs);
	rank_memo_drop_pid(&d->memo, pid);
	queue_kick(&d->q);
}

/* An event from the observer: maps changed, or contiguity decayed. */
static void on_event(struct daemon *d, const struct observer_event *ev)
{
	uint64_t end = ev->len ? ev->addr + ev->len : UINT64_MAX;
	size_t decays = 0, i;
	bool kick = false;
	struct proc *p;

	procs_lock(&d->procs);
	for (i = 0; i < d->procs.nr; i++) {
		p = d->procs.p[i];
		if (p->dead ||
		    (ev->type != OBSERVER_EV_LOST && p->pid != ev->pid))
			continue;
		switch (ev->type) {
		case OBSERVER_EV_MUNMAP:
		case OBSERVER_EV_MREMAP:
		case OBSERVER_EV_VMA_GONE:
		case OBSERVER_EV_LOST:
		case OBSERVER_EV_EXIT:
			p->maps_changed = true;
			kick = true;
			break;
		case OBSERVER_EV_MADVISE:
			if (ev->arg == ADVICE_DONTNEED)
				decays += procs_decay(p, ev->addr, end);
			break;
		case OBSERVER_EV_COLLAPSE:
			decays += procs_decay(p, 0, UINT64_MAX);
			break;
		case OBSERVER_EV_MIGRATE:
			decays += procs_decay(p, ev->addr, ev->addr + 1);
			break;
		}
	}
	procs_unlock(&d->procs);
	if (ev->type == OBSERVER_EV_MADVISE && ev->arg == ADVICE_DONTNEED)
		rank_memo_dropped(&d->memo, ev->pid, ev->addr, end,
				  daemon_now_ns());
	if (decays) {
		pthread_mutex_lock(&d->w.lock);
		d->st.decays += decays;
		pthread_mutex_unlock(&d->w.lock);
		log_debug("pid %d: contiguity of %zu range(s) decayed",
			  (int)ev->pid, decays);
	}
	if (kick)
		queue_kick(&d->q);
}

static void poll_observer(struct daemon *d)
{
	struct observer_event ev[64];
	size_t n, i;
	int err;

	err = observer_poll(d->obs);
	if (err)
		log_debug("observer poll: %s", strerror(-err));
	while ((n = observer_events(d->obs, ev, 64)) > 0)
		for (i = 0; i < n; i++)
			on_event(d, &ev[i]);
}

/* Name and resident bytes of pid; -errno for a vanished or odd one. */
static int proc_info(const char *proc_root, pid_t pid, char *comm, size_t size,
		     uint64_t *rss)
{
	char path[PATH_MAX], *buf, *end;
	uint64_t pages;
	size_t len;
	int err;

	err = probe_path(path, sizeof(path), proc_root, "/%d/comm", (int)pid);
	if (!err)
		err = probe_read_file(path, &buf, &len);
	if (err)
		return err;
	while (len && buf[len - 1] == '\n')
		buf[--len] = '\0';
	snprintf(comm, size, "%s", buf);
	free(buf);
	err = probe_path(path, sizeof(path), proc_root, "/%d/statm", (int)pid);
	if (!err)
		err = probe_read_file(path, &buf, NULL);
	if (err)
		return err;
	/* size resident shared ...: the second field */
	err = probe_parse_u64(buf, 10, &pages, &end);
	if (!err)
		err = probe_parse_u64(end + (*end == ' '), 10, &pages, &end);
	free(buf);
	if (!err)
		*rss = pages * (uint64_t)sysconf(_SC_PAGESIZE);
	return err;
}

static bool wanted(struct daemon *d, pid_t pid)
{
	char comm[64];
	uint64_t rss;

	if (pid == getpid())
		return false;
	if (proc_info(d->opts.proc_root, pid, comm, sizeof(comm), &rss))
		return false;
	return rss && rss >= d->cfg.watch_min_rss &&
	       config_wants_process(&d->cfg, comm);
}

static int cmp_pid(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;

	return (x > y) - (x < y);
}

/* Watch exactly the wanted processes; forget the rest. */
static void refresh_watch(struct daemon *d)
{
	const char *root = probe_proc_root(d->opts.proc_root);
	pid_t *next = calloc(WATCH_MAX, sizeof(*next));
	size_t n = 0, i;
	struct dirent *de;
	DIR *dir;

	if (!next)
		return;
	dir = opendir(root);
	while (dir && (de = readdir(dir)) && n < WATCH_MAX) {
		uint64_t v;

		if (probe_parse_u64(de->d_name, 10, &v, NULL) || !v ||
		    v > INT32_MAX)
			continue;
		if (wanted(d, (pid_t)v))
			next[n++] = (pid_t)v;
	}
	if (dir)
		closedir(dir);
	qsort(next, n, sizeof(*next), cmp_pid);
	for (i = 0; i < d->nr_watched; i++)
		if (!bsearch(&d->watched[i], next, n, sizeof(*next), cmp_pid))
			observer_unwatch(d->obs, d->watched[i]);
	for (i = 0; i < n; i++) {
		int err = observer_watch(d->obs, next[i]);

		if (err && err != -ESRCH)
			log_debug("observer: watching pid %d: %s", (int)next[i],
				  strerror(-err));
	}
	free(d->watched);
	d->watched = next;
	d->nr_watched = n;
	pthread_mutex_lock(&d->w.lock);
	d->st.watched = n;
	pthread_mutex_unlock(&d->w.lock);
}

/* May the observer's hot VMA v of pid be queued? */
static bool worth_queueing(struct daemon *d, pid_t pid,
			   const struct vma_info *v)
{
	const struct range_state *rs = NULL;
	struct proc *p;
	bool ok = true;
	size_t i;

	if (!worker_eligible(v) || v->end - v->start < d->cfg.min_vma_size)
		return false;
	procs_lock(&d->procs);
	p = procs_get(&d->procs, pid, false);
	if (p && procs_is_never(p, v->start, v->end))
		ok = false;
	for (i = 0; p && ok && i < p->nr; i++) {
		rs = &p->r[i];
		if (rs->start == v->start && rs->end == v->end &&
		    (rs->flags & CONTIG_VMA_DONE))
			ok = false;
	}
	procs_unlock(&d->procs);
	return ok && !queue_busy(&d->q, pid, v->start, v->end);
}

static void queue_vma(struct daemon *d, pid_t pid, const struct vma_info *v,
		      const struct rank_choice *why)
{
	struct job *j;
	bool joined;

	procs_lock(&d->procs);
	if (!procs_get(&d->procs, pid, true)) {
		procs_unlock(&d->procs);
		return;
	}
	procs_unlock(&d->procs);
	policy_watch_exit(d, pid);
	if (rank_memo_note(&d->memo, why))
		return;
	if (!queue_push(&d->q, pid, v->start, v->end, JOB_PRIO_OBSERVER, &j,
			&joined))
		log_debug("pid %d: queued hot VMA 0x%" PRIx64 "-0x%" PRIx64
			  ": heat %.1f/s (%s), fragmented %.0f %%, benefit %.3g",
			  (int)pid, v->start, v->end, why->rate, why->source,
			  why->frag * 100.0, why->benefit);
}

/* Contiguity of pid's VMA v now (pagemap). 0 or -errno. */
static int measure(struct daemon *d, pid_t pid, const struct vma_info *v,
		   struct contig_metrics *m)
{
	struct pagemap_vma pv;
	int fd, err;

	fd = pagemap_open(d->opts.proc_root, pid);
	if (fd < 0)
		return fd;
	err = pagemap_read_vma(fd, v->start >> CONTIG_PAGE_SHIFT,
			       (v->end - v->start) >> CONTIG_PAGE_SHIFT, &pv);
	close(fd);
	if (err)
		return err;
	err = contig_metrics_compute(pv.pages.pfn, pv.pages.start_vpn,
				     pv.pages.nr, m);
	m->pages = pv.real_nr;
	pagemap_vma_free(&pv);
	return err;
}

struct candidate {
	struct vma_info v;
	struct rank_choice c;
};

static int by_benefit(const void *a, const void *b)
{
	const struct candidate *x = a, *y = b;

	return (x->c.benefit < y->c.benefit) - (x->c.benefit > y->c.benefit);
}

/*
 * A hot VMA as a candidate: eligible, not held back as churn, and not
 * contiguous already. false when it is none.
 */
static bool consider(struct daemon *d, const struct observer_vma_heat *h,
		     const struct vma_info *v, uint64_t now,
		     struct candidate *out)
{
	uint64_t pages = (v->end - v->start) / PAGE_BYTES;
	double faults = observer_vma_faults(d->obs, h->pid, h->start);
	bool churn = rank_fault_churn(faults, pages);
	struct contig_metrics m;

	if (!worth_queueing(d, h->pid, v))
		return false;
	if (rank_memo_held_back(&d->memo, h->pid, v->start, churn, now)) {
		log_debug("pid %d: 0x%" PRIx64 "-0x%" PRIx64
			  " churns (%.1f faults/s): held back",
			  (int)h->pid, v->start, v->end, rate_of(d, faults));
		return false;
	}
	if (measure(d, h->pid, v, &m))
		return false;
	memset(out, 0, sizeof(*out));
	out->v = *v;
	out->v.path = NULL;
	out->c.pid = h->pid;
	out->c.start = v->start;
	out->c.end = v->end;
	out->c.rate = rate_of(d, h->heat);
	out->c.source = observer_source_name(observer_source(d->obs));
	out->c.frag = rank_fragmentation(&m);
	out->c.benefit = rank_benefit(out->c.rate, &m);
	out->c.chosen_ns = now;
	out->c.churn = churn;
	return out->c.benefit > 0;
}

/*
 * Of the VMAs above min_heat (hottest first, CANDIDATES_PER_SCAN at
 * most), queue the JOBS_PER_SCAN of the largest expected benefit.
 */
static void queue_hot(struct daemon *d, uint64_t now)
{
	struct observer_vma_heat *hot = NULL;
	struct candidate *cand;
	size_t nr = 0, i, k, n = 0;

	rank_memo_expire(&d->memo, now,
			 (uint64_t)RANK_CHURN_COOLDOWN_S * 1000000000u);
	if (observer_heat(d->obs, &hot, &nr))
		return;
	cand = calloc(CANDIDATES_PER_SCAN, sizeof(*cand));
	for (i = 0; cand && i < nr && n < CANDIDATES_PER_SCAN; i++) {
		struct vma_list maps = { 0 };

		if (rate_of(d, hot[i].heat) < d->cfg.min_heat)
			break; /* hottest first: the rest are colder */
		if (maps_read(d->opts.proc_root, hot[i].pid, &maps))
			continue;
		for (k = 0; k < maps.nr; k++) {
			if (maps.v[k].start != hot[i].start)
				continue;
			n += consider(d, &hot[i], &maps.v[k], now, &cand[n]);
			break;
		}
		vma_list_free(&maps);
	}
	free(hot);
	if (!cand)
		return;
	qsort(cand, n, sizeof(*cand), by_benefit);
	for (i = 0; i < n && i < JOBS_PER_SCAN; i++)
		queue_vma(d, cand[i].c.pid, &cand[i].v, &cand[i].c);
	free(cand);
}

void policy_why(void *arg, pid_t pid, uint64_t start, uint64_t end, char *buf,
		size_t size)
{
	struct daemon *d = arg;

	rank_memo_why(&d->memo, pid, start, end, buf, size);
}

void policy_tick(struct daemon *d, uint64_t now)
{
	if (!d->obs)
		return;
	poll_observer(d);
	if (now < d->next_scan_ns)
		return;
	d->next_scan_ns = now + d->cfg.scan_interval_s * 1000000000u;
	refresh_watch(d);
	if (!d->stopping)
		queue_hot(d, now);
}
