/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * contigctl show PID [--json]: per-VMA contiguity read from /proc.
 */
#ifndef CONTIG_CTL_SHOW_H
#define CONTIG_CTL_SHOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "contig_proto.h"
#include "contigctl.h"
#include "maps.h"
#include "metrics.h"

/* Run-map tokens kept per VMA: a table cell, and the JSON field. */
#define SHOW_RUNMAP_TOKENS_TEXT 24
#define SHOW_RUNMAP_TOKENS_JSON 64

struct show_vma {
	const struct vma_info *vma;
	struct contig_metrics m;
	uint64_t swapped;
	uint64_t pmd_bytes; /* PMD-mapped THPs (smaps AnonHugePages) */
	char *runmap; /* malloc'd */
};

struct show_result {
	int pid;
	char comm[64];
	struct vma_list maps;
	struct show_vma *v; /* maps.nr entries */
	struct contig_rep_show *daemon; /* the daemon's view, or NULL */
};

int ctl_show(const struct ctl_opts *o, int argc, char **argv);

/*
 * Ask the daemon (if one answers under o->runtime_dir) for its view of
 * r->pid into r->daemon. 0, or -1 when there is none: not an error.
 */
int show_daemon_fetch(const struct ctl_opts *o, struct show_result *r);
/* The daemon's entry for the VMA starting at start, or NULL. */
const struct contig_show_vma *show_daemon_vma(const struct show_result *r,
					      uint64_t start);

/* Renderers (show_print.c). */
void show_print_json(FILE *f, const struct show_result *r);
void show_print_text(FILE *f, const struct show_result *r, bool wide);

#endif
