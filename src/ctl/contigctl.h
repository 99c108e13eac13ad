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
/*
 * "version" of every JSON document contigctl prints; raised when a key
 * changes meaning or goes away (new keys may come without it).
 */
#define CTL_JSON_VERSION 1

struct ctl_opts {
	bool json;
	bool wide; /* show: the full table, lines as long as they come */
	bool wait; /* defrag: until done */
	const char *range; /* defrag: "START-END", or NULL */
	unsigned int timeout_ms; /* defrag --wait: 0: the daemon's default */
	const char *runtime_dir; /* the daemon's socket directory */
	const char *proc_root;   /* NULL: /proc */
};

int ctl_defrag(const struct ctl_opts *o, int argc, char **argv);
int ctl_status(const struct ctl_opts *o, int argc, char **argv);

/* "contigctl: " + message + newline on stderr: one line per error. */
void ctl_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Parse a PID argument: 0, or -EINVAL (not a number, 0, too large). */
int ctl_parse_pid(const char *s, int *pid);

#endif
