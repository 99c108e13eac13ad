/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * contig_test - exercises /dev/contig inside the test VM (tests/vm/run
 * builds the .c files of this directory into one static program).
 *
 *   contig_test [CASE...]     run the cases (all by default), TAP output
 *   contig_test --list        list the cases
 *   contig_test bench [N]     benchmark N pairs, one "CONTIG-JSON: {...}" line
 *
 * Placement is checked through /proc/PID/pagemap, contents through a
 * per-page pattern derived from (seed, page index).
 */
#ifndef CONTIG_GUEST_CONTIG_TEST_H
#define CONTIG_GUEST_CONTIG_TEST_H

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/capability.h>
#include <linux/io_uring.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "contig_ioctl.h"

#define PG 4096UL
#define KPF_SLAB 7
#define KPF_BUDDY 10
#define KPF_ANON 12
#define KPF_KSM 21
#define KPF_THP 22

enum { PASS = 0, FAIL = 1, SKIP = 2 };

#define diag(...)                         \
	do {                              \
		printf("# " __VA_ARGS__); \
		putchar('\n');            \
		fflush(stdout);           \
	} while (0)

struct zone_r {
	char name[16];
	uint64_t start, end;
};

/* A child with a filled region; it checks it when told to, then exits. */
struct child {
	pid_t pid;
	int to[2], from[2];
	char *base;
	size_t npages;
};

/* State of the program (util.c). */
extern int nzones;
extern struct zone_r zones[8];
extern char skip_why[160];
extern struct contig_info info;
extern int devfd;

/* Memory, zones, ioctls and child processes (util.c). */
int skip(const char *why);
void fill(void *base, size_t npages, uint64_t seed);
size_t check(const void *base, size_t npages, uint64_t seed);
void *map_anon(size_t npages);
int read_pfns(pid_t pid, const void *base, size_t npages, uint64_t *pfn);
uint64_t pfn_of(const void *va);
int kflags(uint64_t pfn, uint64_t *flags);
void read_zones(void);
int zone_of(uint64_t pfn);
size_t free_frames(int z, uint64_t *out, size_t n);
int submit(unsigned long cmd, struct contig_op *ops, size_t n);
size_t submit_retry(unsigned long cmd, struct contig_op *ops, size_t n,
		    int rounds);
struct contig_op op_xchg(pid_t pa, const void *a, pid_t pb, const void *b,
			 uint32_t flags);
struct contig_op op_move(pid_t pid, const void *a, uint64_t pfn);
int one(unsigned long cmd, struct contig_op op);
void print_failures(const struct contig_op *ops, size_t n);
int child_start(struct child *c, size_t npages, uint64_t seed);
int child_finish(struct child *c);

/* Exchanges and moves (cases.c). */
int t_exchange_self(void);
int t_exchange_self_migrate(void);
int t_exchange_pfn_self(void);
int t_move_any(void);
int t_move_self(void);
int t_exchange_cross(void);
int t_move_cross(void);

/* Error cases (errors.c). */
int t_err_file(void);
int t_err_thp(void);
int t_err_ksm(void);
int t_err_pinned_vmsplice(void);
int t_err_pinned_io_uring(void);
int t_err_unmovable_target(void);
int t_err_other_zone(void);
int t_err_bad_pid(void);
int t_err_unmapped(void);
int t_err_kernel_addr(void);
int t_err_malformed(void);
int t_random_frames(void);
int t_err_oversized(void);
int t_err_no_cap_sys_admin(void);
int t_err_no_ptrace_access(void);

/* Races (races.c). */
int t_race_munmap(void);
int t_race_fork_exit(void);
int t_race_threads(void);

/* The case table and main() (main.c). */
int t_info(void);

/* The benchmark (bench.c). */
int bench(size_t n);

#endif
