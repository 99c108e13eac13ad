/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * contigctl exit codes (documented again in contigctl(8)):
 *
 *   0  success
 *   1  usage error: unknown subcommand or option, bad PID or argument
 *   2  no such process, or it exited (or became a zombie) while being read
 *   3  permission denied: no ptrace access to the process, or physical
 *      frame numbers are hidden from us (they need CAP_SYS_ADMIN)
 *   4  any other failure: I/O error, out of memory, unparsable /proc data
 *   5  the process has no user memory (a kernel thread)
 *   6  the daemon is not reachable (defrag, status), or it went away
 *   7  defrag --wait: the pass ran but the target was not reached
 *   8  defrag --wait: not done within the timeout (the work goes on)
 *
 * A request the daemon refuses maps to the same codes: "Permission
 * denied" 3, no such process 2, a bad range 1, anything else 4.
 */
#ifndef CONTIG_CTL_EXIT_CODES_H
#define CONTIG_CTL_EXIT_CODES_H

enum ctl_exit {
	CTL_EXIT_OK = 0,
	CTL_EXIT_USAGE = 1,
	CTL_EXIT_NOPROC = 2,
	CTL_EXIT_PERM = 3,
	CTL_EXIT_FAIL = 4,
	CTL_EXIT_NOMEM_USER = 5,
	CTL_EXIT_DAEMON = 6,
	CTL_EXIT_NOT_REACHED = 7,
	CTL_EXIT_TIMEOUT = 8,
};

#endif
