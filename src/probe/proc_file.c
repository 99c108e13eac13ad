// SPDX-License-Identifier: GPL-2.0-only
/*
 * Shared /proc helpers: proc root, whole-file reads, strict numbers.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proc_file.h"

const char *probe_proc_root(const char *proc_root)
{
	return proc_root && *proc_root ? proc_root : PROBE_PROC_ROOT_DEFAULT;
}

int probe_path(char *buf, size_t size, const char *proc_root, const char *fmt,
	       ...)
{
	va_list ap;
	int n, m;

	n = snprintf(buf, size, "%s/", probe_proc_root(proc_root));
	if (n < 0 || (size_t)n >= size)
		return -ENAMETOOLONG;
	va_start(ap, fmt);
	m = vsnprintf(buf + n, size - n, fmt, ap);
	va_end(ap);
	if (m < 0 || (size_t)m >= size - n)
		return -ENAMETOOLONG;
	return 0;
}

int probe_read_file(const char *path, char **out, size_t *len)
{
	size_t cap = 16384, n = 0;
	char *buf;
	int fd, err = 0;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	buf = malloc(cap);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	for (;;) {
		ssize_t r;

		if (cap - n < 4096) {
			char *p = realloc(buf, cap * 2);

			if (!p) {
				err = -ENOMEM;
				goto out_free;
			}
			buf = p;
			cap *= 2;
		}
		r = read(fd, buf + n, cap - n - 1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			goto out_free;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	buf[n] = '\0';
	*out = buf;
	if (len)
		*len = n;
	return 0;

out_free:
	free(buf);
	close(fd);
	return err;
}

int probe_parse_u64(const char *s, int base, uint64_t *val, char **end)
{
	unsigned long long v;
	char *e;

	/* strtoull accepts leading blanks and a minus sign: we do not. */
	if (!s || !isxdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &e, base);
	if (errno == ERANGE)
		return -ERANGE;
	if (errno || e == s)
		return -EINVAL;
	if (!end && *e)
		return -EINVAL;
	if (end)
		*end = e;
	*val = v;
	return 0;
}

int probe_parse_range(const char *s, uint64_t *start, uint64_t *end)
{
	const char *dash = strchr(s, '-');
	char first[32];
	size_t n;

	if (!dash || (n = (size_t)(dash - s)) >= sizeof(first) || !n)
		return -EINVAL;
	memcpy(first, s, n);
	first[n] = '\0';
	if (probe_parse_u64(first, 0, start, NULL) ||
	    probe_parse_u64(dash + 1, 0, end, NULL))
		return -EINVAL;
	if ((*start | *end) & 4095)
		return -EINVAL; /* not page-aligned */
	return *start < *end ? 0 : -EINVAL;
}
