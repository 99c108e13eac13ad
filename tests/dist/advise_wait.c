// SPDX-License-Identifier: GPL-2.0-only
/*
 * advise_wait MiB: hold MiB of scattered memory and ask contigd for it
 * with contig_advise(CONTIG_NOW), as an application would; print
 * "advise ok|<errno name> <milliseconds>" and exit 0 (the outcome is the
 * caller's to judge), 2 on a usage or set-up error. How long the call
 * waits is the point (tests/dist/cli_contract.py): the daemon's
 * wait_timeout_ms, or $CONTIG_TIMEOUT_MS.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <contig.h>

#include "test_mem.h"

static void touch(char *region, size_t page)
{
	memset(region + page * PAGE, 0x5a, PAGE);
}

int main(int argc, char **argv)
{
	uint64_t seed = 0x9e3779b97f4a7c15ULL;
	struct timespec t0, t1;
	unsigned long mib;
	char *region, *other, *end;
	size_t len;
	long ms;
	int err;

	if (argc != 2)
		goto usage;
	errno = 0;
	mib = strtoul(argv[1], &end, 10);
	if (errno || *end || !mib || mib % 2 || mib > 4096)
		goto usage;
	len = mib << 20;
	region = fenced_map(len, HUGE);
	other = fenced_map(len, PAGE);
	if (!region || !other || madvise(other, len, MADV_NOHUGEPAGE) ||
	    scatter_fault(region, other, len / PAGE, &seed, touch)) {
		perror("advise_wait: setting up the memory");
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	err = contig_advise(region, len, CONTIG_NOW) ? errno : 0;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 +
	     (t1.tv_nsec - t0.tv_nsec) / 1000000;
	printf("advise %s %ld\n",
	       err == 0 ? "ok" : err == ETIMEDOUT ? "ETIMEDOUT" : strerror(err),
	       ms);
	return 0;
usage:
	fprintf(stderr, "usage: advise_wait MiB (even)\n");
	return 2;
}
