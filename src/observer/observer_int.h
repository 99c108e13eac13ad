/* SPDX-License-Identifier: GPL-2.0-only */
/* Shared by the observer's front (observer.c) and its two backends. */
#ifndef CONTIG_OBSERVER_INT_H
#define CONTIG_OBSERVER_INT_H

#include "heat.h"
#include "observer.h"

struct obs_bpf;
struct obs_proc;
struct obs_young;

struct observer {
	enum observer_mode mode;
	struct observer_opts opts;
	char desc[512];
	char tlb[96];             /* observer_tlb() */
	struct heat_table heat;   /* ranking heat: accesses (faults, no sampler) */
	struct heat_table faults; /* bpf: page faults, for new memory and churn */
	enum observer_source src; /* what feeds heat */
	uint64_t next_sample_ns;  /* bpf mode: the access sampler's next round */
	uint64_t sample_ns;       /* its period, at least */
	uint64_t rounds, round_cpu_ns; /* sampler rounds, their CPU time */
	uint64_t sample_addrs;    /* addresses sampled (young) */
	uint64_t sample_ioctl_ns; /* CPU time in CONTIG_IOC_SAMPLE */
	uint64_t last_poll_ns;
	struct observer_event *evq;
	size_t ev_nr, ev_cap;
	pid_t *pids;              /* watched, unsorted */
	size_t npids, pids_cap;
	struct obs_bpf *bpf;
	struct obs_proc *proc;
	struct obs_young *young;
};

void obs_log(const struct observer *o, int prio, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
uint64_t obs_now_ns(void);
/* CPU time of the calling thread, ns. */
uint64_t obs_cpu_ns(void);
int obs_queue_event(struct observer *o, enum observer_event_type type,
		    pid_t pid, uint64_t addr, uint64_t len, uint64_t arg);
/* Forget a process everywhere in the front (heat, watch list). */
void obs_forget_pid(struct observer *o, pid_t pid);

/*
 * Backends: 0 or -errno. open fills why (a reason to log) on failure,
 * and on success a description of what is attached.
 */
int obs_bpf_open(struct observer *o, char *why, size_t whylen);
void obs_bpf_close(struct observer *o);
int obs_bpf_watch(struct observer *o, pid_t pid);
int obs_bpf_unwatch(struct observer *o, pid_t pid);
int obs_bpf_poll(struct observer *o, uint64_t now_ns);
int obs_bpf_snapshot(struct observer *o, pid_t pid, struct vma_list *out);
void obs_bpf_counters(const struct observer *o, struct observer_counters *c);

int obs_proc_open(struct observer *o);
void obs_proc_close(struct observer *o);
int obs_proc_watch(struct observer *o, pid_t pid);
int obs_proc_unwatch(struct observer *o, pid_t pid);
int obs_proc_poll(struct observer *o, uint64_t now_ns);
/*
 * The same reader as the access sampler beside the bpf backend: heat
 * only, no events (the bpf programs report unmaps and exits).
 */
int obs_proc_open_sampler(struct observer *o);

/* The kernel helper's sampler (observer_young.c). dev NULL: /dev/contig. */
int obs_young_open(struct observer *o, const char *dev);
void obs_young_close(struct observer *o);
int obs_young_watch(struct observer *o, pid_t pid);
int obs_young_unwatch(struct observer *o, pid_t pid);
int obs_young_poll(struct observer *o, uint64_t now_ns);

/* One VMA of /proc/PID/smaps, as far as proc mode cares. */
struct obs_smaps_vma {
	uint64_t start, end;
	uint64_t inode;
	uint64_t referenced_kb;
	uint64_t anonymous_kb;
};

/*
 * smaps parsing (pure): calls fn for every VMA that has a "Referenced:"
 * line. 0, -EINVAL on a malformed file, or fn's error.
 */
int obs_smaps_parse(const char *buf,
		    int (*fn)(void *ctx, const struct obs_smaps_vma *v),
		    void *ctx);

#endif
