// SPDX-License-Identifier: GPL-2.0-only
/*
 * Counters of what the module asked of the page allocator, for tests on
 * kernels without kprobe events: debugfs contig/claim, one line
 *
 *   taken N range N drain_all N lru_drain_all N fast B
 *
 * (frames taken off the free lists, alloc_contig_range() calls,
 * drain_all_pages() calls, lru_add_drain_all() calls, counted since the
 * module was loaded; B is 1 when frames can be taken off the free lists at
 * all).  Without debugfs the counters are kept and not shown.
 */
#include <linux/atomic.h>
#include <linux/debugfs.h>
#include <linux/seq_file.h>

#include "contig.h"

static atomic_long_t contig_stat[CONTIG_STAT_NR];
static struct dentry *contig_debugfs_dir;

void contig_stat_inc(enum contig_stat_item item)
{
	atomic_long_inc(&contig_stat[item]);
}

static int contig_claim_show(struct seq_file *m, void *v)
{
	seq_printf(m,
		   "taken %ld range %ld drain_all %ld lru_drain_all %ld fast %d\n",
		   atomic_long_read(&contig_stat[CONTIG_STAT_TAKEN]),
		   atomic_long_read(&contig_stat[CONTIG_STAT_RANGE]),
		   atomic_long_read(&contig_stat[CONTIG_STAT_DRAIN_ALL]),
		   atomic_long_read(&contig_stat[CONTIG_STAT_LRU_DRAIN_ALL]),
		   contig_claim_fast_available());
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(contig_claim);

void contig_stats_init(void)
{
	contig_debugfs_dir = debugfs_create_dir(KBUILD_MODNAME, NULL);
	debugfs_create_file("claim", 0400, contig_debugfs_dir, NULL,
			    &contig_claim_fops);
}

void contig_stats_exit(void)
{
	debugfs_remove_recursive(contig_debugfs_dir);
}
