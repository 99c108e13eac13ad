/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Which address space a process runs now, as the daemon sees it.
 *
 * A caller's /proc/PID/pagemap descriptor holds the mm it was opened on.
 * A sibling that shares that mm (CLONE_VM) keeps it alive after PID
 * exec'd, so "the descriptor still reads" does not mean "PID still runs
 * that image". Two checks close the gap:
 *
 *  - image_proof_reads_current(): the daemon samples present pages of
 *    PID's current mm (its own open of maps and pagemap) and asks whether
 *    the proof sees them present as well;
 *  - image_fingerprint(): the layout of the current mm from
 *    /proc/PID/stat (code, data, brk, arguments, environment, stack),
 *    recorded at bind and compared at every check.
 */
#ifndef CONTIG_DAEMON_TARGET_IMAGE_H
#define CONTIG_DAEMON_TARGET_IMAGE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define IMAGE_SAMPLE_MAX 64
#define IMAGE_FP_FIELDS 10

struct image_fp {
	uint64_t v[IMAGE_FP_FIELDS];
};

/*
 * Does proof read PID's current mm? Up to IMAGE_SAMPLE_MAX present pages
 * spread over the current VMAs; at least half of them (and one) must be
 * present through proof. 0 yes, -EPERM no, other -errno (PID gone:
 * -ESRCH).
 */
int image_proof_reads_current(const char *proc_root, pid_t pid, int proof);

/* The current mm's layout. 0 or -errno (-ESRCH: gone). All zero: no mm. */
int image_fingerprint(const char *proc_root, pid_t pid, struct image_fp *fp);

bool image_fp_equal(const struct image_fp *a, const struct image_fp *b);

#endif
