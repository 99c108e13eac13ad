/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Types shared by the observer's BPF programs (observer.bpf.c) and its
 * loader (src/observer/observer_bpf.c). Fixed-width kernel types only.
 */
#ifndef CONTIG_BPF_OBSERVER_H
#define CONTIG_BPF_OBSERVER_H

/* Key of the heat map: one counter per (process, VMA). */
struct obs_heat_key {
	__u32 tgid;
	__u32 pad;
	__u64 vm_start;
};

/* Invalidation events (ring buffer, rare). */
enum obs_event_type {
	OBS_EV_MUNMAP = 1,   /* munmap(addr, len) */
	OBS_EV_MREMAP = 2,   /* mremap(addr, len, new_len, flags, new_addr) */
	OBS_EV_MADVISE = 3,  /* madvise(addr, len, advice) dropping pages */
	OBS_EV_EXIT = 4,     /* the process exited */
	OBS_EV_COLLAPSE = 5, /* khugepaged collapsed a huge page in its mm */
	OBS_EV_MIGRATE = 6,  /* a page at addr got a migration entry */
};

struct obs_event {
	__u32 type;  /* enum obs_event_type */
	__u32 tgid;
	__u64 addr;  /* start of the range, 0 when unknown */
	__u64 len;   /* bytes, 0 when unknown */
	__u64 arg;   /* advice, mremap's new address, collapse status */
};

/* What a syscall means to the observer (sys_kind map, by number). */
enum obs_sys {
	OBS_SYS_NONE = 0,
	OBS_SYS_LAYOUT = 1,  /* may move VMA boundaries: drop cached lookups */
	OBS_SYS_MUNMAP = 2,
	OBS_SYS_MREMAP = 3,
	OBS_SYS_MADVISE = 4,
};

/* Global counters (an array map, one slot each). */
enum obs_counter {
	OBS_CNT_RESERVED = 0,      /* unused: a shared per-fault counter would bounce */
	OBS_CNT_FAULT_NO_VMA = 1,  /* bpf_find_vma failed (lock contended) */
	OBS_CNT_MIGRATED = 2,      /* pages migrated, all processes */
	OBS_CNT_COMPACTIONS = 3,   /* compaction runs, all zones */
	OBS_CNT_COLLAPSES = 4,     /* huge page collapses, all processes */
	OBS_CNT_EVENTS_LOST = 5,   /* ring buffer full */
	OBS_CNT_NR = 6,
};

/* One record written by the task_vma iterator per VMA. */
struct obs_vma_rec {
	__u32 tgid;
	__u32 kind;   /* 0 anon, 1 file, 2 heap, 3 stack (enum vma_kind order) */
	__u64 start;
	__u64 end;
	__u64 flags;  /* vm_flags */
	__u64 pgoff;
	__u64 ino;
};

#endif
