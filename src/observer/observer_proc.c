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

struct proc_vma {
	uint64_t start, end;
};

struct proc_pid {
	pid_t pid;
	struct proc_vma *v; /* VMAs at the last poll, in address order */
	size_t nr, cap;
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
	uint64_t now_ns;
	bool baseline; /* first read: remember VMAs, add no heat */
};

static int scan_vma(void *ctx, const struct obs_smaps_vma *sv)
{
	struct scan *sc = ctx;
	uint64_t kb;
	int err;

	struct proc_vma *v = array_reserve(sc->v, &sc->cap, sc->nr + 1,
					   sizeof(*v), 64);

	if (!v)
		return -ENOMEM;
	sc->v = v;
	sc->v[sc->nr].start = sv->start;
	sc->v[sc->nr].end = sv->end;
	sc->nr++;
	if (sc->baseline)
		return 0;
	/*
	 * The referenced flag of a shared file page is set by every process
	 * using it (libc's text looks hot everywhere): in file mappings only
	 * this process's anonymous (copied-on-write) pages count.
	 */
	kb = sv->referenced_kb;
	if (sv->inode && sv->anonymous_kb < kb)
		kb = sv->anonymous_kb;
	err = heat_add(&sc->o->heat, sc->pp->pid, sv->start,
		       kb / sc->o->proc->page_kb, sc->now_ns);
	return err;
}

/* VMAs of the previous poll that no longer exist become events. */
static int report_gone(struct observer *o, const struct proc_pid *pp,
		       const struct scan *sc)
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

/* Read smaps, account heat (unless baseline), clear the bits. */
static int scan_pid(struct observer *o, struct proc_pid *pp, uint64_t now_ns,
		    bool baseline)
{
	struct scan sc = {
		.o = o, .pp = pp, .now_ns = now_ns, .baseline = baseline
	};
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
	err = clear_refs(o, pp->pid);
	if (err)
		goto out;
	free(pp->v);
	pp->v = sc.v;
	pp->nr = sc.nr;
	pp->cap = sc.cap;
	sc.v = NULL;
out:
	free(sc.v);
	free(buf);
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
	int err;

	p = array_reserve(s->p, &s->cap, s->nr + 1, sizeof(*p), 16);
	if (!p)
		return -ENOMEM;
	s->p = p;
	pp = &s->p[s->nr];
	memset(pp, 0, sizeof(*pp));
	pp->pid = pid;
	err = scan_pid(o, pp, obs_now_ns(), true);
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

		err = scan_pid(o, pp, now_ns, false);
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
