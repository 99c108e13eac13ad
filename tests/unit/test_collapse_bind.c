// SPDX-License-Identifier: GPL-2.0-only
/*
 * The collapse backend keeps a process's descriptors for one job, taken
 * from the job's binding (backend_bind), not by pid across jobs: an exec
 * between two jobs must not leave the second reading the old address
 * space, nor a pid reused between two jobs give a spurious ESRCH.
 * Real processes; frame numbers need CAP_SYS_ADMIN (skipped without).
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "backend.h"
#include "have_pidfd.h"
#include "pagemap.h"

#define PAGE 4096UL
/* Far from where the kernel places anything of a new image. */
#define FAR_ADDR 0x3e0000000000UL
#define STACK_BYTES (256UL << 10)

static int pidfd_of(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

/* The frame of vaddr in pid, read through a fresh open of its pagemap. */
static int frame_now(const char *proc_root, pid_t pid, unsigned long vaddr,
		     uint64_t *pfn)
{
	int fd = pagemap_open(proc_root, pid), err;

	if (fd < 0)
		return fd;
	err = pagemap_read(fd, vaddr / PAGE, 1, pfn, NULL);
	close(fd);
	return err;
}

/* Frames visible here? (CAP_SYS_ADMIN; otherwise pagemap says -EPERM.) */
static bool frames_visible(void)
{
	static volatile char probe = 1;
	uint64_t pfn;

	probe++;
	return !frame_now(NULL, getpid(), (unsigned long)&probe, &pfn);
}

/* The highest page of pid's [stack] VMA (present: the process runs). */
static unsigned long stack_top_page(pid_t pid)
{
	unsigned long lo, hi, top = 0;
	char path[64], line[512];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "[stack]") &&
		    sscanf(line, "%lx-%lx", &lo, &hi) == 2)
			top = hi - PAGE;
	fclose(f);
	return top;
}

static int go[2], execd[2];
static const char *ns_proc; /* the pid namespace's /proc */

/* Shares the test's mm (CLONE_VM) until it execs sleep. */
static int sibling(void *arg)
{
	char c;

	(void)arg;
	close(go[1]);
	close(execd[0]);
	if (read(go[0], &c, 1) == 1)
		execl("/bin/sleep", "sleep", "60", (char *)NULL);
	_exit(127);
}

/*
 * Job 1 reads a page of the mm the sibling shares with this process;
 * the sibling execs; job 2 must read the sibling's new image, where
 * nothing is mapped at FAR_ADDR, although this process keeps the old mm
 * alive (a pagemap descriptor cached by pid would still read it).
 */
START_TEST(test_exec_between_jobs)
{
	char *stack, *page, c;
	uint64_t mine, pfn, now;
	unsigned long top;
	struct backend *b;
	int pidfd;
	pid_t pid;

	if (!frames_visible()) {
		printf("# frame numbers hidden (no CAP_SYS_ADMIN): skipped\n");
		return;
	}
	page = mmap((void *)FAR_ADDR, PAGE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	ck_assert_ptr_eq(page, (void *)FAR_ADDR);
	page[0] = 1;
	ck_assert_int_eq(frame_now(NULL, getpid(), FAR_ADDR, &mine), 0);
	ck_assert_uint_ne(mine, CONTIG_PFN_NONE);

	ck_assert_int_eq(pipe(go), 0);
	ck_assert_int_eq(pipe2(execd, O_CLOEXEC), 0);
	stack = malloc(STACK_BYTES);
	ck_assert_ptr_nonnull(stack);
	pid = clone(sibling, stack + STACK_BYTES, CLONE_VM | SIGCHLD, NULL);
	ck_assert_int_gt(pid, 0);
	close(go[0]);
	close(execd[1]);
	ck_assert_int_eq(backend_collapse_create(NULL, &b), 0);

	pidfd = pidfd_of(pid);
	ck_assert_int_ge(pidfd, 0);
	ck_assert_int_eq(backend_bind(b, pid, pidfd), 0);
	ck_assert_int_eq(backend_read_pfns(b, pid, FAR_ADDR / PAGE, 1, &pfn),
			 0);
	ck_assert_uint_eq(pfn, mine); /* the shared mm */
	ck_assert_int_eq(backend_bind(b, 0, -1), 0);
	close(pidfd);

	ck_assert_int_eq(write(go[1], "x", 1), 1);
	ck_assert_int_eq(read(execd[0], &c, 1), 0); /* closed by the exec */
	top = stack_top_page(pid);
	ck_assert_uint_ne(top, 0);

	pidfd = pidfd_of(pid);
	ck_assert_int_ge(pidfd, 0);
	ck_assert_int_eq(backend_bind(b, pid, pidfd), 0);
	ck_assert_int_eq(backend_read_pfns(b, pid, FAR_ADDR / PAGE, 1, &pfn),
			 0);
	ck_assert_msg(pfn == CONTIG_PFN_NONE,
		      "job 2 read frame %llu at 0x%lx: the old address space",
		      (unsigned long long)pfn, FAR_ADDR);
	ck_assert_int_eq(backend_read_pfns(b, pid, top / PAGE, 1, &pfn), 0);
	ck_assert_int_eq(frame_now(NULL, pid, top, &now), 0);
	ck_assert_uint_ne(now, CONTIG_PFN_NONE);
	ck_assert_uint_eq(pfn, now); /* the new image's stack */
	ck_assert_int_eq(backend_bind(b, 0, -1), 0);
	close(pidfd);

	backend_destroy(b);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	close(go[1]);
	close(execd[0]);
	free(stack);
	munmap(page, PAGE);
}
END_TEST

/*
 * A process of the pid namespace: faults a 2 MiB-aligned 2 MiB block,
 * sends the frame of its first page, waits to be killed.
 */
static void faulting_child(int out)
{
	size_t len = 4UL << 20;
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	unsigned long blk;
	uint64_t pfn = CONTIG_PFN_NONE;

	if (p == MAP_FAILED)
		_exit(1);
	blk = ((unsigned long)p + (2UL << 20) - 1) & ~((2UL << 20) - 1);
	memset((void *)blk, 7, 2UL << 20);
	frame_now(ns_proc, getpid(), blk, &pfn);
	if (write(out, &blk, sizeof(blk)) != sizeof(blk) ||
	    write(out, &pfn, sizeof(pfn)) != sizeof(pfn))
		_exit(1);
	pause();
	_exit(0);
}

/* Start one; its pid, block address and frame. */
static pid_t spawn(unsigned long *blk, uint64_t *pfn)
{
	int fds[2];
	pid_t pid;

	if (pipe(fds))
		return -1;
	pid = fork();
	if (!pid) {
		close(fds[0]);
		faulting_child(fds[1]);
	}
	close(fds[1]);
	if (pid > 0 && (read(fds[0], blk, sizeof(*blk)) != sizeof(*blk) ||
			read(fds[0], pfn, sizeof(*pfn)) != sizeof(*pfn)))
		pid = -1;
	close(fds[0]);
	return pid;
}

/*
 * The init of a new pid namespace with its own /proc at root: job 1 on
 * pid 2, pid 2 exits, a new process gets pid 2 (ns_last_pid), job 2 on
 * it. Exit status: 0 ok, else the step that failed (said on stderr).
 */
static int reuse_in_ns(const char *root)
{
	struct backend_op op = { .kind = BACKEND_OP_COLLAPSE };
	char path[128];
	unsigned long blk;
	uint64_t pfn, want;
	struct backend *b;
	int pidfd, err, fd;
	pid_t pid;

	ns_proc = root;
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    mount("proc", root, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL))
		return 10;
	if (backend_collapse_create(root, &b))
		return 11;
	pid = spawn(&blk, &want);
	if (pid != 2)
		return 12;
	pidfd = pidfd_of(pid);
	if (pidfd < 0 || backend_bind(b, pid, pidfd) ||
	    backend_read_pfns(b, pid, blk / PAGE, 1, &pfn) || pfn != want)
		return 13;
	backend_bind(b, 0, -1);
	close(pidfd);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);

	snprintf(path, sizeof(path), "%s/sys/kernel/ns_last_pid", root);
	fd = open(path, O_WRONLY);
	if (fd < 0 || write(fd, "1", 1) != 1)
		return 14;
	close(fd);
	pid = spawn(&blk, &want);
	if (pid != 2)
		return 15;
	pidfd = pidfd_of(pid);
	if (pidfd < 0 || backend_bind(b, pid, pidfd))
		return 16;
	err = backend_read_pfns(b, pid, blk / PAGE, 1, &pfn);
	if (err || pfn != want) {
		fprintf(stderr,
			"# job 2 read_pfns: %s, frame %llu (want %llu)\n",
			strerror(-err), (unsigned long long)pfn,
			(unsigned long long)want);
		return 17;
	}
	op.vaddr = blk;
	op.result = 1;
	err = backend_apply(b, pid, &op, 1);
	if (err || op.result == -ESRCH) {
		fprintf(stderr, "# job 2 apply: %s, op %d\n", strerror(-err),
			op.result);
		return 18;
	}
	backend_bind(b, 0, -1);
	close(pidfd);
	backend_destroy(b);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return 0;
}

/*
 * Runs reuse_in_ns() as the init of a new pid namespace, from a child
 * (a process that unshared its pid namespace cannot fork once that init
 * is gone, and the sanitizers' leak check forks). Its exit status, or
 * 77 without pid namespaces.
 */
static int in_new_pid_ns(const char *root)
{
	int status;
	pid_t init;

	if (unshare(CLONE_NEWPID | CLONE_NEWNS))
		return 77;
	init = fork();
	if (init < 0)
		return 9;
	if (!init)
		_exit(reuse_in_ns(root));
	if (waitpid(init, &status, 0) != init || !WIFEXITED(status))
		return 8;
	return WEXITSTATUS(status);
}

START_TEST(test_pid_reused_between_jobs)
{
	char root[] = "/tmp/test_collapse_bind.XXXXXX";
	int status;
	pid_t pid;

	if (!frames_visible()) {
		printf("# frame numbers hidden (no CAP_SYS_ADMIN): skipped\n");
		return;
	}
	ck_assert_ptr_nonnull(mkdtemp(root));
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (!pid)
		_exit(in_new_pid_ns(root));
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	rmdir(root);
	ck_assert(WIFEXITED(status));
	if (WEXITSTATUS(status) == 77) {
		printf("# no pid namespace here: skipped\n");
		return;
	}
	ck_assert_msg(!WEXITSTATUS(status),
		      "pid namespace run failed at step %d",
		      WEXITSTATUS(status));
}
END_TEST

Suite *test_collapse_bind_suite(void)
{
	Suite *s = suite_create("collapse_bind");
	TCase *tc = tcase_create("collapse_bind");

	tcase_set_timeout(tc, 20);
	suite_add_tcase(s, tc);
	if (!have_pidfd_open()) {
		printf("# pidfd_open(2) not implemented here (valgrind?): cases left out\n");
		return s;
	}
	tcase_add_test(tc, test_exec_between_jobs);
	tcase_add_test(tc, test_pid_reused_between_jobs);
	return s;
}
