// SPDX-License-Identifier: GPL-2.0-only
/*
 * Resolve the unexported functions of the in-place exchange
 *
 * kallsyms_lookup_name() itself is not exported; a kprobe on it tells its
 * address.  A function that cannot be found, or cannot be called safely
 * (sealed against indirect calls under IBT), stays NULL and the module only
 * advertises the migration fallback.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kallsyms.h>
#include <linux/kprobes.h>
#include <linux/module.h>
#include <asm/cpufeature.h>

#include "contig.h"

struct contig_syms contig_syms;

/* ENDBR64, the first instruction of an indirect-branch target. */
#define CONTIG_ENDBR64 0xfa1e0ff3U

static bool contig_ibt_enabled(void)
{
#ifdef X86_FEATURE_IBT
	return cpu_feature_enabled(X86_FEATURE_IBT);
#else
	return false;
#endif
}

/*
 * With IBT enabled, an indirect call must land on ENDBR64; functions whose
 * address the kernel never takes have theirs sealed at boot.
 */
static bool contig_callable(unsigned long addr)
{
	u32 insn;

	if (!addr)
		return false;
	if (!contig_ibt_enabled())
		return true;
	if (copy_from_kernel_nofault(&insn, (void *)addr, sizeof(insn)))
		return false;
	return insn == CONTIG_ENDBR64;
}

typedef unsigned long (*contig_lookup_fn)(const char *name);

static contig_lookup_fn contig_find_lookup(void)
{
	struct kprobe kp = { .symbol_name = "kallsyms_lookup_name" };
	unsigned long addr;
	u32 insn;

	if (register_kprobe(&kp) < 0)
		return NULL;
	addr = (unsigned long)kp.addr;
	unregister_kprobe(&kp);
	/* kprobes skip a leading ENDBR64: step back onto it. */
	if (addr &&
	    !copy_from_kernel_nofault(&insn, (void *)(addr - 4),
				      sizeof(insn)) &&
	    insn == CONTIG_ENDBR64)
		addr -= 4;
	if (!contig_callable(addr))
		return NULL;
	return (contig_lookup_fn)addr;
}

static void *contig_resolve(contig_lookup_fn lookup, const char *name)
{
	unsigned long addr = lookup(name);

	if (!contig_callable(addr)) {
		pr_info("%s: %s\n", name, addr ? "not callable" : "not found");
		return NULL;
	}
	return (void *)addr;
}

void contig_syms_resolve(void)
{
	contig_lookup_fn lookup = contig_find_lookup();

	memset(&contig_syms, 0, sizeof(contig_syms));
	if (!lookup) {
		pr_info("kallsyms_lookup_name unavailable: migration fallback only\n");
		return;
	}
	contig_syms.folio_isolate_lru =
		contig_resolve(lookup, "folio_isolate_lru");
	contig_syms.try_to_migrate = contig_resolve(lookup, "try_to_migrate");
	contig_syms.remove_migration_ptes =
		contig_resolve(lookup, "remove_migration_ptes");
	contig_syms.folio_get_anon_vma =
		contig_resolve(lookup, "folio_get_anon_vma");
	contig_syms.put_anon_vma = contig_resolve(lookup, "__put_anon_vma");
	contig_syms.lru_add_drain_all =
		contig_resolve(lookup, "lru_add_drain_all");
	contig_syms.ptrace_may_access =
		contig_resolve(lookup, "ptrace_may_access");
	contig_syms.pidfd_pid = contig_resolve(lookup, "pidfd_pid");
	contig_syms.get_pfnblock_flags_mask =
		contig_resolve(lookup, "get_pfnblock_flags_mask");
	/* The frame claims of contig_claim.c (MEMORY_FAILURE kernels). */
	contig_syms.take_page_off_buddy =
		contig_resolve(lookup, "take_page_off_buddy");
	contig_syms.post_alloc_hook = contig_resolve(lookup, "post_alloc_hook");
	contig_syms.drain_local_pages =
		contig_resolve(lookup, "drain_local_pages");
	contig_syms.drain_all_pages = contig_resolve(lookup, "drain_all_pages");
#ifdef CONFIG_TRANSPARENT_HUGEPAGE
	contig_syms.split_huge_page = contig_resolve(lookup, CONTIG_SPLIT_SYM);
#endif
#if CONTIG_PROMOTE_BUILT
	contig_syms.pmdp_collapse_flush =
		contig_resolve(lookup, "pmdp_collapse_flush");
	contig_syms.pgtable_trans_huge_deposit =
		contig_resolve(lookup, "pgtable_trans_huge_deposit");
#if CONTIG_PROMOTE_FOLIO_RMAP
	contig_syms.add_new_anon_rmap =
		contig_resolve(lookup, "folio_add_new_anon_rmap");
	contig_syms.remove_rmap = contig_resolve(lookup, "folio_remove_rmap_ptes");
#else
	contig_syms.add_new_anon_rmap =
		contig_resolve(lookup, "page_add_new_anon_rmap");
	contig_syms.remove_rmap = contig_resolve(lookup, "page_remove_rmap");
#endif
#endif
#ifdef CONFIG_MIGRATION
	contig_syms.migrate_pages = contig_resolve(lookup, "migrate_pages");
#endif
	contig_syms.prep_compound_page =
		contig_resolve(lookup, "prep_compound_page");
#ifdef CONFIG_SECURITY
	contig_syms.security_task_movememory =
		contig_resolve(lookup, "security_task_movememory");
#endif
}

bool contig_inplace_available(void)
{
	return contig_syms.folio_isolate_lru && contig_syms.try_to_migrate &&
	       contig_syms.remove_migration_ptes &&
	       contig_syms.folio_get_anon_vma && contig_syms.put_anon_vma;
}
