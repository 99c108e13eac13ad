/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * contigd's exit codes: the shared table (src/common/exit_codes.h).
 * With --once, 0 means the target was reached (sim/kmod: the range is
 * one physical run; collapse: every 2 MiB-aligned block of the range is
 * backed by one aligned 2 MiB frame block).
 */
#ifndef CONTIG_DAEMON_EXIT_CODES_H
#define CONTIG_DAEMON_EXIT_CODES_H

#include "../common/exit_codes.h"

enum contigd_exit {
	CONTIGD_EXIT_OK = CONTIG_EXIT_OK,
	CONTIGD_EXIT_USAGE = CONTIG_EXIT_USAGE,
	CONTIGD_EXIT_NOPROC = CONTIG_EXIT_NOPROC,
	CONTIGD_EXIT_PERM = CONTIG_EXIT_PERM,
	CONTIGD_EXIT_FAIL = CONTIG_EXIT_FAIL,
	CONTIGD_EXIT_NOT_REACHED = CONTIG_EXIT_NOT_REACHED,
	CONTIGD_EXIT_BACKEND = CONTIG_EXIT_BACKEND,
	CONTIGD_EXIT_CONFIG = CONTIG_EXIT_CONFIG,
	CONTIGD_EXIT_NOTHING = CONTIG_EXIT_NOTHING,
	CONTIGD_EXIT_RUNNING = CONTIG_EXIT_RUNNING,
};

#endif
