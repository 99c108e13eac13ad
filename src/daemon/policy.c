// SPDX-License-Identifier: GPL-2.0-only
/*
 * The observer-driven policy (daemon.h): every tick the observer's
 * counters and events are collected; every scan_interval the watch list
 * is refreshed (processes whose name passes include/exclude and whose
 * resident memory reaches watch_min_rss) and the hottest eligible VMAs
 * are queued, like numad picks the processes worth placing.
 *
 * Heat is the observer's exponentially decayed count (half-life
 * half_life_s); a steady rate r gives heat r * half_life / ln 2, so the
 * rate shown and compared with min_heat is heat * ln 2 / half_life.
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
#include "proc_file.h"

/* New observer jobs per scan, so that hints are never starved. */
#define JOBS_PER_SCAN 8
/* Most processes watched at once. */
#define WATCH_MAX 4096
/* MADV_DONTNEED: the pages are gone; they refault elsewhere. */
#define ADVICE_DONTNEED 4

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

static void queue_vma(struct daemon *d, pid_t pid, const struct vma_info *v)
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
	if (!queue_push(&d->q, pid, v->start, v->end, JOB_PRIO_OBSERVER, &j,
			&joined))
		log_debug("pid %d: queued hot VMA 0x%" PRIx64 "-0x%" PRIx64,
			  (int)pid, v->start, v->end);
}

/* Queue the hottest VMAs above min_heat, JOBS_PER_SCAN at most. */
static void queue_hot(struct daemon *d)
{
	struct observer_vma_heat *hot = NULL;
	size_t nr = 0, i, k, queued = 0;

	if (observer_heat(d->obs, &hot, &nr))
		return;
	for (i = 0; i < nr && queued < JOBS_PER_SCAN; i++) {
		struct vma_list maps = { 0 };

		if (rate_of(d, hot[i].heat) < d->cfg.min_heat)
			break; /* hottest first: the rest are colder */
		if (maps_read(d->opts.proc_root, hot[i].pid, &maps))
			continue;
		for (k = 0; k < maps.nr; k++) {
			if (maps.v[k].start != hot[i].start)
				continue;
			if (worth_queueing(d, hot[i].pid, &maps.v[k])) {
				queue_vma(d, hot[i].pid, &maps.v[k]);
				queued++;
			}
			break;
		}
		vma_list_free(&maps);
	}
	free(hot);
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
		queue_hot(d);
}
