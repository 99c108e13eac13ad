/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Small helpers shared by the /proc readers: a settable proc root, whole-file
 * reads, and strict number parsing.
 *
 * Every reader takes a proc_root argument: NULL or "" means "/proc"; tests
 * point it at a fake tree in a temporary directory.
 */
#ifndef CONTIG_PROBE_PROC_FILE_H
#define CONTIG_PROBE_PROC_FILE_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#define PROBE_PROC_ROOT_DEFAULT "/proc"

/* proc_root, or the default when it is NULL or empty. */
const char *probe_proc_root(const char *proc_root);

/*
 * Format "<root>/<fmt...>" into buf. 0, or -ENAMETOOLONG.
 */
int probe_path(char *buf, size_t size, const char *proc_root,
	       const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/*
 * Read a whole file (sizes of /proc files are not known in advance) into a
 * NUL-terminated malloc'd buffer. 0 or -errno; on success *out must be
 * freed by the caller, *len (if not NULL) excludes the NUL.
 */
int probe_read_file(const char *path, char **out, size_t *len);

/*
 * Parse an unsigned number in base (0 = C rules) from s. On success stores
 * the value and, if end is not NULL, where parsing stopped; when end is
 * NULL the whole string must be consumed. 0, -EINVAL or -ERANGE.
 */
int probe_parse_u64(const char *s, int base, uint64_t *val, char **end);

/*
 * Parse "START-END" (numbers in C notation, 0x... for hex): both
 * page-aligned (4 KiB) and START < END. 0 or -EINVAL.
 */
int probe_parse_range(const char *s, uint64_t *start, uint64_t *end);

/* Map an errno from opening or reading a per-process file: a vanished
 * process shows up as ENOENT or ESRCH; both become ESRCH. */
static inline int probe_task_errno(int err)
{
	return (err == ENOENT || err == ESRCH) ? ESRCH : err;
}

#endif
