// SPDX-License-Identifier: GPL-2.0-only
/*
 * Batched reads of /proc/kpageflags and /proc/kpagecount.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <unistd.h>

#include "kpageflags.h"
#include "proc_file.h"

/* Entries per pread (512 KiB). */
#define KPAGE_BATCH 65536u

int kpage_open(const char *proc_root, const char *name)
{
	char path[PATH_MAX];
	int fd, err;

	err = probe_path(path, sizeof(path), proc_root, "%s", name);
	if (err)
		return err;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int kpage_read(int fd, uint64_t pfn, uint64_t nr, uint64_t *out,
	       uint64_t *nr_read)
{
	uint64_t bytes = 0, want;

	*nr_read = 0;
	if (pfn > (uint64_t)INT64_MAX / 8 || nr > (uint64_t)SSIZE_MAX / 8)
		return -EINVAL;
	want = nr * 8;
	while (bytes < want) {
		size_t chunk = want - bytes < KPAGE_BATCH * 8 ?
				       (size_t)(want - bytes) :
				       KPAGE_BATCH * 8;
		ssize_t r = pread(fd, (char *)out + bytes, chunk,
				  (off_t)(pfn * 8 + bytes));

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r == 0)
			break;
		bytes += (uint64_t)r;
	}
	*nr_read = bytes / 8;
	return 0;
}

int kpageflags_read(const char *proc_root, uint64_t pfn, uint64_t nr,
		    uint64_t *flags, uint64_t *nr_read)
{
	int fd = kpage_open(proc_root, "kpageflags");
	int err;

	if (fd < 0)
		return fd;
	err = kpage_read(fd, pfn, nr, flags, nr_read);
	close(fd);
	return err;
}
