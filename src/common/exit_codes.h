/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The exit codes of contigd and contigctl: one table, one meaning per
 * number, documented word for word in contigd(8) and contigctl(8) (the
 * exit_codes test compares the two pages with this table).
 *
 *   0  success
 *   1  usage error: unknown command or option, bad PID, range or number
 *   2  no such process, or it exited while being worked on or read
 *   3  permission denied: no ptrace access, or physical frame numbers
 *      hidden (they need CAP_SYS_ADMIN)
 *   4  any other failure: I/O error, out of memory, unparsable /proc data
 *   5  the work ran but the target was not reached
 *   6  the requested backend is not available
 *   7  the configuration file is invalid, or missing when named
 *   8  nothing to do: no user memory to work on (kernel thread, or no
 *      anonymous memory in the range)
 *   9  another contigd is listening on the control socket
 *  10  contigd is not reachable, or it closed the connection
 *  11  not done within the wait time (the work goes on)
 */
#ifndef CONTIG_COMMON_EXIT_CODES_H
#define CONTIG_COMMON_EXIT_CODES_H

enum contig_exit {
	CONTIG_EXIT_OK = 0,
	CONTIG_EXIT_USAGE = 1,
	CONTIG_EXIT_NOPROC = 2,
	CONTIG_EXIT_PERM = 3,
	CONTIG_EXIT_FAIL = 4,
	CONTIG_EXIT_NOT_REACHED = 5,
	CONTIG_EXIT_BACKEND = 6,
	CONTIG_EXIT_CONFIG = 7,
	CONTIG_EXIT_NOTHING = 8,
	CONTIG_EXIT_RUNNING = 9,
	CONTIG_EXIT_DAEMON = 10,
	CONTIG_EXIT_TIMEOUT = 11,
};

#endif
