/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * /proc/vmstat for the guest test programs: one counter, read after
 * folding every CPU's pending deltas in (stat_refresh), so that small
 * changes such as nr_isolated_* show at once.
 */
#ifndef GUEST_VMSTAT_H
#define GUEST_VMSTAT_H

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Fold every CPU's pending counter deltas into /proc/vmstat (root only). */
static inline void vmstat_refresh(void)
{
	int fd = open("/proc/sys/vm/stat_refresh", O_WRONLY);

	if (fd >= 0) {
		if (write(fd, "1", 1) != 1)
			perror("/proc/sys/vm/stat_refresh");
		close(fd);
	}
}

/* The value of counter key in /proc/vmstat, 0 if absent. */
static inline uint64_t vmstat(const char *key)
{
	char line[128];
	size_t n = strlen(key);
	uint64_t v = 0;
	FILE *f = fopen("/proc/vmstat", "r");

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, key, n) && line[n] == ' ')
			v = strtoull(line + n + 1, NULL, 10);
	if (f)
		fclose(f);
	return v;
}

/* Pages isolated from the LRU now (anonymous and file). */
static inline uint64_t vmstat_isolated(void)
{
	vmstat_refresh();
	return vmstat("nr_isolated_anon") + vmstat("nr_isolated_file");
}

#endif /* GUEST_VMSTAT_H */
