// SPDX-License-Identifier: MIT
/*
 * A program linked statically against the installed libcontig
 * (tests/dist/libcontig_link.sh). It defines functions under the names
 * libcontig uses inside, which links only when the archive exports
 * nothing but contig_*; then it queries a buffer it faulted and hints it
 * to a daemon that is not there.
 *
 * Exit 0 when every check holds, 1 otherwise (the reason on stderr).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include <contig.h>

/* The names of libcontig's internals, owned by this program here. */
int lib_call(void);
int lib_range(void);
int proto_hdr_init(void);
int contig_client_connect(void);
int contig_metrics_compute(void);
int array_reserve(void);

int lib_call(void) { return 1; }
int lib_range(void) { return 2; }
int proto_hdr_init(void) { return 3; }
int contig_client_connect(void) { return 4; }
int contig_metrics_compute(void) { return 5; }
int array_reserve(void) { return 6; }

#define LEN (64 * 4096)

int main(void)
{
	struct contig_report r;
	char *buf;
	int err;

	buf = mmap(NULL, LEN, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	memset(buf, 0x5a, LEN);
	if (contig_query(buf, LEN, &r) == 0) {
		if (r.pages != 64 || r.present != 64) {
			fprintf(stderr, "contig_query: pages %llu present %llu, want 64 64\n",
				(unsigned long long)r.pages,
				(unsigned long long)r.present);
			return 1;
		}
	} else if (errno != EPERM) {
		perror("contig_query");
		return 1;
	}
	/* $CONTIGD_RUNTIME_DIR names an empty directory: no daemon. */
	err = contig_advise(buf, LEN, CONTIG_NOW) ? errno : 0;
	if (err != ENOTCONN) {
		fprintf(stderr, "contig_advise without a daemon: %s, want ENOTCONN\n",
			strerror(err));
		return 1;
	}
	if (lib_call() + lib_range() + proto_hdr_init() +
		    contig_client_connect() + contig_metrics_compute() +
		    array_reserve() != 21)
		return 1;
	printf("static libcontig: query pages %llu, advise ENOTCONN\n",
	       (unsigned long long)r.pages);
	return 0;
}
