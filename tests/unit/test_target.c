// SPDX-License-Identifier: GPL-2.0-only
/*
 * A request's target bound to its address space (target.c), on real
 * processes: a child of the test. The proof is a descriptor of the
 * child's /proc/PID/pagemap; a descriptor of another file or of another
 * process, none at all, or a thread id is refused; after the child execs
 * or exits, the binding says so. Needs no privilege.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "access.h"
#include "have_pidfd.h"
#include "target.h"

/* A child that waits for a byte on its stdin, then execs sleep or exits. */
static pid_t child(int *ctl)
{
	int p[2];
	pid_t pid;
	char c;

	ck_assert_int_eq(pipe(p), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (!pid) {
		close(p[1]);
		if (read(p[0], &c, 1) == 1 && c == 'x')
			execlp("sleep", "sleep", "30", (char *)NULL);
		_exit(0);
	}
	close(p[0]);
	*ctl = p[1];
	return pid;
}

static int open_pagemap(pid_t pid)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/pagemap", (int)pid);
	return open(path, O_RDONLY | O_CLOEXEC);
}

START_TEST(test_bind_ok_then_exec)
{
	struct target t;
	char msg[120] = "", want[120];
	int ctl, proof;
	pid_t pid = child(&ctl);

	proof = open_pagemap(pid);
	ck_assert_int_ge(proof, 0);
	ck_assert_int_eq(target_bind("/proc", pid, proof, &t, msg, sizeof(msg)),
			 0);
	ck_assert_int_eq(t.mm_fd, proof);
	ck_assert_int_eq(target_check(&t, msg, sizeof(msg)), 0);
	ck_assert_int_eq(write(ctl, "x", 1), 1); /* exec sleep */
	/* The old mm goes away during exec: wait until it shows. */
	for (int i = 0; i < 200 && !target_check(&t, msg, sizeof(msg)); i++)
		usleep(10000);
	snprintf(want, sizeof(want), "target changed: pid %d exec'd", (int)pid);
	ck_assert_int_eq(target_check(&t, msg, sizeof(msg)), -ESRCH);
	ck_assert_str_eq(msg, want);
	kill(pid, SIGKILL);
	ck_assert_int_eq(waitpid(pid, NULL, 0), pid);
	snprintf(want, sizeof(want), "target changed: pid %d exited", (int)pid);
	ck_assert_int_eq(target_check(&t, msg, sizeof(msg)), -ESRCH);
	ck_assert_str_eq(msg, want);
	target_release(&t);
	ck_assert_int_eq(t.mm_fd, -1);
	close(ctl);
}
END_TEST

START_TEST(test_exit_zombie)
{
	struct target t;
	char msg[120] = "", want[120];
	int ctl, proof;
	pid_t pid = child(&ctl);

	proof = open_pagemap(pid);
	ck_assert_int_eq(target_bind("/proc", pid, proof, &t, msg, sizeof(msg)),
			 0);
	close(ctl); /* the child exits; not reaped: a zombie */
	for (int i = 0; i < 200 && !target_check(&t, msg, sizeof(msg)); i++)
		usleep(10000);
	snprintf(want, sizeof(want), "target changed: pid %d exited", (int)pid);
	ck_assert_int_eq(target_check(&t, msg, sizeof(msg)), -ESRCH);
	ck_assert_str_eq(msg, want);
	target_release(&t);
	ck_assert_int_eq(waitpid(pid, NULL, 0), pid);
}
END_TEST

START_TEST(test_refusals)
{
	struct target t;
	char msg[120] = "", want[120];
	int ctl, self, file;
	pid_t pid = child(&ctl);
	char tmpl[] = "/tmp/test_target.XXXXXX";

	/* No descriptor: the daemon does not decide by itself. */
	ck_assert_int_eq(target_bind("/proc", pid, -1, &t, msg, sizeof(msg)),
			 -EPERM);
	ck_assert_ptr_nonnull(strstr(msg, "Permission denied"));
	/* Our own pagemap offered for the child. */
	self = open_pagemap(getpid());
	ck_assert_int_eq(target_bind("/proc", pid, self, &t, msg, sizeof(msg)),
			 -EPERM);
	snprintf(want, sizeof(want),
		 "Permission denied: the descriptor passed is not /proc/%d/pagemap of the live process",
		 (int)pid);
	ck_assert_str_eq(msg, want);
	ck_assert_int_eq(t.mm_fd, -1);
	/* A plain file. */
	file = mkstemp(tmpl);
	ck_assert_int_ge(file, 0);
	unlink(tmpl);
	ck_assert_int_eq(target_bind("/proc", pid, file, &t, msg, sizeof(msg)),
			 -EPERM);
	/* A pipe: not even read. */
	ck_assert_int_eq(target_bind("/proc", pid, ctl, &t, msg, sizeof(msg)),
			 -EPERM);
	close(ctl);
	ck_assert_int_eq(waitpid(pid, NULL, 0), pid);
	/* Gone: no such process, whatever was passed. */
	ck_assert_int_eq(target_bind("/proc", pid, -1, &t, msg, sizeof(msg)),
			 -ESRCH);
	ck_assert_int_eq(target_bind("/proc", pid, self, &t, msg, sizeof(msg)),
			 -ESRCH);
	ck_assert_int_eq(target_bind("/proc", 0, self, &t, msg, sizeof(msg)),
			 -ESRCH);
	close(self);
	close(file);
}
END_TEST

/*
 * A child sharing our mm (CLONE_VM) that execs sleep on a byte: a proof
 * opened before the exec still reads our mm, which stays alive.
 */
static int vm_pipe[2];

static int vm_child(void *arg)
{
	char c;

	(void)arg;
	if (read(vm_pipe[0], &c, 1) == 1)
		execl("/bin/sleep", "sleep", "30", (char *)NULL);
	_exit(127);
}

static pid_t vm_sibling(void **stack, int *proof)
{
	pid_t pid;

	ck_assert_int_eq(pipe(vm_pipe), 0);
	*stack = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(*stack, MAP_FAILED);
	pid = clone(vm_child, (char *)*stack + (1 << 20), CLONE_VM | SIGCHLD,
		    NULL);
	ck_assert_int_gt(pid, 0);
	*proof = open_pagemap(pid);
	ck_assert_int_ge(*proof, 0);
	return pid;
}

/* Let the sibling exec, and wait until it runs sleep. */
static void vm_exec(pid_t pid)
{
	char path[64], comm[32] = "";

	ck_assert_int_eq(write(vm_pipe[1], "x", 1), 1);
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	for (int i = 0; i < 500 && strcmp(comm, "sleep\n"); i++) {
		FILE *f = fopen(path, "r");

		usleep(10000);
		if (f) {
			if (!fgets(comm, sizeof(comm), f))
				comm[0] = 0;
			fclose(f);
		}
	}
	ck_assert_str_eq(comm, "sleep\n");
}

static void vm_reap(pid_t pid, void *stack)
{
	kill(pid, SIGKILL);
	ck_assert_int_eq(waitpid(pid, NULL, 0), pid);
	close(vm_pipe[0]);
	close(vm_pipe[1]);
	munmap(stack, 1 << 20);
}

/* Proof opened before the exec, offered after it: refused. */
START_TEST(test_clone_vm_bind_after_exec)
{
	struct target t;
	char msg[160] = "", want[160];
	void *stack;
	int proof;
	pid_t pid = vm_sibling(&stack, &proof);

	vm_exec(pid);
	ck_assert_int_eq(target_bind("/proc", pid, proof, &t, msg, sizeof(msg)),
			 -EPERM);
	snprintf(want, sizeof(want),
		 "Permission denied: the descriptor passed does not read the current image of pid %d",
		 (int)pid);
	ck_assert_str_eq(msg, want);
	ck_assert_int_eq(t.mm_fd, -1);
	close(proof);
	vm_reap(pid, stack);
}
END_TEST

/* Bound before the exec: the exec shows although the old mm lives on. */
START_TEST(test_clone_vm_exec_after_bind)
{
	struct target t;
	char msg[160] = "", want[160];
	void *stack;
	int proof;
	pid_t pid = vm_sibling(&stack, &proof);

	ck_assert_int_eq(target_bind("/proc", pid, proof, &t, msg, sizeof(msg)),
			 0);
	ck_assert_int_eq(target_check(&t, msg, sizeof(msg)), 0);
	vm_exec(pid);
	snprintf(want, sizeof(want), "target changed: pid %d exec'd", (int)pid);
	ck_assert_int_eq(target_check(&t, msg, sizeof(msg)), -ESRCH);
	ck_assert_str_eq(msg, want);
	target_release(&t);
	vm_reap(pid, stack);
}
END_TEST

static void *idle_thread(void *arg)
{
	pid_t *tid = arg;

	*tid = gettid();
	pause();
	return NULL;
}

START_TEST(test_thread_refused)
{
	pthread_t th;
	volatile pid_t tid = 0;
	struct target t;
	char msg[120] = "", want[120];
	int proof;

	ck_assert_int_eq(pthread_create(&th, NULL, idle_thread, (void *)&tid),
			 0);
	while (!tid)
		usleep(1000);
	proof = open_pagemap(tid);
	ck_assert_int_ge(proof, 0);
	ck_assert_int_eq(target_bind("/proc", tid, proof, &t, msg, sizeof(msg)),
			 -EINVAL);
	snprintf(want, sizeof(want),
		 "pid %d is a thread: name its process (thread-group leader)",
		 (int)tid);
	ck_assert_str_eq(msg, want);
	close(proof);
	pthread_cancel(th);
	pthread_join(th, NULL);
}
END_TEST

START_TEST(test_peer_credentials)
{
	struct peer peer;
	int sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	ck_assert_int_eq(access_peer(sv[0], &peer), 0);
	ck_assert_int_eq(peer.pid, getpid());
	ck_assert_uint_eq(peer.uid, getuid());
	ck_assert_int_eq(access_peer(-1, &peer), -EBADF);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

Suite *test_target_suite(void)
{
	Suite *s = suite_create("target");
	TCase *tc = tcase_create("target");

	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_peer_credentials);
	suite_add_tcase(s, tc);
	if (!have_pidfd_open()) {
		printf("# pidfd_open(2) not implemented here (valgrind?): binding cases left out\n");
		return s;
	}
	tcase_add_test(tc, test_bind_ok_then_exec);
	tcase_add_test(tc, test_exit_zombie);
	tcase_add_test(tc, test_refusals);
	tcase_add_test(tc, test_thread_refused);
	tcase_add_test(tc, test_clone_vm_bind_after_exec);
	tcase_add_test(tc, test_clone_vm_exec_after_bind);
	return s;
}
