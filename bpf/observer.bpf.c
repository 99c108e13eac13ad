// SPDX-License-Identifier: GPL-2.0-only
/*
 * contigd observer: which VMAs of the watched processes are hot, and when
 * their physical placement stops being what the daemon planned.
 *
 * Heat: every user page fault of a watched process adds one to a counter
 * keyed by (tgid, VMA start), in the kernel; nothing is sent per fault.
 * Two interchangeable fault hooks, the loader keeps exactly one:
 *   fault_tp     tp_btf/page_fault_user (x86). The VMA comes from
 *                bpf_find_vma, cached per 64 KiB granule: the tracepoint
 *                runs with interrupts off, where bpf_find_vma must defer
 *                its mmap_read_unlock to an irq_work (a self-IPI, about
 *                10 us in a VM). A cache entry is valid while the
 *                process's layout generation is unchanged; every syscall
 *                that can move VMA boundaries bumps it on entry and exit.
 *   fault_fentry fentry/handle_mm_fault (any arch), VMA is an argument
 * Invalidation (rare; ring buffer, no wakeup: the daemon drains it when it
 * polls): munmap, mremap, page-dropping madvise, exit, huge page collapse
 * in a watched mm, migration entries set on a watched process's pages.
 * Migrations and compactions anywhere are counted in obs_counters.
 * Snapshots: the iter/task_vma program writes one obs_vma_rec per VMA.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "observer.h"

char LICENSE[] SEC("license") = "GPL";

/* Set by the loader before load. */
const volatile __u32 watch_all = 0;

#define OBS_GRANULE_SHIFT 16
#define OBS_NR_SYSCALLS 512

/* include/uapi/asm-generic/mman-common.h: advice that drops or moves pages. */
#define OBS_MADV_DONTNEED 4
#define OBS_MADV_FREE 8
#define OBS_MADV_REMOVE 9
#define OBS_MADV_PAGEOUT 21
#define OBS_MADV_DONTNEED_LOCKED 24
#define OBS_MADV_COLLAPSE 25

/* mm/khugepaged.c: enum scan_result */
#define OBS_SCAN_SUCCEED 1

/* Watched tgid -> its layout generation. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, __u32);
} watched SEC(".maps");

/* Layout generation of unwatched processes (watch_all), one slot. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} global_gen SEC(".maps");

/* Syscall number -> enum obs_sys (filled by the loader). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, OBS_NR_SYSCALLS);
	__type(key, __u32);
	__type(value, __u32);
} sys_kind SEC(".maps");

struct vma_cache_key {
	__u32 tgid;
	__u32 pad;
	__u64 granule;
};

struct vma_cache_val {
	__u64 start;
	__u64 end;
	__u32 gen;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct vma_cache_key);
	__type(value, struct vma_cache_val);
} vma_cache SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, struct obs_heat_key);
	__type(value, __u64); /* faults since the entry was created */
} heat SEC(".maps");

/* mm_struct address -> tgid, filled by the iterator (collapse has only mm). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, __u32);
} watched_mm SEC(".maps");

/*
 * Last event sent per tgid: a loop of identical madvise calls sends one
 * event until the loader has drained it (it then deletes the entry).
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct obs_event);
} last_event SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, OBS_CNT_NR);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

static __always_inline void count(__u32 slot, __u64 n)
{
	__u64 *c = bpf_map_lookup_elem(&counters, &slot);

	if (c)
		__sync_fetch_and_add(c, n);
}

static __always_inline int is_watched(__u32 tgid)
{
	if (watch_all)
		return 1;
	return bpf_map_lookup_elem(&watched, &tgid) != NULL;
}

/* The layout generation of tgid, NULL when it is not observed. */
static __always_inline __u32 *layout_gen(__u32 tgid)
{
	__u32 zero = 0, *gen = bpf_map_lookup_elem(&watched, &tgid);

	if (gen || !watch_all)
		return gen;
	return bpf_map_lookup_elem(&global_gen, &zero);
}

static __always_inline void heat_add(__u32 tgid, __u64 vm_start)
{
	struct obs_heat_key key = { .tgid = tgid, .vm_start = vm_start };
	__u64 one = 1, *val;

	val = bpf_map_lookup_elem(&heat, &key);
	if (val) {
		__sync_fetch_and_add(val, 1);
		return;
	}
	/* Lost race with another CPU: its entry wins, add to it. */
	if (bpf_map_update_elem(&heat, &key, &one, BPF_NOEXIST)) {
		val = bpf_map_lookup_elem(&heat, &key);
		if (val)
			__sync_fetch_and_add(val, 1);
	}
}

static __always_inline void emit(__u32 type, __u32 tgid, __u64 addr, __u64 len,
				 __u64 arg)
{
	struct obs_event ev = {
		.type = type, .tgid = tgid, .addr = addr, .len = len, .arg = arg
	};
	struct obs_event *last, *e;

	last = bpf_map_lookup_elem(&last_event, &tgid);
	if (last && last->type == type && last->addr == addr &&
	    last->len == len && last->arg == arg)
		return;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count(OBS_CNT_EVENTS_LOST, 1);
		return;
	}
	*e = ev;
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
	bpf_map_update_elem(&last_event, &tgid, &ev, BPF_ANY);
}

struct find_ctx {
	__u64 vm_start;
	__u64 vm_end;
};

static long find_cb(struct task_struct *task, struct vm_area_struct *vma,
		    void *data)
{
	struct find_ctx *fc = data;

	fc->vm_start = vma->vm_start;
	fc->vm_end = vma->vm_end;
	return 0;
}

/* The VMA holding addr in the current process; 0 or an error. */
static __always_inline long find_vma(__u64 addr, struct find_ctx *fc)
{
	struct task_struct *task = bpf_get_current_task_btf();

	return bpf_find_vma(task, addr, find_cb, fc, 0);
}

SEC("tp_btf/page_fault_user")
int BPF_PROG(fault_tp, unsigned long address, struct pt_regs *regs,
	     unsigned long error_code)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct vma_cache_key ck = { .tgid = tgid };
	struct vma_cache_val *cv, nv = { 0 };
	struct find_ctx fc = { 0 };
	__u32 *genp, gen;

	genp = layout_gen(tgid);
	if (!genp)
		return 0;
	gen = *(volatile __u32 *)genp;
	ck.granule = address >> OBS_GRANULE_SHIFT;
	cv = bpf_map_lookup_elem(&vma_cache, &ck);
	if (cv && cv->gen == gen && address >= cv->start && address < cv->end) {
		heat_add(tgid, cv->start);
		return 0;
	}
	if (find_vma(address, &fc)) {
		count(OBS_CNT_FAULT_NO_VMA, 1);
		return 0;
	}
	nv.start = fc.vm_start;
	nv.end = fc.vm_end;
	nv.gen = gen;
	bpf_map_update_elem(&vma_cache, &ck, &nv, BPF_ANY);
	heat_add(tgid, fc.vm_start);
	return 0;
}

SEC("fentry/handle_mm_fault")
int BPF_PROG(fault_fentry, struct vm_area_struct *vma, unsigned long address)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;

	if (!is_watched(tgid))
		return 0;
	heat_add(tgid, BPF_CORE_READ(vma, vm_start));
	return 0;
}

static __always_inline __u32 syscall_kind(long id)
{
	__u32 nr = (__u32)id, *kind;

	if (id < 0 || id >= OBS_NR_SYSCALLS)
		return OBS_SYS_NONE;
	kind = bpf_map_lookup_elem(&sys_kind, &nr);
	return kind ? *kind : OBS_SYS_NONE;
}

/* madvise advice that only drops, reads or moves pages: VMAs stay. */
static __always_inline int advice_keeps_vmas(__u64 advice)
{
	switch (advice) {
	case 3: /* MADV_WILLNEED */
	case OBS_MADV_DONTNEED:
	case OBS_MADV_FREE:
	case OBS_MADV_REMOVE:
	case 20: /* MADV_COLD */
	case OBS_MADV_PAGEOUT:
	case 22: /* MADV_POPULATE_READ */
	case 23: /* MADV_POPULATE_WRITE */
	case OBS_MADV_DONTNEED_LOCKED:
	case OBS_MADV_COLLAPSE:
		return 1;
	default:
		return 0;
	}
}

static __always_inline void bump_gen(__u32 tgid)
{
	__u32 *gen = layout_gen(tgid);

	if (gen)
		__sync_fetch_and_add(gen, 1);
}

SEC("tp_btf/sys_enter")
int BPF_PROG(sys_enter, struct pt_regs *regs, long id)
{
	__u32 kind = syscall_kind(id), tgid;
	__u64 advice;

	if (kind == OBS_SYS_NONE)
		return 0;
	tgid = bpf_get_current_pid_tgid() >> 32;
	if (kind != OBS_SYS_MADVISE ||
	    !advice_keeps_vmas(PT_REGS_PARM3_CORE(regs)))
		bump_gen(tgid);
	if (!is_watched(tgid))
		return 0;
	if (kind == OBS_SYS_MUNMAP) {
		emit(OBS_EV_MUNMAP, tgid, PT_REGS_PARM1_CORE(regs),
		     PT_REGS_PARM2_CORE(regs), 0);
	} else if (kind == OBS_SYS_MREMAP) {
		emit(OBS_EV_MREMAP, tgid, PT_REGS_PARM1_CORE(regs),
		     PT_REGS_PARM2_CORE(regs), PT_REGS_PARM5_CORE(regs));
	} else if (kind == OBS_SYS_MADVISE) {
		advice = PT_REGS_PARM3_CORE(regs);
		if (advice != OBS_MADV_DONTNEED && advice != OBS_MADV_FREE &&
		    advice != OBS_MADV_REMOVE && advice != OBS_MADV_PAGEOUT &&
		    advice != OBS_MADV_DONTNEED_LOCKED &&
		    advice != OBS_MADV_COLLAPSE)
			return 0;
		emit(OBS_EV_MADVISE, tgid, PT_REGS_PARM1_CORE(regs),
		     PT_REGS_PARM2_CORE(regs), advice);
	}
	return 0;
}

/*
 * Bump again on exit: a fault racing with the syscall may have cached the
 * old layout under the generation bumped at entry.
 */
SEC("tp_btf/sys_exit")
int BPF_PROG(sys_exit, struct pt_regs *regs, long ret)
{
	__u32 kind;
	long id;

#if defined(__TARGET_ARCH_x86)
	id = BPF_CORE_READ(regs, orig_ax);
#else
	return 0; /* no syscall number here: entry bumps only */
#endif
	kind = syscall_kind(id);
	/* The saved argument registers still hold the arguments. */
	if (kind == OBS_SYS_NONE ||
	    (kind == OBS_SYS_MADVISE &&
	     advice_keeps_vmas(PT_REGS_PARM3_CORE(regs))))
		return 0;
	bump_gen(bpf_get_current_pid_tgid() >> 32);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(proc_exit, struct task_struct *p)
{
	__u32 tgid = BPF_CORE_READ(p, tgid);

	if (!is_watched(tgid))
		return 0;
	/* Only the last thread: signal->live dropped to zero before this. */
	if (BPF_CORE_READ(p, signal, live.counter) != 0)
		return 0;
	emit(OBS_EV_EXIT, tgid, 0, 0, 0);
	return 0;
}

SEC("tp_btf/mm_collapse_huge_page")
int BPF_PROG(collapse, struct mm_struct *mm, int isolated, int status)
{
	__u64 key = (__u64)mm;
	__u32 *tgid;

	if (status != OBS_SCAN_SUCCEED)
		return 0;
	count(OBS_CNT_COLLAPSES, 1);
	tgid = bpf_map_lookup_elem(&watched_mm, &key);
	if (tgid)
		emit(OBS_EV_COLLAPSE, *tgid, 0, 0, status);
	return 0;
}

SEC("tp_btf/set_migration_pte")
int BPF_PROG(migration_pte, unsigned long addr, unsigned long pte, int order)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct find_ctx fc = { 0 };

	/*
	 * Attributable only when the process migrates its own pages (NUMA
	 * balancing, move_pages); kcompactd's work shows in the counters.
	 */
	if (!is_watched(tgid))
		return 0;
	if (!find_vma(addr, &fc))
		emit(OBS_EV_MIGRATE, tgid, fc.vm_start, 0, order);
	return 0;
}

SEC("tp_btf/mm_migrate_pages")
int BPF_PROG(migrate_pages, unsigned long succeeded)
{
	count(OBS_CNT_MIGRATED, succeeded);
	return 0;
}

SEC("tp_btf/mm_compaction_begin")
int BPF_PROG(compaction_begin)
{
	count(OBS_CNT_COMPACTIONS, 1);
	return 0;
}

SEC("iter/task_vma")
int vma_iter(struct bpf_iter__task_vma *ctx)
{
	struct vm_area_struct *vma = ctx->vma;
	struct task_struct *task = ctx->task;
	struct obs_vma_rec rec = { 0 };
	struct mm_struct *mm;
	struct file *file;
	__u64 mm_key;

	if (!task || !vma)
		return 0;
	mm = task->mm;
	rec.tgid = task->tgid;
	rec.start = vma->vm_start;
	rec.end = vma->vm_end;
	rec.flags = BPF_CORE_READ(vma, vm_flags);
	rec.pgoff = vma->vm_pgoff;
	file = vma->vm_file;
	if (file) {
		rec.kind = 1;
		rec.ino = BPF_CORE_READ(file, f_inode, i_ino);
	} else if (mm && rec.start <= BPF_CORE_READ(mm, brk) &&
		   rec.end >= BPF_CORE_READ(mm, start_brk)) {
		rec.kind = 2;
	} else if (mm && rec.start <= BPF_CORE_READ(mm, start_stack) &&
		   rec.end >= BPF_CORE_READ(mm, start_stack)) {
		rec.kind = 3;
	}
	if (mm && ctx->meta->seq_num == 0) {
		mm_key = (__u64)mm;
		bpf_map_update_elem(&watched_mm, &mm_key, &rec.tgid, BPF_ANY);
	}
	bpf_seq_write(ctx->meta->seq, &rec, sizeof(rec));
	return 0;
}
