// SPDX-License-Identifier: GPL-2.0-only
/*
 * stderr logger with journald priority prefixes (see log.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "log.h"

static int log_verbose;
static int log_to_journal;

void log_init(int verbose)
{
	const char *js = getenv("JOURNAL_STREAM");

	log_verbose = verbose;
	log_to_journal = js && *js;
}

int log_journal(void)
{
	return log_to_journal;
}

__attribute__((format(printf, 3, 0))) static void
vlog(int pri, const char *errstr, const char *fmt, va_list ap)
{
	char msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (log_to_journal)
		fprintf(stderr, "<%d>", pri);
	if (errstr)
		fprintf(stderr, "contigd: %s: %s\n", msg, errstr);
	else
		fprintf(stderr, "contigd: %s\n", msg);
}

void log_warn(const char *fmt, ...)
{
	const char *e = strerror(errno);
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_WARNING, e, fmt, ap);
	va_end(ap);
}

void log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_WARNING, NULL, fmt, ap);
	va_end(ap);
}

void log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_INFO, NULL, fmt, ap);
	va_end(ap);
}

void log_debug(const char *fmt, ...)
{
	va_list ap;

	if (!log_verbose)
		return;
	va_start(ap, fmt);
	vlog(LOG_DEBUG, NULL, fmt, ap);
	va_end(ap);
}

void fatal(int code, const char *fmt, ...)
{
	const char *e = strerror(errno);
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_CRIT, e, fmt, ap);
	va_end(ap);
	exit(code);
}

void fatalx(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_CRIT, NULL, fmt, ap);
	va_end(ap);
	exit(code);
}
