// SPDX-License-Identifier: GPL-2.0-only
/*
 * clone_vm_exec PROGRAM [ARG...] -- CLIENT [ARG...]
 *
 * (PROGRAM is also its argv[0].)
 *
 * Starts a child that shares this process's mm (CLONE_VM), opens the
 * child's /proc/PID/pagemap (inherited by CLIENT), lets the child exec
 * PROGRAM, and then runs CLIENT with CONTIG_VICTIM=PID and
 * CONTIG_PROOF=FD in its environment. This process stays alive meanwhile,
 * so the mm the descriptor reads outlives the exec. Exits with CLIENT's
 * status after killing the child.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define STACK (256 << 10)

static int go[2];
static char **program;

static int child(void *arg)
{
	char c;

	(void)arg;
	if (read(go[0], &c, 1) == 1)
		execv(program[0], program);
	_exit(127);
}

int main(int argc, char **argv)
{
	char path[64], num[32];
	char **client = NULL;
	int proof, status;
	pid_t pid, cl;
	char *stack;

	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--")) {
			argv[i] = NULL;
			client = argv + i + 1;
		}
	if (argc < 4 || !client || !client[0]) {
		fprintf(stderr, "usage: %s PROGRAM [ARG...] -- CLIENT [ARG...]\n",
			argv[0]);
		return 2;
	}
	program = argv + 1;
	stack = mmap(NULL, STACK, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (stack == MAP_FAILED || pipe(go))
		return perror("clone_vm_exec"), 1;
	pid = clone(child, stack + STACK, CLONE_VM | SIGCHLD, NULL);
	if (pid < 0)
		return perror("clone"), 1;
	snprintf(path, sizeof(path), "/proc/%d/pagemap", (int)pid);
	proof = open(path, O_RDONLY);
	if (proof < 0 || write(go[1], "x", 1) != 1) {
		perror(path);
		kill(pid, SIGKILL);
		return 1;
	}
	usleep(500000); /* the exec is done */
	snprintf(num, sizeof(num), "%d", (int)pid);
	setenv("CONTIG_VICTIM", num, 1);
	snprintf(num, sizeof(num), "%d", proof);
	setenv("CONTIG_PROOF", num, 1);
	cl = fork();
	if (!cl) {
		execvp(client[0], client);
		_exit(127);
	}
	status = 1;
	if (cl > 0)
		waitpid(cl, &status, 0);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
