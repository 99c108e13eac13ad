// SPDX-License-Identifier: GPL-2.0-only
/*
 * A process of many VMAs, each faulted again and again: N pages, every
 * other page of the mapping PROT_NONE so that no two merge, plus 16 MiB
 * of plain memory.  Prints "ready PID" and refaults its pages (MADV_
 * DONTNEED, then a write) every 100 ms until its standard input closes.
 *
 * usage: many_vmas [N]   (default 8000)
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PLAIN_BYTES (16u << 20)

static int parse_count(const char *s, unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(s, &end, 10);
	if (errno || end == s || *end || !*out || *out > 60000)
		return -EINVAL;
	return 0;
}

int main(int argc, char **argv)
{
	const size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	struct pollfd in = { .fd = 0, .events = POLLIN };
	unsigned long n = 8000, i;
	unsigned char round = 0;
	char *base, *plain;

	if (argc > 2 || (argc == 2 && parse_count(argv[1], &n))) {
		fprintf(stderr, "usage: many_vmas [N (1-60000)]\n");
		return 2;
	}
	base = mmap(NULL, n * 2 * pg, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	plain = mmap(NULL, PLAIN_BYTES, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED || plain == MAP_FAILED) {
		perror("many_vmas: mmap");
		return 1;
	}
	for (i = 0; i < n; i++)
		if (mprotect(base + (2 * i + 1) * pg, pg, PROT_NONE)) {
			perror("many_vmas: mprotect");
			return 1;
		}
	memset(plain, 1, PLAIN_BYTES);
	printf("ready %d\n", (int)getpid());
	fflush(stdout);
	for (;;) {
		round++;
		for (i = 0; i < n; i++) {
			base[2 * i * pg] = (char)round;
			madvise(base + 2 * i * pg, pg, MADV_DONTNEED);
		}
		if (poll(&in, 1, 100) > 0)
			return 0; /* input closed, or a line: done */
	}
}
