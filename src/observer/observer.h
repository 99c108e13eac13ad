/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The observer: which VMAs of the watched processes are hot, and which
 * of them changed under the daemon's feet.
 *
 * Two modes, chosen by observer_open() and logged with the reason:
 *   bpf   eBPF programs (bpf/observer.bpf.c): per-VMA page fault counts
 *         aggregated in the kernel, task_vma iterator snapshots, events
 *         for munmap/mremap/madvise/exit/collapse/migration.
 *   proc  no BPF (no privilege, old kernel, or forced): every poll reads
 *         /proc/PID/smaps "Referenced:" per VMA and clears the referenced
 *         bits with /proc/PID/clear_refs; exits and vanished VMAs become
 *         events.
 * Heat is access, whatever the mode: pages found accessed, counted by an
 * access sampler (observer_source() says which). In bpf mode the fault
 * counts are kept beside it (observer_vma_faults: new memory, churn);
 * they become the heat only when no sampler can run. Heat decays
 * exponentially (half-life in the options). Its unit is pages found
 * accessed per sampling round (or faults): compare heat within one
 * observer, not across modes.
 *
 * Not thread-safe: one thread owns an observer. libbpf's print hook is
 * process-wide; it routes to the last opened observer's log function.
 */
#ifndef CONTIG_OBSERVER_H
#define CONTIG_OBSERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "maps.h"

enum observer_mode {
	OBSERVER_MODE_NONE = 0,
	OBSERVER_MODE_BPF,
	OBSERVER_MODE_PROC,
};

enum observer_want {
	OBSERVER_WANT_AUTO = 0, /* bpf if it loads, else proc */
	OBSERVER_WANT_BPF,      /* bpf or fail */
	OBSERVER_WANT_PROC,     /* proc, even when bpf would work */
};

/* Log priorities are syslog's (LOG_ERR ... LOG_DEBUG). */
typedef void (*observer_log_fn)(void *ctx, int prio, const char *msg);

/* Where a VMA's heat comes from (contigctl show's "heat_source"). */
enum observer_source {
	OBSERVER_SRC_NONE = 0,
	OBSERVER_SRC_FAULT, /* page faults (bpf), no access sampler */
	OBSERVER_SRC_YOUNG, /* accessed bits sampled, kept for reclaim */
	OBSERVER_SRC_PROC,  /* smaps Referenced + clear_refs */
	OBSERVER_SRC_TLB,   /* dTLB-miss samples (a PMU with data addresses) */
};

struct observer_opts {
	enum observer_want want;
	double half_life_s;     /* heat half-life; <= 0: 10 s */
	const char *proc_root;  /* NULL: /proc */
	const char *sys_root;   /* NULL: /sys */
	bool watch_all;         /* bpf: count faults of every process */
	const char *fault_hook; /* bpf: NULL (probe), "tp_btf" or "fentry" */
	double sample_s;        /* access sampling period at least; <= 0: 1 s.
				 * A round that took c of CPU waits 125 c: the
				 * sampler takes 0.8 % of one core at most. */
	bool faults_only;       /* bpf: no access sampler (heat = faults) */
	bool no_helper;         /* bpf: not the kernel helper's sampler */
	const char *helper_dev; /* NULL: /dev/contig */
	observer_log_fn log;    /* NULL: stderr */
	void *log_ctx;
};

enum observer_event_type {
	OBSERVER_EV_MUNMAP = 1,  /* addr, len */
	OBSERVER_EV_MREMAP,      /* addr, len; arg = new address */
	OBSERVER_EV_MADVISE,     /* addr, len; arg = advice */
	OBSERVER_EV_EXIT,        /* the process is gone (no longer watched) */
	OBSERVER_EV_COLLAPSE,    /* a huge page was collapsed in its mm */
	OBSERVER_EV_MIGRATE,     /* addr = VMA start; arg = folio order */
	OBSERVER_EV_VMA_GONE,    /* proc mode: VMA at addr, len disappeared */
	OBSERVER_EV_LOST,        /* events were dropped: recheck everything */
};

struct observer_event {
	enum observer_event_type type;
	pid_t pid;
	uint64_t addr;
	uint64_t len;
	uint64_t arg;
};

struct observer_vma_heat {
	pid_t pid;
	uint64_t start;  /* VMA start */
	double heat;     /* decayed to the last poll */
	uint64_t total;  /* events ever counted */
};

/* Global counters since observer_open (fault ones: bpf mode only). */
struct observer_counters {
	uint64_t faults;        /* faults counted in watched processes */
	uint64_t fault_no_vma;  /* faults whose VMA lookup failed */
	uint64_t migrated;      /* pages migrated, all processes */
	uint64_t compactions;   /* compaction runs */
	uint64_t collapses;     /* huge page collapses */
	uint64_t events_lost;
	uint64_t sample_rounds; /* access sampler rounds (both modes) */
	uint64_t sample_cpu_ns; /* their CPU time */
	uint64_t sample_addrs;  /* addresses the kernel helper sampled */
	uint64_t sample_ioctl_ns; /* CPU time of those ioctls */
};

struct observer;

/*
 * Open in the mode opts asks for (NULL: defaults). 0, or -errno: with
 * OBSERVER_WANT_BPF the error of the last bpf attempt.
 */
int observer_open(const struct observer_opts *opts, struct observer **out);
void observer_close(struct observer *o);

enum observer_mode observer_mode(const struct observer *o);
/* "bpf", "proc" (contigctl status's "observer"), or "none". */
const char *observer_mode_name(enum observer_mode mode);
/* Why this mode, and in bpf mode which hooks are attached. */
const char *observer_describe(const struct observer *o);

/* Start/stop watching a process. 0, -ESRCH, -ENOSPC, -errno. */
int observer_watch(struct observer *o, pid_t pid);
int observer_unwatch(struct observer *o, pid_t pid);

/*
 * Collect what happened since the last poll: counters into heat (with
 * decay), invalidation events into the queue. Call it every 0.5-2 s. 0 or
 * -errno (a vanished process is an event, not an error).
 */
int observer_poll(struct observer *o);

/* Hottest first; *out is malloc'd (NULL when empty). 0 or -ENOMEM. */
int observer_heat(const struct observer *o, struct observer_vma_heat **out,
		  size_t *nr);
/* Heat of one VMA at the last poll (0 when unknown). */
double observer_vma_heat(const struct observer *o, pid_t pid, uint64_t start);
/* A new sampling period (seconds, <= 0: 1 s), from the next round on. */
void observer_set_sample(struct observer *o, double sample_s);
/* Decayed fault count of one VMA (bpf mode; 0 otherwise or unknown). */
double observer_vma_faults(const struct observer *o, pid_t pid,
			   uint64_t start);
/* What feeds the heat; the same for every VMA of one observer. */
enum observer_source observer_source(const struct observer *o);
/* "fault", "young", "proc", "tlb", or "none". */
const char *observer_source_name(enum observer_source src);
/*
 * The TLB-miss source: "none (no hardware PMU)", or what the PMU offers
 * and why it is not sampled.
 */
const char *observer_tlb(const struct observer *o);
/* Whether the sampler writes /proc/PID/clear_refs (a privilege to keep). */
bool observer_writes_clear_refs(const struct observer *o);

/* Move up to max queued events into buf; returns how many. */
size_t observer_events(struct observer *o, struct observer_event *buf,
		       size_t max);

/*
 * The process's VMAs (task_vma iterator in bpf mode, maps otherwise).
 * Appends to out (path is NULL in bpf mode). 0 or -errno.
 */
int observer_snapshot(struct observer *o, pid_t pid, struct vma_list *out);

void observer_counters(const struct observer *o, struct observer_counters *c);

/*
 * 1 when the CPU's PMU can sample data addresses (what a TLB-miss heat
 * source needs), else 0; why names it or says what is missing (pmu.c).
 * sys_root NULL: /sys.
 */
int observer_pmu_probe(const char *sys_root, char *why, size_t size);

#endif
