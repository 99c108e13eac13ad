/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * contigctl's exit codes: the shared table (src/common/exit_codes.h).
 * A request the daemon refuses maps to the same codes: "Permission
 * denied" 3, no such process 2, a bad range 1, anything else 4.
 */
#ifndef CONTIG_CTL_EXIT_CODES_H
#define CONTIG_CTL_EXIT_CODES_H

#include "../common/exit_codes.h"

enum ctl_exit {
	CTL_EXIT_OK = CONTIG_EXIT_OK,
	CTL_EXIT_USAGE = CONTIG_EXIT_USAGE,
	CTL_EXIT_NOPROC = CONTIG_EXIT_NOPROC,
	CTL_EXIT_PERM = CONTIG_EXIT_PERM,
	CTL_EXIT_FAIL = CONTIG_EXIT_FAIL,
	CTL_EXIT_NOMEM_USER = CONTIG_EXIT_NOTHING,
	CTL_EXIT_DAEMON = CONTIG_EXIT_DAEMON,
	CTL_EXIT_NOT_REACHED = CONTIG_EXIT_NOT_REACHED,
	CTL_EXIT_TIMEOUT = CONTIG_EXIT_TIMEOUT,
};

#endif
