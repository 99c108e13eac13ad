// SPDX-License-Identifier: GPL-2.0-only
/*
 * observer_rank HOTCOLD bpf|proc [HOOK]: the constantly refaulted VMA of the
 * hotcold helper must rank first within 5 s, unmapping the cold VMA must
 * show up as an event, and so must the helper's exit. Exits 77 (skipped)
 * when the bpf mode cannot be loaded here.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "observer.h"

#define SKIP 77

static void quiet(void *ctx, int prio, const char *msg)
{
	(void)ctx;
	if (prio <= LOG_INFO || getenv("OBSERVER_DEBUG"))
		fprintf(stderr, "observer: %s\n", msg);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static pid_t spawn(const char *prog, unsigned long *hot, unsigned long *cold,
		   unsigned long *cold_len)
{
	int fds[2];
	pid_t pid;
	FILE *f;
	int n;

	if (pipe(fds))
		return -1;
	pid = fork();
	if (pid == 0) {
		/* Never outlive a test that died. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		execl(prog, prog, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	f = fdopen(fds[0], "r");
	if (!f)
		return -1;
	n = fscanf(f, "%lx %lx %lx", hot, cold, cold_len);
	fclose(f);
	return n == 3 ? pid : -1;
}

/* Poll until an event of this type and address arrives or time runs out. */
static int wait_event(struct observer *o, enum observer_event_type type,
		      pid_t pid, unsigned long addr, double timeout)
{
	struct observer_event ev[64];
	double end = now_s() + timeout;
	size_t i, n;

	while (now_s() < end) {
		if (observer_poll(o))
			return -1;
		n = observer_events(o, ev, 64);
		for (i = 0; i < n; i++)
			if (ev[i].type == type && ev[i].pid == pid &&
			    (!addr || ev[i].addr == addr))
				return 0;
		usleep(100 * 1000);
	}
	return -1;
}

int main(int argc, char **argv)
{
	struct observer_opts opts = { .log = quiet, .half_life_s = 2 };
	struct observer_vma_heat *h = NULL;
	struct vma_list vl = { 0 };
	unsigned long hot, cold, cold_len;
	struct observer *o = NULL;
	int ret = 1, err, found = 0;
	double t0, took = -1;
	pid_t pid = -1;
	size_t i, nr;

	if (argc != 3 && argc != 4) {
		fprintf(stderr,
			"usage: observer_rank HOTCOLD bpf|proc [HOOK]\n");
		return 2;
	}
	opts.want = !strcmp(argv[2], "bpf") ? OBSERVER_WANT_BPF :
					      OBSERVER_WANT_PROC;
	opts.fault_hook = argc == 4 ? argv[3] : NULL;
	err = observer_open(&opts, &o);
	if (err) {
		printf("SKIP: %s mode unavailable: %s\n", argv[2],
		       strerror(-err));
		return SKIP;
	}
	printf("mode: %s (%s)\n", observer_mode_name(observer_mode(o)),
	       observer_describe(o));
	pid = spawn(argv[1], &hot, &cold, &cold_len);
	if (pid < 0) {
		fprintf(stderr, "FAIL: cannot start %s\n", argv[1]);
		goto out;
	}
	err = observer_watch(o, pid);
	if (err) {
		fprintf(stderr, "FAIL: watch %d: %s\n", (int)pid,
			strerror(-err));
		goto out;
	}
	err = observer_snapshot(o, pid, &vl);
	for (i = 0; !err && i < vl.nr; i++)
		found += vl.v[i].start == hot || vl.v[i].start == cold;
	if (err || found != 2) {
		fprintf(stderr, "FAIL: snapshot: %s, %d of 2 VMAs\n",
			strerror(-err), found);
		goto out;
	}

	t0 = now_s();
	while (now_s() - t0 < 5.0) {
		usleep(250 * 1000);
		err = observer_poll(o);
		if (err) {
			fprintf(stderr, "FAIL: poll: %s\n", strerror(-err));
			goto out;
		}
		free(h);
		err = observer_heat(o, &h, &nr);
		if (err)
			goto out;
		for (i = 0; i < nr && h[i].pid != pid; i++)
			;
		if (i < nr && h[i].start == hot && h[i].heat > 0) {
			took = now_s() - t0;
			break;
		}
	}
	if (took < 0) {
		fprintf(stderr,
			"FAIL: hot VMA %#lx not first after 5 s; ranking:\n",
			hot);
		for (i = 0; i < nr && i < 5; i++)
			fprintf(stderr, "  pid %d %#llx heat %.1f total %llu\n",
				(int)h[i].pid, (unsigned long long)h[i].start,
				h[i].heat, (unsigned long long)h[i].total);
		goto out;
	}
	printf("hot VMA ranked first after %.2f s (heat %.1f, cold %.1f)\n",
	       took, h[i].heat, observer_vma_heat(o, pid, cold));

	kill(pid, SIGUSR1);
	if (wait_event(o,
		       observer_mode(o) == OBSERVER_MODE_BPF ?
			       OBSERVER_EV_MUNMAP :
			       OBSERVER_EV_VMA_GONE,
		       pid, cold, 5.0)) {
		fprintf(stderr, "FAIL: no event for unmapping %#lx\n", cold);
		goto out;
	}
	printf("unmap of the cold VMA seen\n");

	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	if (wait_event(o, OBSERVER_EV_EXIT, pid, 0, 5.0)) {
		fprintf(stderr, "FAIL: no exit event\n");
		pid = -1;
		goto out;
	}
	pid = -1;
	printf("exit seen\nPASS\n");
	ret = 0;
out:
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	free(h);
	vma_list_free(&vl);
	observer_close(o);
	return ret;
}
