/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The runtime directory (socket, stats file), held as a directory
 * descriptor: created 0755 if missing, and accepted only when it is a
 * real directory (no symlink followed for its last component), owned by
 * our effective uid and not writable by group or others, so that nobody
 * else can replace the socket in it. Later paths in it go through the
 * descriptor (/proc/self/fd/N/...), never through its name again.
 */
#ifndef CONTIG_DAEMON_RUNDIR_H
#define CONTIG_DAEMON_RUNDIR_H

#include <stddef.h>

/*
 * The directory descriptor (O_PATH is not enough for fstat/openat
 * everywhere, so O_RDONLY | O_DIRECTORY), or -errno with a line in msg:
 * -ELOOP/-ENOTDIR (a symlink or not a directory), -EPERM (wrong owner
 * or mode).
 */
int rundir_open(const char *path, char *msg, size_t size);

/* "/proc/self/fd/<dirfd>/<name>" into buf: 0 or -ENAMETOOLONG. */
int rundir_path(int dirfd, const char *name, char *buf, size_t size);

#endif
