/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Logging in the manner of the OpenBSD daemons: one line per message on
 * stderr, "contigd: " first. Under systemd (JOURNAL_STREAM set) each line
 * starts with a "<N>" syslog priority so that journald keeps the level.
 *
 *   log_warn   warning, with ": strerror(errno)" appended
 *   log_warnx  warning
 *   log_info   informational
 *   log_debug  only when verbose
 *   fatal      log_warn, then exit(code); fatalx without errno text
 */
#ifndef CONTIG_DAEMON_LOG_H
#define CONTIG_DAEMON_LOG_H

#include <stdarg.h>

void log_init(int verbose);
int log_journal(void);

void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fatal(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));
void fatalx(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));

#endif
