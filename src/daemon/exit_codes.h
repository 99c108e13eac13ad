/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * contigd exit codes (documented again in contigd(8)):
 *
 *   0  success; with --once: the target was reached (sim/kmod: the range
 *      is one physical run; collapse: every 2 MiB-aligned block of the
 *      range is backed by one aligned 2 MiB frame block)
 *   1  usage error: unknown option, bad PID, range or number
 *   2  no such process, or it exited during the pass
 *   3  permission denied: no ptrace access, or physical frame numbers
 *      hidden (they need CAP_SYS_ADMIN)
 *   4  any other failure: I/O error, out of memory, stats file not
 *      written, unparsable /proc data
 *   5  --once ran but the target was not reached (some ops failed or
 *      were refused; the figures say how far it got)
 *   6  the requested backend is not available (kmod without a usable
 *      /dev/contig or not built in; sim outside tests)
 *   7  the configuration file is invalid (the message names file:line),
 *      or a file given with --config does not exist
 *   8  nothing to do: the range holds no anonymous memory of the process
 *   9  another contigd is listening on the control socket
 */
#ifndef CONTIG_DAEMON_EXIT_CODES_H
#define CONTIG_DAEMON_EXIT_CODES_H

enum contigd_exit {
	CONTIGD_EXIT_OK = 0,
	CONTIGD_EXIT_USAGE = 1,
	CONTIGD_EXIT_NOPROC = 2,
	CONTIGD_EXIT_PERM = 3,
	CONTIGD_EXIT_FAIL = 4,
	CONTIGD_EXIT_NOT_REACHED = 5,
	CONTIGD_EXIT_BACKEND = 6,
	CONTIGD_EXIT_CONFIG = 7,
	CONTIGD_EXIT_NOTHING = 8,
	CONTIGD_EXIT_RUNNING = 9,
};

#endif
