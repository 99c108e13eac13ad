// SPDX-License-Identifier: GPL-2.0-only
/*
 * Observer front: mode choice, watch list, event queue, heat table. The
 * backends (observer_bpf.c, observer_proc.c) feed it.
 */
#include "array.h"
#include "observer_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#define OBS_DEFAULT_HALF_LIFE_S 10.0
#define OBS_DEFAULT_SAMPLE_S 1.0
/*
 * The sampler's share of one core at most, in per mille: the next round
 * waits until the last one's CPU time is this share of the interval.
 * 0.8 %, so that with the rest of the observer it stays under 1 %.
 */
#define OBS_SAMPLE_BUDGET_PERMILLE 8
#define OBS_EVQ_MAX 65536

uint64_t obs_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void obs_log(const struct observer *o, int prio, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (o->opts.log)
		o->opts.log(o->opts.log_ctx, prio, msg);
	else if (prio <= LOG_INFO)
		fprintf(stderr, "observer: %s\n", msg);
}

const char *observer_mode_name(enum observer_mode mode)
{
	switch (mode) {
	case OBSERVER_MODE_BPF:
		return "bpf";
	case OBSERVER_MODE_PROC:
		return "proc";
	default:
		return "off"; /* the configuration's word */
	}
}

/* "tlb: ..." for the description; remembers it for observer_tlb(). */
static const char *no_tlb(struct observer *o, char *buf, size_t size)
{
	char why[64];

	if (observer_pmu_probe(o->opts.sys_root, why, sizeof(why)) > 0)
		snprintf(o->tlb, sizeof(o->tlb), "none (%s: not sampled yet)",
			 why);
	else
		snprintf(o->tlb, sizeof(o->tlb), "none (%s)", why);
	snprintf(buf, size, "tlb: %s", o->tlb);
	return buf;
}

/*
 * bpf mode: the access sampler beside the fault counters. The kernel's
 * DAMON is not used: its sysfs interface is one machine-wide set of
 * kdamonds which another user (or the kernel's own DAMON_RECLAIM) may
 * run, and taking it over would stop theirs.
 */
static void open_sampler(struct observer *o, const char *bpf_why)
{
	const char *what = "faults (access sampling off)";
	char tlb[200];
	int err;

	o->src = OBSERVER_SRC_FAULT;
	err = o->opts.faults_only || o->opts.no_helper ?
		      -ENODEV :
		      obs_young_open(o, o->opts.helper_dev);
	if (!err) {
		o->src = OBSERVER_SRC_YOUNG;
		what = "accesses (the kernel helper's sampler, adaptive regions)";
	} else if (!o->opts.faults_only) {
		obs_log(o, LOG_DEBUG, "kernel helper sampler: %s",
			strerror(-err));
		err = obs_proc_open_sampler(o);
		if (!err) {
			o->src = OBSERVER_SRC_PROC;
			what = "accesses (smaps Referenced + clear_refs)";
		} else {
			obs_log(o, LOG_WARNING,
				"no access sampler (%s): heat is faults",
				strerror(-err));
			what = "faults (no access sampler)";
		}
	}
	snprintf(o->desc, sizeof(o->desc),
		 "bpf: %s; heat: %s every %.1f s, faults kept for churn; %s",
		 bpf_why, what, (double)o->sample_ns / 1e9,
		 no_tlb(o, tlb, sizeof(tlb)));
}

int observer_open(const struct observer_opts *opts, struct observer **out)
{
	struct observer *o;
	char why[256] = "", tlb[200];
	int err;

	*out = NULL;
	o = calloc(1, sizeof(*o));
	if (!o)
		return -ENOMEM;
	if (opts)
		o->opts = *opts;
	heat_init(&o->heat, o->opts.half_life_s > 0 ? o->opts.half_life_s :
						      OBS_DEFAULT_HALF_LIFE_S);
	heat_init(&o->faults, o->heat.half_life_ns / 1e9);
	o->last_poll_ns = obs_now_ns();
	observer_set_sample(o, o->opts.sample_s);

	if (o->opts.want != OBSERVER_WANT_PROC) {
		err = obs_bpf_open(o, why, sizeof(why));
		if (!err) {
			o->mode = OBSERVER_MODE_BPF;
			open_sampler(o, why);
			goto done;
		}
		if (o->opts.want == OBSERVER_WANT_BPF) {
			obs_log(o, LOG_ERR, "bpf mode unavailable: %s", why);
			goto err_free;
		}
	} else {
		snprintf(why, sizeof(why), "forced by option");
	}
	err = obs_proc_open(o);
	if (err)
		goto err_free;
	o->mode = OBSERVER_MODE_PROC;
	o->src = OBSERVER_SRC_PROC;
	snprintf(o->desc, sizeof(o->desc),
		 "proc: smaps Referenced + clear_refs (%s); %s", why,
		 no_tlb(o, tlb, sizeof(tlb)));
done:
	obs_log(o, LOG_INFO, "mode %s", o->desc);
	*out = o;
	return 0;
err_free:
	heat_free(&o->heat);
	heat_free(&o->faults);
	free(o);
	return err;
}

void observer_close(struct observer *o)
{
	if (!o)
		return;
	if (o->mode == OBSERVER_MODE_BPF)
		obs_bpf_close(o);
	obs_proc_close(o);
	obs_young_close(o);
	heat_free(&o->heat);
	heat_free(&o->faults);
	free(o->evq);
	free(o->pids);
	free(o);
}

enum observer_mode observer_mode(const struct observer *o)
{
	return o->mode;
}

const char *observer_describe(const struct observer *o)
{
	return o->desc;
}

static ssize_t pid_index(const struct observer *o, pid_t pid)
{
	size_t i;

	for (i = 0; i < o->npids; i++)
		if (o->pids[i] == pid)
			return (ssize_t)i;
	return -1;
}

void obs_forget_pid(struct observer *o, pid_t pid)
{
	ssize_t i = pid_index(o, pid);

	heat_drop_pid(&o->heat, pid);
	heat_drop_pid(&o->faults, pid);
	if (o->mode == OBSERVER_MODE_BPF && o->proc)
		obs_proc_unwatch(o, pid);
	if (o->young)
		obs_young_unwatch(o, pid);
	if (i >= 0)
		o->pids[i] = o->pids[--o->npids];
}

int observer_watch(struct observer *o, pid_t pid)
{
	pid_t *p;
	int err;

	if (pid <= 0)
		return -EINVAL;
	if (pid_index(o, pid) >= 0)
		return 0;
	p = array_reserve(o->pids, &o->pids_cap, o->npids + 1, sizeof(*p), 16);
	if (!p)
		return -ENOMEM;
	o->pids = p;
	err = o->mode == OBSERVER_MODE_BPF ? obs_bpf_watch(o, pid) :
					     obs_proc_watch(o, pid);
	if (err)
		return err;
	if (o->mode == OBSERVER_MODE_BPF && (o->proc || o->young)) {
		/* Without it the process's heat is its faults alone. */
		err = o->young ? obs_young_watch(o, pid) :
				 obs_proc_watch(o, pid);
		if (err)
			obs_log(o, LOG_DEBUG, "sampling pid %d: %s", (int)pid,
				strerror(-err));
	}
	o->pids[o->npids++] = pid;
	return 0;
}

int observer_unwatch(struct observer *o, pid_t pid)
{
	int err;

	if (pid_index(o, pid) < 0)
		return -ENOENT;
	err = o->mode == OBSERVER_MODE_BPF ? obs_bpf_unwatch(o, pid) :
					     obs_proc_unwatch(o, pid);
	obs_forget_pid(o, pid); /* and the sampler's entry */
	return err;
}

int obs_queue_event(struct observer *o, enum observer_event_type type,
		    pid_t pid, uint64_t addr, uint64_t len, uint64_t arg)
{
	struct observer_event *ev;

	if (o->ev_nr == o->ev_cap) {
		size_t cap = o->ev_cap ? o->ev_cap * 2 : 64;

		if (o->ev_nr >= OBS_EVQ_MAX) {
			/* Collapse the queue into one "recheck all". */
			o->ev_nr = 0;
			type = OBSERVER_EV_LOST;
			pid = 0;
			addr = len = arg = 0;
		} else {
			ev = realloc(o->evq, cap * sizeof(*ev));
			if (!ev)
				return -ENOMEM;
			o->evq = ev;
			o->ev_cap = cap;
		}
	}
	ev = &o->evq[o->ev_nr++];
	ev->type = type;
	ev->pid = pid;
	ev->addr = addr;
	ev->len = len;
	ev->arg = arg;
	return 0;
}

size_t observer_events(struct observer *o, struct observer_event *buf,
		       size_t max)
{
	size_t n = o->ev_nr < max ? o->ev_nr : max;

	if (!n)
		return 0;
	memcpy(buf, o->evq, n * sizeof(*buf));
	memmove(o->evq, o->evq + n, (o->ev_nr - n) * sizeof(*buf));
	o->ev_nr -= n;
	return n;
}

uint64_t obs_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int observer_poll(struct observer *o)
{
	uint64_t now = obs_now_ns();
	int err = 0;

	if (o->mode == OBSERVER_MODE_BPF)
		err = obs_bpf_poll(o, now);
	if ((o->proc || o->young) && now >= o->next_sample_ns) {
		uint64_t c0 = obs_cpu_ns(), cost, wait;
		int e2 = o->young ? obs_young_poll(o, now) :
				    obs_proc_poll(o, now);

		cost = obs_cpu_ns() - c0;
		wait = cost * 1000 / OBS_SAMPLE_BUDGET_PERMILLE;
		o->next_sample_ns = now + (wait > o->sample_ns ? wait :
								 o->sample_ns);
		o->rounds++;
		o->round_cpu_ns += cost;
		if (!err)
			err = e2;
	}
	o->last_poll_ns = now;
	return err;
}

/* The table heat is ranked by: accesses, or faults without a sampler. */
static const struct heat_table *heat_tab(const struct observer *o)
{
	return o->src == OBSERVER_SRC_FAULT ? &o->faults : &o->heat;
}

int observer_heat(const struct observer *o, struct observer_vma_heat **out,
		  size_t *nr)
{
	struct heat_entry *r;
	struct observer_vma_heat *h = NULL;
	size_t i, n;
	int err;

	*out = NULL;
	*nr = 0;
	err = heat_ranked(heat_tab(o), o->last_poll_ns, &r, &n);
	if (err || !n)
		return err;
	h = malloc(n * sizeof(*h));
	if (!h) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < n; i++) {
		h[i].pid = r[i].pid;
		h[i].start = r[i].start;
		h[i].heat = r[i].heat;
		h[i].total = r[i].total;
	}
	*out = h;
	*nr = n;
out:
	free(r);
	return err;
}

double observer_vma_heat(const struct observer *o, pid_t pid, uint64_t start)
{
	return heat_get(heat_tab(o), pid, start, o->last_poll_ns);
}

double observer_vma_faults(const struct observer *o, pid_t pid,
			   uint64_t start)
{
	return heat_get(&o->faults, pid, start, o->last_poll_ns);
}

void observer_set_sample(struct observer *o, double sample_s)
{
	o->sample_ns = (uint64_t)((sample_s > 0 ? sample_s :
						  OBS_DEFAULT_SAMPLE_S) *
				  1e9);
}

enum observer_source observer_source(const struct observer *o)
{
	return o->src;
}

const char *observer_source_name(enum observer_source src)
{
	switch (src) {
	case OBSERVER_SRC_FAULT:
		return "fault";
	case OBSERVER_SRC_YOUNG:
		return "young";
	case OBSERVER_SRC_PROC:
		return "proc";
	case OBSERVER_SRC_TLB:
		return "tlb";
	default:
		return "none";
	}
}

const char *observer_tlb(const struct observer *o)
{
	return o->tlb;
}

bool observer_writes_clear_refs(const struct observer *o)
{
	return o->src == OBSERVER_SRC_PROC;
}

int observer_snapshot(struct observer *o, pid_t pid, struct vma_list *out)
{
	if (o->mode == OBSERVER_MODE_BPF)
		return obs_bpf_snapshot(o, pid, out);
	return maps_read(o->opts.proc_root, pid, out);
}

void observer_counters(const struct observer *o, struct observer_counters *c)
{
	memset(c, 0, sizeof(*c));
	if (o->mode == OBSERVER_MODE_BPF)
		obs_bpf_counters(o, c);
	c->sample_rounds = o->rounds;
	c->sample_cpu_ns = o->round_cpu_ns;
	c->sample_addrs = o->sample_addrs;
	c->sample_ioctl_ns = o->sample_ioctl_ns;
}
