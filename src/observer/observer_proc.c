// SPDX-License-Identifier: GPL-2.0-only
/*
 * Proc mode: heat from the referenced bits. Each poll reads
 * /proc/PID/smaps ("Referenced:" per VMA: pages accessed since the last
 * clear) and writes "1" to /proc/PID/clear_refs to start the next
 * interval. Side effect, as with any working-set estimator built on
 * clear_refs: reclaim sees the pages as not recently referenced.
 *
 * The same reader serves as the access sampler of bpf mode when no
 * better one is available (obs_proc_open_sampler): there it only feeds
 * heat, at the sampling period, and leaves events to the bpf programs.
 *
 * clear_refs clears every accessed bit of the process, and the process
 * pays for setting each of them again: a process whose heat is steady
 * is cleared less often. Every round (tick) of the sampler, a process
 * sampled every N ticks (N = 1, 2 or 4):
 *   N = 1        read (measure), clear;
 *   N > 1        tick 0 of N: clear; tick 1: read (measure: pages
 *                referenced in exactly one tick); the others: nothing.
 * A tick without a measure adds each VMA's last measured pages to its
 * heat, so heat keeps its unit (pages accessed per tick) and rate.
 * After PROC_STEADY measures in a row agree with the previous ones
 * (every VMA within a quarter, or PROC_SLACK pages) N doubles, up to
 * PROC_MAX_EVERY; a measure that disagrees brings N back to 1 at once.
 * In proc mode (no bpf) every tick reads smaps all the same, for the
 * events; beside bpf a tick without a measure costs no syscall.
 */
#include "array.h"
#include "observer_int.h"
#include "proc_file.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PROC_STEADY 2 /* steady measures in a row before N doubles */
#define PROC_MAX_EVERY 4 /* ticks between clears of a steady process */
#define PROC_SLACK 16 /* pages of difference that are still steady */

struct proc_vma {
	uint64_t start, end;
	uint64_t pages; /* referenced in the last measured tick */
};

struct proc_pid {
	pid_t pid;
	struct proc_vma *v; /* VMAs at the last poll, in address order */
	size_t nr, cap;
	unsigned int every; /* N: ticks per clear */
	unsigned int phase; /* this tick's place in the N */
	unsigned int steady; /* steady measures in a row */
};

struct obs_proc {
	struct proc_pid *p;
	size_t nr, cap;
	uint64_t page_kb;
	bool sampler; /* beside the bpf backend: heat only, no events */
};

static int is_hex(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/* "Key:   123 kB": the number, or -EINVAL. */
static int field_kb(const char *line, size_t keylen, uint64_t *kb)
{
	char *e = (char *)line + keylen;

	while (*e == ' ')
		e++;
	return probe_parse_u64(e, 10, kb, &e) ? -EINVAL : 0;
}

int obs_smaps_parse(const char *buf,
		    int (*fn)(void *ctx, const struct obs_smaps_vma *v),
		    void *ctx)
{
	struct obs_smaps_vma v = { 0 };
	bool in_vma = false, have_ref = false;
	const char *line = buf;
	char head[256], *e;
	size_t len;
	int err;

	for (;;) {
		const char *nl = strchr(line, '\n');
		bool header = is_hex((unsigned char)line[0]);

		if ((header || !*line) && in_vma && have_ref) {
			err = fn(ctx, &v);
			if (err)
				return err;
		}
		if (!*line)
			break;
		if (header) {
			/* "start-end perms offset dev inode [path]" */
			memset(&v, 0, sizeof(v));
			if (probe_parse_u64(line, 16, &v.start, &e) ||
			    *e != '-')
				return -EINVAL;
			if (probe_parse_u64(e + 1, 16, &v.end, &e) || *e != ' ')
				return -EINVAL;
			/* perms, offset, dev: skip three fields (this line only) */
			len = nl ? (size_t)(nl - e) : strlen(e);
			if (len >= sizeof(head))
				len = sizeof(head) - 1;
			memcpy(head, e, len);
			head[len] = '\0';
			if (sscanf(head, " %*s %*s %*s %" SCNu64, &v.inode) !=
			    1)
				return -EINVAL;
			in_vma = true;
			have_ref = false;
		} else if (!strncmp(line, "Referenced:", 11)) {
			if (!in_vma || field_kb(line, 11, &v.referenced_kb))
				return -EINVAL;
			have_ref = true;
		} else if (!strncmp(line, "Anonymous:", 10)) {
			if (!in_vma || field_kb(line, 10, &v.anonymous_kb))
				return -EINVAL;
		}
		if (!nl)
			line += strlen(line);
		else
			line = nl + 1;
	}
	return 0;
}

static struct proc_pid *find_pid(struct obs_proc *s, pid_t pid)
{
	size_t i;

	for (i = 0; i < s->nr; i++)
		if (s->p[i].pid == pid)
			return &s->p[i];
	return NULL;
}

static int clear_refs(const struct observer *o, pid_t pid)
{
	char path[256];
	int fd, err;

	err = probe_path(path, sizeof(path), o->opts.proc_root,
			 "/%d/clear_refs", (int)pid);
	if (err)
		return err;
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -probe_task_errno(errno);
	err = write(fd, "1", 1) == 1 ? 0 : -probe_task_errno(errno);
	close(fd);
	return err;
}

struct scan {
	struct observer *o;
	struct proc_pid *pp;
	struct proc_vma *v;
	size_t nr, cap;
	size_t old; /* cursor in pp->v */
	uint64_t now_ns;
	bool baseline; /* first read: remember VMAs, add no heat */
	bool measure; /* the bits were cleared one tick ago: heat */
	bool unsteady; /* a VMA's pages differ from the last measure */
};

static bool differ(uint64_t a, uint64_t b)
{
	uint64_t d = a > b ? a - b : b - a;

	return d > (a > b ? a : b) / 4 + PROC_SLACK;
}

/* The same VMA at the previous read, or NULL. */
static const struct proc_vma *old_vma(struct scan *sc, uint64_t start,
				      uint64_t end)
{
	const struct proc_pid *pp = sc->pp;

	while (sc->old < pp->nr && pp->v[sc->old].start < start)
		sc->old++;
	if (sc->old < pp->nr && pp->v[sc->old].start == start &&
	    pp->v[sc->old].end == end)
		return &pp->v[sc->old];
	return NULL;
}

static int scan_vma(void *ctx, const struct obs_smaps_vma *sv)
{
	struct scan *sc = ctx;
	const struct proc_vma *old = old_vma(sc, sv->start, sv->end);
	struct proc_vma *v;
	uint64_t kb;

	v = array_reserve(sc->v, &sc->cap, sc->nr + 1, sizeof(*v), 64);
	if (!v)
		return -ENOMEM;
	sc->v = v;
	v = &sc->v[sc->nr++];
	v->start = sv->start;
	v->end = sv->end;
	v->pages = old ? old->pages : 0;
	if (sc->baseline || !sc->measure)
		return 0;
	/*
	 * The referenced flag of a shared file page is set by every process
	 * using it (libc's text looks hot everywhere): in file mappings only
	 * this process's anonymous (copied-on-write) pages count.
	 */
	kb = sv->referenced_kb;
	if (sv->inode && sv->anonymous_kb < kb)
		kb = sv->anonymous_kb;
	v->pages = kb / sc->o->proc->page_kb;
	if (differ(v->pages, old ? old->pages : 0))
		sc->unsteady = true;
	return heat_add(&sc->o->heat, sc->pp->pid, sv->start, v->pages,
			sc->now_ns);
}

/* VMAs of the previous poll that no longer exist become events. */
static int report_gone(struct observer *o, const struct proc_pid *pp,
		       struct scan *sc)
{
	size_t i, j = 0;
	int err;

	for (i = 0; i < pp->nr; i++) {
		const struct proc_vma *old = &pp->v[i];

		while (j < sc->nr && sc->v[j].start < old->start)
			j++;
		if (j < sc->nr && sc->v[j].start == old->start &&
		    sc->v[j].end == old->end)
			continue;
		if (old->pages > PROC_SLACK)
			sc->unsteady = true;
		heat_drop_range(&o->heat, pp->pid, old->start, old->start + 1);
		if (o->proc->sampler)
			continue;
		err = obs_queue_event(o, OBSERVER_EV_VMA_GONE, pp->pid,
				      old->start, old->end - old->start, 0);
		if (err)
			return err;
	}
	return 0;
}

/*
 * Read smaps: the VMAs, the events (unless baseline), and when measure
 * the heat; *unsteady when a VMA's pages differ from the last measure.
 */
static int read_pid(struct observer *o, struct proc_pid *pp, uint64_t now_ns,
		    bool baseline, bool measure, bool *unsteady)
{
	struct scan sc = { .o = o,
			   .pp = pp,
			   .now_ns = now_ns,
			   .baseline = baseline,
			   .measure = measure };
	char path[256], *buf = NULL;
	int err;

	err = probe_path(path, sizeof(path), o->opts.proc_root, "/%d/smaps",
			 (int)pp->pid);
	if (err)
		return err;
	err = probe_read_file(path, &buf, NULL);
	if (err) {
		err = -probe_task_errno(-err);
		goto out;
	}
	err = obs_smaps_parse(buf, scan_vma, &sc);
	if (err)
		goto out;
	if (!baseline) {
		err = report_gone(o, pp, &sc);
		if (err)
			goto out;
	}
	free(pp->v);
	pp->v = sc.v;
	pp->nr = sc.nr;
	pp->cap = sc.cap;
	sc.v = NULL;
	*unsteady = sc.unsteady;
out:
	free(sc.v);
	free(buf);
	return err;
}

/* A tick without a measure: each VMA's last measure again. */
static int carry(struct observer *o, const struct proc_pid *pp, uint64_t now_ns)
{
	size_t i;
	int err;

	for (i = 0; i < pp->nr; i++) {
		if (!pp->v[i].pages)
			continue;
		err = heat_add(&o->heat, pp->pid, pp->v[i].start,
			       pp->v[i].pages, now_ns);
		if (err)
			return err;
	}
	return 0;
}

/* After a measure: N from how many measures in a row were steady. */
static void adapt(struct proc_pid *pp, bool unsteady)
{
	if (unsteady) {
		pp->steady = 0;
		pp->every = 1;
		pp->phase = 0;
		return;
	}
	pp->steady++;
	if (pp->every < PROC_MAX_EVERY && pp->steady >= PROC_STEADY * pp->every)
		pp->every *= 2;
}

/* One tick of one process (the head of this file). */
static int tick_pid(struct observer *o, struct proc_pid *pp, uint64_t now_ns)
{
	bool measure = pp->every == 1 || pp->phase == 1;
	bool clear = pp->every == 1 || pp->phase == 0;
	bool unsteady = false;
	int err = 0;

	if (measure || !o->proc->sampler)
		err = read_pid(o, pp, now_ns, false, measure, &unsteady);
	if (!err && !measure)
		err = carry(o, pp, now_ns);
	if (err)
		return err;
	if (measure) {
		adapt(pp, unsteady);
		/* back to N = 1 after a measure without a clear: clear now */
		clear |= pp->every == 1;
	}
	if (clear)
		err = clear_refs(o, pp->pid);
	pp->phase = (pp->phase + 1) % pp->every;
	return err;
}

int obs_proc_open(struct observer *o)
{
	long psz = sysconf(_SC_PAGESIZE);

	o->proc = calloc(1, sizeof(*o->proc));
	if (!o->proc)
		return -ENOMEM;
	o->proc->page_kb = psz >= 1024 ? (uint64_t)psz / 1024 : 4;
	return 0;
}

int obs_proc_open_sampler(struct observer *o)
{
	int err = obs_proc_open(o);

	if (!err)
		o->proc->sampler = true;
	return err;
}

void obs_proc_close(struct observer *o)
{
	size_t i;

	if (!o->proc)
		return;
	for (i = 0; i < o->proc->nr; i++)
		free(o->proc->p[i].v);
	free(o->proc->p);
	free(o->proc);
	o->proc = NULL;
}

static void remove_pid(struct obs_proc *s, struct proc_pid *pp)
{
	free(pp->v);
	*pp = s->p[--s->nr];
}

int obs_proc_watch(struct observer *o, pid_t pid)
{
	struct obs_proc *s = o->proc;
	struct proc_pid *pp, *p;
	bool unsteady;
	int err;

	p = array_reserve(s->p, &s->cap, s->nr + 1, sizeof(*p), 16);
	if (!p)
		return -ENOMEM;
	s->p = p;
	pp = &s->p[s->nr];
	memset(pp, 0, sizeof(*pp));
	pp->pid = pid;
	pp->every = 1;
	err = read_pid(o, pp, obs_now_ns(), true, false, &unsteady);
	if (!err)
		err = clear_refs(o, pid);
	if (err) {
		free(pp->v);
		return err;
	}
	s->nr++;
	return 0;
}

int obs_proc_unwatch(struct observer *o, pid_t pid)
{
	struct proc_pid *pp = find_pid(o->proc, pid);

	if (pp)
		remove_pid(o->proc, pp);
	return 0;
}

int obs_proc_poll(struct observer *o, uint64_t now_ns)
{
	struct obs_proc *s = o->proc;
	size_t i;
	int err, ret = 0;

	for (i = s->nr; i-- > 0;) {
		struct proc_pid *pp = &s->p[i];
		pid_t pid = pp->pid;

		err = tick_pid(o, pp, now_ns);
		if (err == -ESRCH && s->sampler) {
			/* The bpf backend reports the exit. */
			remove_pid(s, pp);
			err = 0;
		} else if (err == -ESRCH) {
			remove_pid(s, pp);
			obs_forget_pid(o, pid);
			err = obs_queue_event(o, OBSERVER_EV_EXIT, pid, 0, 0,
					      0);
		}
		if (err && !ret)
			ret = err;
	}
	return ret;
}
