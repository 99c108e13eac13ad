/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * contigd --check-config [FILE] (contigd(8)).
 */
#ifndef CONTIG_DAEMON_CHECK_CONFIG_H
#define CONTIG_DAEMON_CHECK_CONFIG_H

#include <stdbool.h>

/*
 * Parse path as contigd.conf(5): prints "PATH: ok" and returns
 * CONTIGD_EXIT_OK, or prints the error (file:line: what) on stderr and
 * returns CONTIGD_EXIT_CONFIG. A missing file is fine unless the
 * caller named it (explicit_path): the defaults apply then.
 */
int check_config(const char *path, bool explicit_path);

#endif
