/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What every contigctl subcommand gets: the parsed common options and its
 * positional arguments. A subcommand returns an exit code (exit_codes.h)
 * and reports its own errors with ctl_err().
 */
#ifndef CONTIG_CTL_CONTIGCTL_H
#define CONTIG_CTL_CONTIGCTL_H

#include <stdbool.h>

#define CTL_PROG "contigctl"
#define CTL_RUNTIME_DIR_DEFAULT "/run/contigd"
#define CTL_RUNTIME_DIR_ENV "CONTIGD_RUNTIME_DIR"

struct ctl_opts {
	bool json;
	const char *runtime_dir; /* daemon socket directory (not used yet) */
	const char *proc_root;   /* NULL: /proc */
};

/* "contigctl: " + message + newline on stderr: one line per error. */
void ctl_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Parse a PID argument: 0, or -EINVAL (not a number, 0, too large). */
int ctl_parse_pid(const char *s, int *pid);

#endif
