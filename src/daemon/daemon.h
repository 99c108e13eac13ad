/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The long-running daemon: one main thread with an epoll loop (control
 * socket, signals, a one-second tick, the worker's wake-ups, process exit
 * watches) and the worker thread that runs passes (worker.h).
 *
 *   listener.c the socket: listening, connections, slots, descriptors
 *   control.c  requests and replies; target.c binds them to a process
 *   policy.c   the observer: which processes to watch, hot VMAs to queue,
 *              invalidation events
 *   daemon.c   set-up, the loop, signals, stats file, sd_notify, tear-down
 *   daemon_config.c  the configuration file: loaded, reloaded, applied
 */
#ifndef CONTIG_DAEMON_DAEMON_H
#define CONTIG_DAEMON_DAEMON_H

#include <limits.h>
#include <sys/socket.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "access.h"
#include "backend.h"
#include "config.h"
#include "fdcloser.h"
#include "observer.h"
#include "rank.h"
#include "procs.h"
#include "queue.h"
#include "ratelimit.h"
#include "stats.h"
#include "worker.h"

/* Epoll tags: kind in the top byte, an index or pid below. */
#define TAG_KIND(t) ((t) >> 56)
#define TAG_ARG(t) ((t) & ((UINT64_C(1) << 56) - 1))
#define TAG(kind, arg) (((uint64_t)(kind) << 56) | (uint64_t)(arg))
enum tag_kind {
	TAG_LISTEN = 1,
	TAG_SIGNAL,
	TAG_TIMER,
	TAG_WAKE,
	TAG_CLIENT,
	TAG_PIDFD,
};

struct client {
	int fd;
	uint64_t gen; /* tells a reused slot from the old connection */
	struct peer peer;
	uint64_t last_active_ns; /* CLOCK_MONOTONIC */
	/* The request in flight (one at a time), when waiting for a job. */
	struct job *job;
	uint32_t seq;
	uint16_t type;
	uint32_t flags;
	uint64_t deadline_ns; /* 0: none */
	uint64_t progress_gen;
	bool complained; /* a malformed request was logged once */
	bool paused; /* not read: its uid's descriptors wait to be closed */
	struct ratelimit rl; /* of the log lines it causes */
};

/*
 * Descriptors taken from one packet: as many as the kernel passes
 * (SCM_MAX_FD), so that none is dropped, and closed, on the main loop.
 */
#define CONTROL_MAX_FDS 253
/* Connection slots only uid 0 may take (its status always answers). */
#define CONTROL_ROOT_SLOTS 1
/*
 * Exit watches (pidfds) for targets: at most this, and at most an eighth
 * of RLIMIT_NOFILE; beyond, the worker notices exits itself.
 */
#define CONTROL_WATCH_MAX 256

struct daemon_opts {
	const char *config_path; /* NULL: CONFIG_FILE_DEFAULT, may be absent */
	bool config_explicit;
	const char *runtime_dir; /* command line overrides, NULL: config */
	const char *stats_file;
	bool have_backend;
	enum backend_kind backend;
	int verbose; /* -1: config */
	const char *proc_root;
};

struct daemon {
	struct daemon_opts opts;
	struct contigd_config cfg;
	char runtime_dir[PATH_MAX];
	char socket_path[PATH_MAX]; /* for messages */
	char bind_path[64]; /* /proc/self/fd/<run_fd>/contigd.sock */
	int run_fd; /* the runtime directory (rundir.h) */
	char stats_path[PATH_MAX];

	struct backend *backend;
	struct backend_info binfo;
	struct observer *obs; /* NULL: off, or it could not start */
	double half_life_s; /* of the observer's heat */
	pid_t *watched; /* processes the policy asked the observer to watch */
	size_t nr_watched;
	struct queue q;
	struct procs procs;
	struct rank_memo memo; /* the VMAs the policy chose, and why */
	struct worker w;
	struct stats st; /* under w.lock: the worker adds pass counters */

	int epfd, sigfd, timerfd, listen_fd;
	struct client *clients; /* cfg.max_clients slots at start-up */
	size_t nr_slots, nr_clients;
	uint64_t next_gen;
	int spare_fd; /* kept for accept() at EMFILE; -1: none */
	struct fdcloser closer; /* for descriptors clients pass */
	size_t watch_max; /* exit watches for targets (CONTROL_WATCH_MAX) */
	bool listen_paused; /* out of descriptors: re-armed by the tick */
	struct ratelimit_uids log_rl; /* client-caused log lines, per uid */

	uint64_t started_ns;
	uint64_t next_stats_ns, next_scan_ns, next_watchdog_ns;
	uint64_t watchdog_usec;
	bool stopping;
};

uint64_t daemon_now_ns(void);

/* The whole life of the daemon; returns the exit code (exit_codes.h). */
int daemon_run(const struct daemon_opts *opts);

/* daemon_config.c */
/* The configuration file in use (the command line's, or the default). */
const char *daemon_config_path(const struct daemon *d);
/* Parse the configuration file into *c; 0 or -errno (logged, in err). */
int daemon_load_config(const struct daemon *d, struct contigd_config *c,
		       char *err, size_t errsz);
/* The executor's parameters the configuration c sets. */
void daemon_exec_params(const struct contigd_config *c, const char *proc_root,
			struct exec_params *ep);
/* SIGHUP: read the file again; a bad one keeps the settings in use. */
void daemon_reload(struct daemon *d);

/* control.c */
int control_listen(struct daemon *d);
/* Does a daemon answer on the socket path already? */
bool control_socket_busy(const struct daemon *d);
void control_accept(struct daemon *d);
void control_readable(struct daemon *d, size_t slot);
/* Finished jobs: replies to the clients that wait for them. */
void control_jobs_done(struct daemon *d, struct job *done);
/* Progress packets to the clients that asked for them. */
void control_progress(struct daemon *d);
/* Timeouts of waits and idle connections. */
void control_tick(struct daemon *d, uint64_t now);
void control_close_all(struct daemon *d);
/* One packet of n bytes (n <= 0: gone) from slot, *proof passed with it
 * (the callee may take it: then it sets *proof to -1). */
void control_request(struct daemon *d, size_t slot, const unsigned char *buf,
		     ssize_t n, const struct msghdr *mh, int *proof);

/* listener.c */
/* Log a refused or malformed request of the client in slot, rate-limited. */
void control_log_refusal(struct daemon *d, size_t slot, const char *msg);
void control_close_client(struct daemon *d, size_t slot);
/* Once a second: suppressed-line counts, the spare descriptor, listening. */
void listener_tick(struct daemon *d, uint64_t now);

/* policy.c */
void policy_tick(struct daemon *d, uint64_t now);
/* Start watching pid's exit (pidfd); the entry must exist. */
void policy_watch_exit(struct daemon *d, pid_t pid);
void policy_pid_exited(struct daemon *d, pid_t pid);
/* Heat of a VMA in contig_proto.h fixed point (0: unknown). */
uint64_t policy_heat(struct daemon *d, pid_t pid, uint64_t vma_start);
/* The access sampler's period: a quarter of scan_interval, 1 s at least. */
double policy_sample_s(const struct contigd_config *cfg);
/* What feeds the heat: enum observer_source (0 without an observer). */
uint32_t policy_heat_source(struct daemon *d);
/* Why the policy chose [start, end) of pid (a worker_why_fn). */
void policy_why(void *arg, pid_t pid, uint64_t start, uint64_t end, char *buf,
		size_t size);

#endif
