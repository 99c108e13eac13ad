// SPDX-License-Identifier: GPL-2.0-only
/*
 * The long-running daemon: set-up, the main loop, tear-down (daemon.h).
 *
 * Order of set-up: configuration, runtime directory, backend, observer
 * (BPF needs the privileges), control socket, then every capability not
 * used any more is dropped, the worker starts and systemd hears READY=1.
 * SIGHUP reloads the configuration (a bad file changes nothing); SIGTERM
 * and SIGINT drain: no new requests, queued jobs are answered "shutting
 * down", the running pass stops after its current batch, waiting clients
 * get their replies, the stats file is written a last time.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <syslog.h>
#include <unistd.h>

#include "contig_proto.h"
#include "daemon.h"
#include "exit_codes.h"
#include "log.h"
#include "privs.h"
#include "rundir.h"
#include "sd_notify.h"

/* The main loop's tick: timeouts, observer polls, stats, watchdog. */
#define TICK_NS 500000000u
#define HALF_LIFE_S 10.0

uint64_t daemon_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void write_stats(struct daemon *d)
{
	struct stats st;
	int err;

	pthread_mutex_lock(&d->w.lock);
	d->st.queue_length = queue_length(&d->q);
	d->st.claims = atomic_load(&d->w.nr_claims);
	d->st.clients = d->nr_clients;
	st = d->st;
	pthread_mutex_unlock(&d->w.lock);
	err = stats_write(&st, d->stats_path);
	if (err)
		log_warnx("writing stats file %s: %s", d->stats_path,
			  strerror(-err));
}

static void notify_status(struct daemon *d)
{
	uint64_t passes = 0;
	char buf[256];
	int i;

	pthread_mutex_lock(&d->w.lock);
	for (i = 0; i < STATS_PASS_COUNT; i++)
		passes += d->st.passes[i];
	pthread_mutex_unlock(&d->w.lock);
	snprintf(buf, sizeof(buf),
		 "STATUS=backend %s, observer %s, %zu queued, %" PRIu64
		 " passes, %zu claims",
		 backend_kind_name(d->backend->kind),
		 observer_mode_name(d->obs ? observer_mode(d->obs) :
					     OBSERVER_MODE_NONE),
		 queue_length(&d->q), passes, atomic_load(&d->w.nr_claims));
	sd_notify_send(buf);
}

static void tick(struct daemon *d)
{
	uint64_t now = daemon_now_ns(), expirations;

	if (read(d->timerfd, &expirations, sizeof(expirations)) < 0)
		return;
	control_tick(d, now);
	policy_tick(d, now);
	if (now >= d->next_stats_ns) {
		d->next_stats_ns = now + d->cfg.stats_interval_s * 1000000000u;
		write_stats(d);
		notify_status(d);
	}
	if (d->watchdog_usec && now >= d->next_watchdog_ns) {
		d->next_watchdog_ns = now + d->watchdog_usec * 1000u / 2;
		sd_notify_send("WATCHDOG=1");
	}
}

static void on_signal(struct daemon *d)
{
	struct signalfd_siginfo si;

	while (read(d->sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			char buf[64];

			/* Type=notify-reload wants the time of the request. */
			snprintf(buf, sizeof(buf),
				 "RELOADING=1\nMONOTONIC_USEC=%" PRIu64,
				 daemon_now_ns() / 1000u);
			sd_notify_send(buf);
			daemon_reload(d);
		} else if (!d->stopping) {
			log_info("signal %u: draining and exiting",
				 si.ssi_signo);
			d->stopping = true;
		}
	}
}

static void loop(struct daemon *d)
{
	struct epoll_event ev[32];
	int n, i;

	while (!d->stopping) {
		n = epoll_wait(d->epfd, ev, 32, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			log_warn("epoll_wait");
			d->stopping = true;
			break;
		}
		for (i = 0; i < n; i++) {
			uint64_t tag = ev[i].data.u64;

			switch (TAG_KIND(tag)) {
			case TAG_LISTEN:
				control_accept(d);
				break;
			case TAG_SIGNAL:
				on_signal(d);
				break;
			case TAG_TIMER:
				tick(d);
				break;
			case TAG_WAKE:
				queue_drain_wake(&d->q);
				control_progress(d);
				control_jobs_done(d, queue_take_done(&d->q));
				break;
			case TAG_CLIENT:
				control_readable(d, (size_t)TAG_ARG(tag));
				break;
			case TAG_PIDFD:
				policy_pid_exited(d, (pid_t)TAG_ARG(tag));
				break;
			}
		}
	}
}

static int add_fd(struct daemon *d, int fd, enum tag_kind kind)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = TAG(kind, 0) };

	return epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

static int setup_fds(struct daemon *d)
{
	struct itimerspec its = {
		.it_interval = { 0, TICK_NS },
		.it_value = { 0, TICK_NS },
	};
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (pthread_sigmask(SIG_BLOCK, &set, NULL))
		return -EINVAL;
	signal(SIGPIPE, SIG_IGN);
	d->epfd = epoll_create1(EPOLL_CLOEXEC);
	d->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	d->timerfd =
		timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (d->epfd < 0 || d->sigfd < 0 || d->timerfd < 0)
		return -errno;
	if (timerfd_settime(d->timerfd, 0, &its, NULL))
		return -errno;
	if (add_fd(d, d->sigfd, TAG_SIGNAL) ||
	    add_fd(d, d->timerfd, TAG_TIMER) ||
	    add_fd(d, d->q.wake_fd, TAG_WAKE))
		return -errno;
	return 0;
}

static void observer_log(void *ctx, int prio, const char *msg)
{
	(void)ctx;
	if (prio <= LOG_WARNING)
		log_warnx("observer: %s", msg);
	else if (prio == LOG_INFO || prio == LOG_NOTICE)
		log_info("observer: %s", msg);
	else
		log_debug("observer: %s", msg);
}

static int setup_observer(struct daemon *d)
{
	struct observer_opts oo = {
		.half_life_s = HALF_LIFE_S,
		.proc_root = d->opts.proc_root,
		.log = observer_log,
		.sample_s = policy_sample_s(&d->cfg),
	};
	int err;

	d->half_life_s = HALF_LIFE_S;
	if (d->cfg.observer == CONFIG_OBSERVER_OFF) {
		log_info("observer off: only hints and triggers are served");
		return 0;
	}
	oo.want = d->cfg.observer == CONFIG_OBSERVER_BPF  ? OBSERVER_WANT_BPF :
		  d->cfg.observer == CONFIG_OBSERVER_PROC ? OBSERVER_WANT_PROC :
							    OBSERVER_WANT_AUTO;
	err = observer_open(&oo, &d->obs);
	if (err) {
		log_warnx("observer %s: %s",
			  config_observer_name(d->cfg.observer),
			  strerror(-err));
		return err;
	}
	log_info("observer %s: %s", observer_mode_name(observer_mode(d->obs)),
		 observer_describe(d->obs));
	return 0;
}

static int setup_backend(struct daemon *d)
{
	enum backend_kind kind;
	char why[160] = "";
	int err;

	if (d->opts.have_backend)
		kind = d->opts.backend;
	else if (d->cfg.backend == CONFIG_BACKEND_KMOD)
		kind = BACKEND_KMOD;
	else
		kind = BACKEND_COLLAPSE;
	err = backend_select(
		d->opts.have_backend || d->cfg.backend != CONFIG_BACKEND_AUTO ?
			&kind :
			NULL,
		d->opts.proc_root, &d->backend, why, sizeof(why));
	if (err == -EOPNOTSUPP)
		log_warnx(
			"backend sim: the simulated backend serves tests and benchmarks only");
	else if (err == -ENODEV)
		log_warnx("backend kmod: not available: %s", why);
	else if (err)
		log_warnx("setting up the backend: %s", strerror(-err));
	if (err)
		return err;
	backend_info(d->backend, &d->binfo);
	if (!d->opts.have_backend && d->cfg.backend != CONFIG_BACKEND_AUTO)
		snprintf(d->backend->reason, sizeof(d->backend->reason),
			 "set in %s", daemon_config_path(d));
	log_info("backend %s: %s", backend_kind_name(d->backend->kind),
		 d->backend->reason);
	if (d->binfo.submission[0])
		log_info("submission %s%s%s", d->binfo.submission,
			 d->binfo.submission_why ? ": " : "",
			 d->binfo.submission_why ? d->binfo.submission_why : "");
	if (d->cfg.anchor != CONFIG_ANCHOR_BEST)
		log_info("anchor rule %s (set in %s)",
			 config_anchor_name(d->cfg.anchor), daemon_config_path(d));
	return 0;
}

static int setup_paths(struct daemon *d)
{
	const char *rd = d->opts.runtime_dir ? d->opts.runtime_dir :
					       d->cfg.runtime_dir;
	char msg[PATH_MAX + 200];

	if (snprintf(d->runtime_dir, sizeof(d->runtime_dir), "%s", rd) >=
		    (int)sizeof(d->runtime_dir) ||
	    snprintf(d->socket_path, sizeof(d->socket_path), "%s/%s", rd,
		     CONTIG_SOCKET_NAME) >= (int)sizeof(d->socket_path))
		return -ENAMETOOLONG;
	if (d->opts.stats_file) {
		if (snprintf(d->stats_path, sizeof(d->stats_path), "%s",
			     d->opts.stats_file) >= (int)sizeof(d->stats_path))
			return -ENAMETOOLONG;
	} else if (d->cfg.stats_file[0]) {
		snprintf(d->stats_path, sizeof(d->stats_path), "%s",
			 d->cfg.stats_file);
	} else if (snprintf(d->stats_path, sizeof(d->stats_path), "%s/%s", rd,
			    CONFIG_STATS_NAME) >= (int)sizeof(d->stats_path)) {
		return -ENAMETOOLONG;
	}
	d->run_fd = rundir_open(rd, msg, sizeof(msg));
	if (d->run_fd < 0) {
		log_warnx("%s", msg);
		return d->run_fd;
	}
	return rundir_path(d->run_fd, CONTIG_SOCKET_NAME, d->bind_path,
			   sizeof(d->bind_path));
}

/*
 * Keep what the work needs, of what we have: frame numbers and the
 * kernel helper (SYS_ADMIN), other users' maps and pagemap (SYS_PTRACE,
 * DAC_READ_SEARCH), process_madvise (SYS_NICE), and for an access
 * sampler writing other users' clear_refs (DAC_OVERRIDE). The eBPF
 * programs are loaded and attached by now.
 */
static int drop_privs(const struct daemon *d)
{
	static const cap_value_t want[] = {
		CAP_SYS_ADMIN, CAP_SYS_PTRACE,	 CAP_DAC_READ_SEARCH,
		CAP_SYS_NICE,  CAP_DAC_OVERRIDE,
	};
	int nwant = d->obs && observer_writes_clear_refs(d->obs) ? 5 : 4;
	cap_value_t keep[5];
	cap_flag_value_t v;
	char err[160] = "";
	cap_t now;
	int i, n = 0, ret;

	now = cap_get_proc();
	if (!now)
		return -errno;
	for (i = 0; i < nwant; i++)
		if (!cap_get_flag(now, want[i], CAP_PERMITTED, &v) &&
		    v == CAP_SET)
			keep[n++] = want[i];
	cap_free(now);
	ret = privs_drop(keep, n, err, sizeof(err));
	if (ret)
		log_warnx("dropping capabilities: %s",
			  *err ? err : strerror(-ret));
	else
		log_debug("kept %d capabilities", n);
	return ret;
}

/*
 * Exit watches allowed: CONTROL_WATCH_MAX, and no more than an eighth of
 * the descriptors (after raising the soft limit to the hard one).
 */
static size_t watch_max(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return 16;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl))
			getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur / 8 > CONTROL_WATCH_MAX)
		return CONTROL_WATCH_MAX;
	return (size_t)rl.rlim_cur / 8;
}

static void teardown(struct daemon *d)
{
	size_t i;

	if (d->w.claims)
		worker_destroy(&d->w);
	control_close_all(d);
	procs_lock(&d->procs);
	for (i = 0; i < d->procs.nr; i++)
		if (d->procs.p[i]->pidfd >= 0)
			close(d->procs.p[i]->pidfd);
	procs_unlock(&d->procs);
	procs_destroy(&d->procs);
	rank_memo_free(&d->memo);
	queue_destroy(&d->q);
	observer_close(d->obs);
	backend_destroy(d->backend);
	free(d->clients);
	free(d->watched);
	if (d->timerfd >= 0)
		close(d->timerfd);
	if (d->sigfd >= 0)
		close(d->sigfd);
	if (d->epfd >= 0)
		close(d->epfd);
	fdcloser_stop(&d->closer);
	if (d->spare_fd >= 0)
		close(d->spare_fd);
	if (d->run_fd >= 0)
		close(d->run_fd);
	d->spare_fd = d->run_fd = -1;
	config_free(&d->cfg);
}

static int setup(struct daemon *d)
{
	struct exec_params ep;
	size_t i;
	char why[256];
	int err;

	if (daemon_load_config(d, &d->cfg, why, sizeof(why)))
		return CONTIGD_EXIT_CONFIG;
	log_init(d->opts.verbose >= 0 ? d->opts.verbose : d->cfg.verbose);
	err = setup_paths(d);
	if (err == -ENAMETOOLONG)
		log_warnx("runtime directory or stats file: path too long");
	if (err)
		return CONTIGD_EXIT_FAIL;
	if (control_socket_busy(d)) {
		log_warnx("%s: another contigd is listening there",
			  d->socket_path);
		return CONTIGD_EXIT_RUNNING;
	}
	privs_memlock();
	err = setup_backend(d);
	if (err)
		return err == -ENODEV || err == -EOPNOTSUPP ?
			       CONTIGD_EXIT_BACKEND :
			       CONTIGD_EXIT_FAIL;
	if (setup_observer(d))
		return CONTIGD_EXIT_FAIL;
	if (queue_init(&d->q, d->cfg.max_queue))
		return CONTIGD_EXIT_FAIL;
	procs_init(&d->procs);
	stats_init(&d->st, d->backend->kind, d->binfo.abi_version,
		   !d->obs ? STATS_OBSERVER_NONE :
		   observer_mode(d->obs) == OBSERVER_MODE_BPF ?
			     STATS_OBSERVER_BPF :
			     STATS_OBSERVER_PROC);
	if (worker_init(&d->w, &d->q, &d->procs, d->backend, &d->st,
			d->opts.proc_root))
		return CONTIGD_EXIT_FAIL;
	d->w.why = policy_why;
	d->w.why_arg = d;
	daemon_exec_params(&d->cfg, d->opts.proc_root, &ep);
	worker_set_params(&d->w, &ep, (unsigned int)d->cfg.cpu_share);
	d->nr_slots = d->cfg.max_clients;
	d->clients = calloc(d->nr_slots, sizeof(*d->clients));
	if (!d->clients)
		return CONTIGD_EXIT_FAIL;
	for (i = 0; i < d->nr_slots; i++)
		d->clients[i].fd = -1;
	err = setup_fds(d);
	if (err) {
		log_warnx("setting up the main loop: %s", strerror(-err));
		return CONTIGD_EXIT_FAIL;
	}
	err = control_listen(d);
	if (err == -EADDRINUSE)
		log_warnx("%s: another contigd is listening there",
			  d->socket_path);
	else if (err)
		log_warnx("control socket %s: %s", d->socket_path,
			  strerror(-err));
	if (err)
		return err == -EADDRINUSE ? CONTIGD_EXIT_RUNNING :
					    CONTIGD_EXIT_FAIL;
	d->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	d->watch_max = watch_max();
	err = fdcloser_start(&d->closer);
	if (err)
		log_warnx("descriptor closer: %s (closing inline)",
			  strerror(-err));
	if (drop_privs(d))
		return CONTIGD_EXIT_FAIL;
	if (sd_watchdog_interval(&d->watchdog_usec) < 0)
		d->watchdog_usec = 0;
	return CONTIGD_EXIT_OK;
}

int daemon_run(const struct daemon_opts *opts)
{
	struct daemon d = { 0 };
	int ret;

	d.opts = *opts;
	d.epfd = d.sigfd = d.timerfd = d.listen_fd = -1;
	d.run_fd = d.spare_fd = -1;
	config_defaults(&d.cfg);
	rank_memo_init(&d.memo);
	d.started_ns = daemon_now_ns();
	ret = setup(&d);
	if (ret == CONTIGD_EXIT_OK && worker_start(&d.w)) {
		log_warnx("starting the worker thread failed");
		ret = CONTIGD_EXIT_FAIL;
	}
	if (ret != CONTIGD_EXIT_OK) {
		teardown(&d);
		return ret;
	}
	log_info("listening on %s, stats in %s", d.socket_path, d.stats_path);
	sd_notify_send("READY=1");
	notify_status(&d);
	loop(&d);

	sd_notify_send("STOPPING=1");
	if (d.listen_fd >= 0) {
		epoll_ctl(d.epfd, EPOLL_CTL_DEL, d.listen_fd, NULL);
		close(d.listen_fd);
		d.listen_fd = -1;
		unlinkat(d.run_fd, CONTIG_SOCKET_NAME, 0);
	}
	worker_stop(&d.w);
	control_jobs_done(&d, queue_take_done(&d.q));
	write_stats(&d);
	log_info("stopped");
	teardown(&d);
	return CONTIGD_EXIT_OK;
}
