// SPDX-License-Identifier: GPL-2.0-only
/*
 * /dev/contig: make a process's memory physically contiguous
 * after allocation by moving and exchanging its anonymous pages.
 *
 * The misc device, ioctl dispatch and permission checks.  See contig(4).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/gfp.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/pid.h>
#include <linux/ptrace.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/uaccess.h>

#include "contig.h"
#include "contig_ioctl.h"

static bool symbols = true;
module_param(symbols, bool, 0444);
MODULE_PARM_DESC(symbols, "Look up unexported functions (N: migration only)");

static u64 contig_caps(void)
{
	u64 caps = CONTIG_CAP_MIGRATE_FALLBACK;

	if (contig_inplace_available())
		caps |= CONTIG_CAP_EXCHANGE_INPLACE;
	if (contig_syms.ptrace_may_access)
		caps |= CONTIG_CAP_PTRACE_CHECK;
	if (contig_syms.security_task_movememory)
		caps |= CONTIG_CAP_LSM_CHECK;
	if (contig_pidfd_available())
		caps |= CONTIG_CAP_PIDFD;
	if (contig_sample_available())
		caps |= CONTIG_CAP_SAMPLE;
	if (contig_uring_available())
		caps |= CONTIG_CAP_URING;
	if (contig_split_available())
		caps |= CONTIG_CAP_SPLIT;
	if (contig_promote_available())
		caps |= CONTIG_CAP_PROMOTE;
	if (contig_large_available())
		caps |= CONTIG_CAP_LARGE_FOLIO;
	return caps;
}

/*
 * The mm of the process an op names (a pid, or with CONTIG_OP_F_PIDFD a
 * pidfd of the caller), if the caller may ptrace it.
 */
static int contig_get_mm(s32 id, u32 flags, struct mm_struct **mmp)
{
	struct task_struct *task;
	struct mm_struct *mm;
	struct pid *p;
	int ret = 0;

	if (flags & CONTIG_OP_F_PIDFD) {
		p = contig_pidfd_get(id);
		if (IS_ERR(p))
			return PTR_ERR(p);
	} else {
		if (id <= 0)
			return -ESRCH;
		p = find_get_pid(id);
		if (!p)
			return -ESRCH;
	}
	task = get_pid_task(p, PIDTYPE_PID);
	put_pid(p);
	if (!task)
		return -ESRCH;
	if (contig_syms.ptrace_may_access) {
		unsigned int mode = PTRACE_MODE_ATTACH_REALCREDS;

		if (!contig_syms.ptrace_may_access(task, mode))
			ret = -EPERM;
	} else if (!same_thread_group(task, current) &&
		   !capable(CAP_SYS_PTRACE)) {
		ret = -EPERM;
	}
	/* What move_pages(2) asks the security modules. */
	if (!ret && contig_syms.security_task_movememory)
		ret = contig_syms.security_task_movememory(task);
	if (ret)
		goto out_put_task;
	mm = get_task_mm(task);
	if (!mm) {
		ret = -ESRCH;
		goto out_put_task;
	}
	*mmp = mm;
out_put_task:
	put_task_struct(task);
	return ret;
}

static int contig_do_move(const struct contig_op *op, u32 *outcome)
{
	struct mm_struct *mm;
	int ret;

	ret = contig_get_mm(op->pid_a, op->flags, &mm);
	if (ret)
		return ret;
	/* A large folio placed whole where it can be (1: not here). */
	if ((op->flags & CONTIG_OP_F_WHOLE) && op->pfn != CONTIG_PFN_ANY &&
	    op->pfn <= ULONG_MAX)
		ret = contig_move_whole(mm, op->vaddr_a, op->pfn, outcome);
	else
		ret = 1;
	if (ret > 0)
		ret = contig_move(mm, op->vaddr_a, op->pfn, false, outcome);
	mmput(mm);
	return ret;
}

static int contig_do_promote(const struct contig_op *op)
{
	struct mm_struct *mm;
	int ret;

	ret = contig_get_mm(op->pid_a, op->flags, &mm);
	if (ret)
		return ret;
	ret = contig_promote(mm, op->vaddr_a);
	mmput(mm);
	return ret;
}

/*
 * After a transient failure (-EAGAIN, -EBUSY), empty every CPU's LRU
 * caches, once per batch: pages parked there are off the LRU or hold an
 * extra reference.  True if the caller should try again.
 */
static bool contig_drain_once(int ret, bool *drained)
{
	if (ret != -EAGAIN && ret != -EBUSY)
		return false;
	if (*drained || !contig_syms.lru_add_drain_all)
		return false;
	contig_syms.lru_add_drain_all();
	contig_stat_inc(CONTIG_STAT_LRU_DRAIN_ALL);
	*drained = true;
	return true;
}

/*
 * Take a reference on the folios at (mm_a, va_a) and (mm_b, va_b): 0 and
 * both, or an error and neither.  Release with contig_put_folios().
 */
static int contig_get_folios(struct mm_struct *mm_a, unsigned long va_a,
			     struct mm_struct *mm_b, unsigned long va_b,
			     struct folio **fa, struct folio **fb)
{
	int ret;

	ret = contig_get_folio(mm_a, va_a, fa);
	if (ret)
		return ret;
	ret = contig_get_folio(mm_b, va_b, fb);
	if (ret)
		folio_put(*fa);
	return ret;
}

static void contig_put_folios(struct folio *fa, struct folio *fb)
{
	folio_put(fb);
	folio_put(fa);
}

/* Move the page at (mm, va) into frame pfn; once more after a drain. */
static int contig_move_drained(struct mm_struct *mm, unsigned long va,
			       unsigned long pfn, bool home, bool *drained,
			       u32 *outcome)
{
	int ret = contig_move(mm, va, pfn, home, outcome);

	if (contig_drain_once(ret, drained))
		ret = contig_move(mm, va, pfn, home, outcome);
	return ret;
}

/*
 * A free frame of zone for an eviction: allocated with the zone as the
 * highest one allowed and refused if the allocator fell back to a lower
 * one (Normal to DMA32), then given back for contig_move() to claim.
 * -ENOMEM when the zone has no free frame to spare.
 */
static int contig_free_frame_in(struct zone *zone, unsigned long *pfn)
{
	gfp_t gfp = GFP_USER | __GFP_MOVABLE | __GFP_THISNODE |
		    __GFP_NORETRY | __GFP_NOWARN;
	struct page *page;

	switch (zone_idx(zone)) {
#ifdef CONFIG_ZONE_DMA
	case ZONE_DMA:
		gfp |= __GFP_DMA;
		break;
#endif
#ifdef CONFIG_ZONE_DMA32
	case ZONE_DMA32:
		gfp |= __GFP_DMA32;
		break;
#endif
	case ZONE_NORMAL:
		break;
	default:
		gfp |= __GFP_HIGHMEM;
		break;
	}
	page = alloc_pages_node(zone_to_nid(zone), gfp, 0);
	if (!page)
		return -ENOMEM;
	*pfn = page_to_pfn(page);
	if (page_zone(page) != zone) {
		__free_page(page);
		return -ENOMEM;
	}
	__free_page(page);
	return 0;
}

/*
 * Exchange by migration, in three steps: b into a free frame of its own
 * zone (contig_free_frame_in(): an eviction never leaves the zone), a into
 * b's old frame, b into a's old frame.  The two frames are read once, here,
 * and each step retries on its own: the op must never run again from the
 * state a failed step left, or it would exchange the pages where they then
 * are.  0 only when both pages are where asked; when a step fails, what the
 * steps did stays done and *outcome says what moved (see contig(4)).
 * Contents are never lost.
 */
static int contig_exchange_by_migration(struct mm_struct *mm_a,
					unsigned long va_a,
					struct mm_struct *mm_b,
					unsigned long va_b, bool *drained,
					u32 *outcome)
{
	unsigned long pfn_a, pfn_b, pfn_t = 0;
	struct folio *fa, *fb;
	bool again = false;
	u32 step = 0;
	int ret;

	ret = contig_get_folios(mm_a, va_a, mm_b, va_b, &fa, &fb);
	if (ret)
		return ret;
	pfn_a = folio_pfn(fa);
	pfn_b = folio_pfn(fb);
	if (fa != fb && folio_zone(fa) != folio_zone(fb))
		ret = -EXDEV;
	else if (pfn_a != pfn_b)
		ret = contig_free_frame_in(folio_zone(fb), &pfn_t);
	contig_put_folios(fa, fb);
	if (ret || pfn_a == pfn_b)
		return ret;

	/*
	 * Each step moves one page into a frame that should be free; should
	 * another page have taken it meanwhile, contig_move() evicts that
	 * one, which is neither a nor b: only the moved page's bit counts.
	 */
	ret = contig_move_drained(mm_b, va_b, pfn_t, false, drained, &step);
	if (step & CONTIG_OUT_A_MOVED)
		*outcome |= CONTIG_OUT_B_MOVED;
	if (ret)
		return ret;
	/* Half done now: the later steps may drain even when the batch has. */
	step = 0;
	ret = contig_move_drained(mm_a, va_a, pfn_b, false, &again, &step);
	*drained |= again;
	*outcome |= step & CONTIG_OUT_A_MOVED;
	if (ret)
		return ret;
	again = false;
	ret = contig_move_drained(mm_b, va_b, pfn_a, false, &again, &step);
	*drained |= again;
	if (ret)
		return ret;

	/* All steps done: check that nothing has moved either page since. */
	ret = contig_get_folios(mm_a, va_a, mm_b, va_b, &fa, &fb);
	if (ret)
		return ret;
	if (folio_pfn(fa) != pfn_b || folio_pfn(fb) != pfn_a)
		ret = -EAGAIN;
	contig_put_folios(fa, fb);
	return ret;
}

static int contig_do_exchange(const struct contig_op *op, bool inplace,
			      bool *drained, u32 *outcome)
{
	struct mm_struct *mm_a, *mm_b;
	struct folio *fa, *fb;
	int ret;

	ret = contig_get_mm(op->pid_a, op->flags, &mm_a);
	if (ret)
		return ret;
	ret = contig_get_mm(op->pid_b, op->flags, &mm_b);
	if (ret)
		goto out_put_mm_a;
	if (!inplace) {
		ret = contig_exchange_by_migration(mm_a, op->vaddr_a, mm_b,
						   op->vaddr_b, drained,
						   outcome);
		goto out_put_mm_b;
	}
	ret = contig_get_folios(mm_a, op->vaddr_a, mm_b, op->vaddr_b, &fa, &fb);
	if (ret)
		goto out_put_mm_b;
	ret = contig_exchange_folios(fa, fb);
	if (!ret && fa != fb)
		*outcome = CONTIG_OUT_A_MOVED | CONTIG_OUT_B_MOVED;
	contig_put_folios(fa, fb);
out_put_mm_b:
	mmput(mm_b);
out_put_mm_a:
	mmput(mm_a);
	return ret;
}

static int contig_do_exchange_pfn(const struct contig_op *op, bool inplace,
				  u32 *outcome)
{
	struct folio *fa, *fb;
	struct mm_struct *mm;
	int ret;

	ret = contig_get_mm(op->pid_a, op->flags, &mm);
	if (ret)
		return ret;
	/* Two large folios of one order trade places whole (1: not here). */
	if (op->flags & CONTIG_OP_F_WHOLE) {
		ret = contig_exchange_whole(mm, op->vaddr_a, op->pfn, outcome);
		if (ret <= 0)
			goto out_put_mm;
	}
	if (!inplace) {
		/* Evict the occupant, then fill. */
		ret = contig_move(mm, op->vaddr_a, op->pfn, false, outcome);
		goto out_put_mm;
	}
	ret = contig_get_folio(mm, op->vaddr_a, &fa);
	if (ret)
		goto out_put_mm;
	ret = contig_get_folio_pfn(op->pfn, &fb);
	if (ret == -ENOENT) {
		folio_put(fa);
		ret = contig_move(mm, op->vaddr_a, op->pfn, false, outcome);
		goto out_put_mm;
	}
	if (ret)
		goto out_put_fa;
	ret = contig_exchange_folios(fa, fb);
	if (!ret && fa != fb)
		*outcome = CONTIG_OUT_A_MOVED | CONTIG_OUT_B_MOVED;
	folio_put(fb);
out_put_fa:
	folio_put(fa);
out_put_mm:
	mmput(mm);
	return ret;
}

/*
 * Known kind and flags, reserved fields zero, and the fields the kind does
 * not use zero too (so that later versions can give them a meaning).
 */
static bool contig_op_valid(const struct contig_op *op, unsigned int cmd)
{
	if (op->flags & ~CONTIG_OP_F_ALL)
		return false;
	if (op->reserved[0] || op->reserved[1])
		return false;
	switch (op->kind) {
	case CONTIG_OP_MOVE:
		return cmd == CONTIG_IOC_MOVE && !op->pid_b && !op->vaddr_b;
	case CONTIG_OP_EXCHANGE_PFN:
		return cmd == CONTIG_IOC_EXCHANGE && !op->pid_b &&
		       !op->vaddr_b && op->pfn != CONTIG_PFN_ANY;
	case CONTIG_OP_EXCHANGE:
		return cmd == CONTIG_IOC_EXCHANGE && !op->pfn;
	case CONTIG_OP_PROMOTE:
		return cmd == CONTIG_IOC_EXCHANGE && !op->pid_b &&
		       !op->vaddr_b && !op->pfn &&
		       !(op->flags & (CONTIG_OP_F_MIGRATE | CONTIG_OP_F_SPLIT));
	}
	return false;
}

static int contig_do_op_once(const struct contig_op *op, bool inplace,
			     bool *drained, u32 *outcome)
{
	switch (op->kind) {
	case CONTIG_OP_MOVE:
		return contig_do_move(op, outcome);
	case CONTIG_OP_EXCHANGE:
		return contig_do_exchange(op, inplace, drained, outcome);
	case CONTIG_OP_EXCHANGE_PFN:
		return contig_do_exchange_pfn(op, inplace, outcome);
	case CONTIG_OP_PROMOTE:
		return contig_do_promote(op);
	}
	return -EINVAL;
}

/*
 * CONTIG_OP_F_SPLIT: split the large folios the op names (the page at
 * vaddr_a; the page at vaddr_b or the occupant of frame pfn) into base
 * pages, adding CONTIG_OUT_SPLIT_* to *split.  0 or -errno.
 */
static int contig_split_op(const struct contig_op *op, u32 *split)
{
	struct mm_struct *mm;
	int ret;

	ret = contig_get_mm(op->pid_a, op->flags, &mm);
	if (ret)
		return ret;
	ret = contig_split_at(mm, op->vaddr_a);
	mmput(mm);
	if (ret < 0)
		return ret;
	if (ret)
		*split |= CONTIG_OUT_SPLIT_A;
	ret = 0;
	if (op->kind == CONTIG_OP_EXCHANGE) {
		ret = contig_get_mm(op->pid_b, op->flags, &mm);
		if (ret)
			return ret;
		ret = contig_split_at(mm, op->vaddr_b);
		mmput(mm);
	} else if (op->pfn != CONTIG_PFN_ANY) {
		ret = contig_split_pfn(op->pfn);
	}
	if (ret < 0)
		return ret;
	if (ret)
		*split |= CONTIG_OUT_SPLIT_B;
	return 0;
}

/* Run one op: its result, and in *outcome which pages changed frame. */
static int contig_do_op(const struct contig_op *op, unsigned int cmd,
			bool *drained, u32 *outcome)
{
	bool inplace = contig_inplace_available() &&
		       !(op->flags & CONTIG_OP_F_MIGRATE);
	u32 split = 0;
	int ret;

	*outcome = 0;
	if (!contig_op_valid(op, cmd))
		return -EINVAL;
	ret = contig_do_op_once(op, inplace, drained, outcome);
	/* A large folio in the way: split it if asked to, and go on. */
	if (ret == -EOPNOTSUPP && (op->flags & CONTIG_OP_F_SPLIT)) {
		int err = contig_split_op(op, &split);

		/*
		 * No split (the folio was split or replaced meanwhile, e.g.
		 * by khugepaged or a whole move): run again all the same.
		 */
		if (err)
			ret = err;
		else
			ret = contig_do_op_once(op, inplace, drained, outcome);
	}
	/*
	 * A failed op changed nothing, or (MOVE, EXCHANGE_PFN) has a fixed
	 * target frame: run again, it does what was asked.  An exchange by
	 * migration retries its steps itself.
	 */
	if ((op->kind != CONTIG_OP_EXCHANGE || inplace) &&
	    contig_drain_once(ret, drained))
		ret = contig_do_op_once(op, inplace, drained, outcome);
	*outcome |= split;
	return ret;
}

/*
 * A MOVE or EXCHANGE batch, from the ioctl or from io_uring (contig_uring.c):
 * the one place where the caller's rights are checked.
 */
long contig_run_batch(unsigned int cmd, void __user *arg)
{
	struct contig_batch __user *ubatch = arg;
	struct contig_claims claims;
	struct contig_op __user *uops;
	struct contig_batch batch;
	bool drained = false;
	struct contig_op op;
	u32 i, failed = 0;
	long ret = 0;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (copy_from_user(&batch, ubatch, sizeof(batch)))
		return -EFAULT;
	if (batch.flags || batch.reserved)
		return -EINVAL;
	if (batch.count > CONTIG_MAX_BATCH)
		return -E2BIG;
	uops = u64_to_user_ptr(batch.ops);

	contig_claim_batch(&claims, cmd, uops, batch.count);
	for (i = 0; i < batch.count; i++) {
		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			break;
		}
		if (copy_from_user(&op, &uops[i], sizeof(op))) {
			ret = -EFAULT;
			break;
		}
		op.result = contig_do_op(&op, cmd, &drained, &op.outcome);
		if (op.result)
			failed++;
		if (put_user(op.result, &uops[i].result) ||
		    put_user(op.outcome, &uops[i].outcome)) {
			ret = -EFAULT;
			break;
		}
		cond_resched();
	}
	contig_claim_batch_end(&claims);
	batch.done = i;
	batch.failed = failed;
	if (put_user(batch.done, &ubatch->done) ||
	    put_user(batch.failed, &ubatch->failed))
		return -EFAULT;
	return ret;
}

static long contig_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	void __user *uarg = (void __user *)arg;
	struct contig_info info;

	switch (cmd) {
	case CONTIG_IOC_INFO:
		memset(&info, 0, sizeof(info));
		info.abi_version = CONTIG_ABI_VERSION;
		info.max_batch = CONTIG_MAX_BATCH;
		info.caps = contig_caps();
		info.page_size = PAGE_SIZE;
		return copy_to_user(uarg, &info, sizeof(info)) ? -EFAULT : 0;
	case CONTIG_IOC_MOVE:
	case CONTIG_IOC_EXCHANGE:
		return contig_run_batch(cmd, uarg);
	case CONTIG_IOC_SAMPLE:
		return contig_ioctl_sample(uarg);
	}
	return -ENOTTY;
}

static const struct file_operations contig_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = contig_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.uring_cmd = contig_uring_cmd,
	.llseek = noop_llseek,
};

static struct miscdevice contig_dev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "contig",
	.fops = &contig_fops,
	.mode = 0600,
};

static int __init contig_init(void)
{
	int ret;

	if (symbols)
		contig_syms_resolve();
	ret = misc_register(&contig_dev);
	if (ret)
		return ret;
	contig_stats_init();
	pr_info("abi %d, caps 0x%llx (exchange in place: %s)\n",
		CONTIG_ABI_VERSION, contig_caps(),
		contig_inplace_available() ? "yes" : "no, migration only");
	return 0;
}

static void __exit contig_exit(void)
{
	misc_deregister(&contig_dev);
	contig_stats_exit();
}

module_init(contig_init);
module_exit(contig_exit);

MODULE_DESCRIPTION("Make process memory contiguous by exchanging pages");
MODULE_LICENSE("GPL");
