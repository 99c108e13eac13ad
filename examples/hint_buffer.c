// SPDX-License-Identifier: MIT
/*
 * hint_buffer: the smallest use of libcontig. Allocates a buffer, touches
 * every page, prints its physical contiguity, asks contigd to make it
 * contiguous and prints the figures again.
 *
 *   cc hint_buffer.c $(pkg-config --cflags --libs contig)
 *   ./hint_buffer [--want] [MiB]
 *
 * --want queues the hint and returns at once (CONTIG_WANT); the default
 * waits for the result (CONTIG_NOW). Exit: 0 done (or queued), 1 the hint
 * failed, 2 usage or allocation error. contig_query needs CAP_SYS_ADMIN
 * to see frame numbers; without it the figures are skipped.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <contig.h>

static void print(const char *when, void *buf, size_t len)
{
	struct contig_report r;

	if (contig_query(buf, len, &r)) {
		printf("%-6s (no figures: %s)\n", when, strerror(errno));
		return;
	}
	printf("%-6s pages %llu present %llu runs %llu largest_run %llu aligned_2m %llu\n",
	       when, (unsigned long long)r.pages, (unsigned long long)r.present,
	       (unsigned long long)r.runs, (unsigned long long)r.largest_run,
	       (unsigned long long)r.aligned_2m);
}

int main(int argc, char **argv)
{
	int flags = CONTIG_NOW, i;
	unsigned long mib = 64;
	size_t len, off;
	char *buf, *end;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--want")) {
			flags = CONTIG_WANT;
			continue;
		}
		errno = 0;
		mib = strtoul(argv[i], &end, 10);
		if (errno || *end || !mib || mib > 1 << 20) {
			fprintf(stderr, "usage: hint_buffer [--want] [MiB]\n");
			return 2;
		}
	}
	len = mib << 20;
	buf = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED) {
		perror("hint_buffer: mmap");
		return 2;
	}
	for (off = 0; off < len; off += 4096)
		buf[off] = (char)off;
	print("before", buf, len);
	if (contig_advise(buf, len, flags)) {
		fprintf(stderr, "hint_buffer: contig_advise: %s\n",
			strerror(errno));
		return 1;
	}
	print(flags == CONTIG_NOW ? "after" : "queued", buf, len);
	for (off = 0; off < len; off += 4096)
		if (buf[off] != (char)off) {
			fprintf(stderr, "hint_buffer: page at %zu changed\n",
				off);
			return 1;
		}
	return 0;
}
