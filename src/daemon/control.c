// SPDX-License-Identifier: GPL-2.0-only
/*
 * The control socket (contig_proto.h): connections, requests, replies.
 *
 * Every packet is read whole (SOCK_SEQPACKET) into a buffer one byte
 * larger than the largest request, so that an oversized one is seen as
 * such; anything the codec refuses gets an error reply and is logged once
 * per connection. Replies are sent without blocking: a client that does
 * not read them is disconnected. Idle connections are closed after
 * client_timeout_ms once more than half the slots are taken.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon.h"
#include "log.h"
#include "proto.h"

#ifndef CONTIG_VERSION
#define CONTIG_VERSION "unknown"
#endif

static void count(struct daemon *d, enum stats_request type, int error)
{
	pthread_mutex_lock(&d->w.lock);
	d->st.requests[type]++;
	if (error)
		d->st.request_errors[stats_req_error_of(error)]++;
	pthread_mutex_unlock(&d->w.lock);
}

static enum stats_request stats_type(uint16_t type)
{
	switch (type) {
	case CONTIG_MSG_HINT:
		return STATS_REQ_HINT;
	case CONTIG_MSG_DEFRAG:
		return STATS_REQ_DEFRAG;
	case CONTIG_MSG_STATUS:
		return STATS_REQ_STATUS;
	case CONTIG_MSG_SHOW:
		return STATS_REQ_SHOW;
	default:
		return STATS_REQ_MALFORMED;
	}
}

static void close_client(struct daemon *d, size_t slot)
{
	struct client *c = &d->clients[slot];

	if (c->fd < 0)
		return;
	epoll_ctl(d->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	d->nr_clients--;
}

/* Send one packet; a client that cannot take it is disconnected. */
static bool send_packet(struct daemon *d, size_t slot, const void *buf,
			size_t len)
{
	struct client *c = &d->clients[slot];
	ssize_t n = send(c->fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);

	if (n == (ssize_t)len)
		return true;
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		log_warnx(
			"client pid %d does not read its replies: disconnected",
			(int)c->peer.pid);
	else if (n < 0 && errno != EPIPE && errno != ECONNRESET)
		log_warn("client pid %d: send", (int)c->peer.pid);
	close_client(d, slot);
	return false;
}

/* An answer with only the reply header. */
static void reply_error(struct daemon *d, size_t slot, uint16_t type,
			uint32_t seq, int error, const char *msg)
{
	struct contig_reply_hdr r;

	memset(&r, 0, sizeof(r));
	proto_reply_init(&r, type, seq, sizeof(r), 0, error, "%s",
			 msg ? msg : "");
	count(d, stats_type(type), error);
	send_packet(d, slot, &r, sizeof(r));
}

static void figures(struct contig_figures *f, const struct contig_metrics *m)
{
	f->pages = m->pages;
	f->present = m->present;
	f->runs = m->runs;
	f->largest_run = m->largest_run;
	f->runs_99 = m->runs_99;
	f->aligned_2m = m->aligned_2m;
}

static void reply_result(struct daemon *d, size_t slot, const struct job *j)
{
	struct client *c = &d->clients[slot];
	const struct job_result *res = &j->res;
	struct contig_rep_result r;

	memset(&r, 0, sizeof(r));
	proto_reply_init(&r.r, c->type, c->seq, sizeof(r), 0, res->error, "%s",
			 res->message);
	if (res->reached && !res->error)
		r.r.flags |= CONTIG_REP_REACHED;
	figures(&r.before, &res->before);
	figures(&r.after, &res->after);
	r.ops = res->ops;
	r.done = res->done;
	r.failed = res->failed;
	r.pages_verified = res->verified;
	r.duration_us = res->duration_us;
	r.pieces = res->pieces;
	c->job = NULL;
	count(d, stats_type(c->type), res->error);
	send_packet(d, slot, &r, sizeof(r));
}

static void reply_queued(struct daemon *d, size_t slot, uint16_t type,
			 uint32_t seq)
{
	struct contig_rep_result r;

	memset(&r, 0, sizeof(r));
	proto_reply_init(&r.r, type, seq, sizeof(r), 0, 0, "queued");
	r.r.flags |= CONTIG_REP_QUEUED;
	count(d, stats_type(type), 0);
	send_packet(d, slot, &r, sizeof(r));
}

static void handle_status(struct daemon *d, size_t slot,
			  const struct proto_request *rq)
{
	struct contig_rep_status r;
	struct stats st;
	uint64_t failed = 0;
	int i;

	memset(&r, 0, sizeof(r));
	pthread_mutex_lock(&d->w.lock);
	st = d->st;
	pthread_mutex_unlock(&d->w.lock);
	for (i = 0; i < STATS_REASON_COUNT; i++)
		failed += st.ops_failed[i];
	proto_reply_init(&r.r, rq->type, rq->seq, sizeof(r), 0, 0, NULL);
	snprintf(r.version, sizeof(r.version), "%s", CONTIG_VERSION);
	snprintf(r.backend, sizeof(r.backend), "%s",
		 backend_kind_name(d->backend->kind));
	snprintf(r.observer, sizeof(r.observer), "%s",
		 observer_mode_name(d->obs ? observer_mode(d->obs) :
					     OBSERVER_MODE_NONE));
	snprintf(r.backend_reason, sizeof(r.backend_reason), "%s",
		 d->backend->reason);
	snprintf(r.heat_source, sizeof(r.heat_source), "%s",
		 observer_source_name(d->obs ? observer_source(d->obs) :
					       OBSERVER_SRC_NONE));
	snprintf(r.tlb, sizeof(r.tlb), "%s",
		 d->obs ? observer_tlb(d->obs) : "none (no observer)");
	r.backend_abi = d->binfo.abi_version;
	r.queue_length = (uint32_t)queue_length(&d->q);
	r.watched = (uint32_t)st.watched;
	r.claims = (uint32_t)atomic_load(&d->w.nr_claims);
	r.uptime_s = (daemon_now_ns() - d->started_ns) / 1000000000u;
	for (i = 0; i < STATS_PASS_COUNT; i++)
		r.passes += st.passes[i];
	r.pages_moved = st.pages_moved;
	r.pages_exchanged = st.pages_exchanged;
	r.blocks_collapsed = st.blocks_collapsed;
	r.ops_failed = failed;
	r.bytes_contiguous = st.bytes_contiguous;
	count(d, STATS_REQ_STATUS, 0);
	send_packet(d, slot, &r, sizeof(r));
}

/* The state of the VMA [start, end) of p, merged over its pieces. */
static void vma_state(const struct proc *p, struct contig_show_vma *v)
{
	size_t i;

	v->anchor_pfn = CONTIG_PFN_UNKNOWN;
	if (!p)
		return;
	if (procs_is_never(p, v->start, v->end))
		v->state |= CONTIG_VMA_NEVER;
	for (i = 0; i < p->nr; i++) {
		const struct range_state *r = &p->r[i];

		if (r->start < v->start || r->end > v->end)
			continue;
		v->state |= r->flags;
		v->failures += r->failures;
		v->last_runs += r->last_runs;
		if ((uint64_t)r->last_pass > v->last_pass_unix)
			v->last_pass_unix = (uint64_t)r->last_pass;
		if (v->anchor_pfn == CONTIG_PFN_UNKNOWN)
			v->anchor_pfn = r->anchor_pfn;
	}
}

static void handle_show(struct daemon *d, size_t slot,
			const struct proto_request *rq, pid_t pid)
{
	struct vma_list maps = { 0 };
	struct contig_rep_show *r;
	bool truncated = false;
	size_t i, len;
	struct proc *p;
	int err;

	err = maps_read(d->opts.proc_root, pid, &maps);
	if (err) {
		char msg[120];

		snprintf(msg, sizeof(msg), "reading the maps of pid %d: %s",
			 (int)pid, strerror(-err));
		reply_error(d, slot, rq->type, rq->seq, -err, msg);
		return;
	}
	r = calloc(1, CONTIG_PROTO_MAX_REPLY);
	if (!r) {
		vma_list_free(&maps);
		reply_error(d, slot, rq->type, rq->seq, ENOMEM,
			    "out of memory");
		return;
	}
	procs_lock(&d->procs);
	p = procs_get(&d->procs, pid, false);
	for (i = 0; i < maps.nr; i++) {
		struct contig_show_vma *v = &r->vma[r->nr];

		if (!worker_eligible(&maps.v[i]))
			continue;
		if (r->nr == CONTIG_SHOW_MAX) {
			truncated = true;
			break;
		}
		v->start = maps.v[i].start;
		v->end = maps.v[i].end;
		vma_state(p, v);
		r->nr++;
	}
	procs_unlock(&d->procs);
	for (i = 0; i < r->nr; i++) {
		r->vma[i].heat = policy_heat(d, pid, r->vma[i].start);
		r->vma[i].state |= policy_heat_source(d) << CONTIG_VMA_SRC_SHIFT;
	}
	len = sizeof(*r) + r->nr * sizeof(r->vma[0]);
	proto_reply_init(&r->r, rq->type, rq->seq, (uint32_t)len, 0, 0, NULL);
	if (truncated)
		r->r.flags |= CONTIG_REP_TRUNCATED;
	count(d, STATS_REQ_SHOW, 0);
	send_packet(d, slot, r, len);
	free(r);
	vma_list_free(&maps);
}

/* Does [start, end) (0, 0: all) touch memory a pass may work on? */
static int range_check(struct daemon *d, pid_t pid, uint64_t start,
		       uint64_t end)
{
	struct vma_list maps = { 0 };
	size_t i;
	int err;

	err = maps_read(d->opts.proc_root, pid, &maps);
	if (err)
		return err;
	err = -EINVAL;
	for (i = 0; i < maps.nr && err; i++)
		if (worker_eligible(&maps.v[i]) &&
		    (!end || (maps.v[i].start < end && start < maps.v[i].end)))
			err = 0;
	vma_list_free(&maps);
	return err;
}

static void handle_range(struct daemon *d, size_t slot,
			 const struct proto_request *rq, pid_t pid)
{
	struct client *c = &d->clients[slot];
	uint32_t mode = rq->flags & CONTIG_HINT_MODE_MASK;
	bool wait = rq->flags & CONTIG_REQ_WAIT, joined;
	enum job_prio prio = JOB_PRIO_DEFRAG;
	char msg[120];
	struct proc *p;
	struct job *j;
	int err;

	err = range_check(d, pid, rq->start, rq->end);
	if (err) {
		if (err == -EINVAL)
			snprintf(
				msg, sizeof(msg),
				"pid %d has no private writable anonymous memory in that range",
				(int)pid);
		else
			snprintf(msg, sizeof(msg),
				 "reading the maps of pid %d: %s", (int)pid,
				 strerror(-err));
		reply_error(d, slot, rq->type, rq->seq, -err, msg);
		return;
	}
	if (rq->type == CONTIG_MSG_HINT) {
		prio = mode == CONTIG_HINT_NOW ? JOB_PRIO_NOW : JOB_PRIO_WANT;
		wait = wait || mode == CONTIG_HINT_NOW;
	}
	procs_lock(&d->procs);
	p = procs_get(&d->procs, pid, true);
	err = !p ? -ENOMEM : 0;
	if (p && mode == CONTIG_HINT_NEVER && rq->type == CONTIG_MSG_HINT)
		err = procs_never_add(p, rq->start,
				      rq->end ? rq->end : UINT64_MAX);
	procs_unlock(&d->procs);
	if (err) {
		reply_error(d, slot, rq->type, rq->seq, ENOMEM,
			    "out of memory");
		return;
	}
	policy_watch_exit(d, pid);
	if (mode == CONTIG_HINT_NEVER && rq->type == CONTIG_MSG_HINT) {
		reply_error(d, slot, rq->type, rq->seq, 0, "excluded");
		return;
	}
	err = queue_push(&d->q, pid, rq->start, rq->end, prio, &j, &joined);
	if (err) {
		reply_error(d, slot, rq->type, rq->seq, -err,
			    err == -EAGAIN ? "the queue is full" :
					     "out of memory");
		return;
	}
	log_debug("pid %d: %s 0x%" PRIx64 "-0x%" PRIx64 " for pid %d%s",
		  (int)c->peer.pid,
		  rq->type == CONTIG_MSG_HINT ? "hint" : "defrag", rq->start,
		  rq->end, (int)pid, joined ? " (joined)" : "");
	if (!wait) {
		reply_queued(d, slot, rq->type, rq->seq);
		return;
	}
	c->job = j;
	c->seq = rq->seq;
	c->type = rq->type;
	c->flags = rq->flags;
	c->progress_gen = 0;
	c->deadline_ns = daemon_now_ns() +
			 (uint64_t)(rq->timeout_ms ? rq->timeout_ms :
						     d->cfg.wait_timeout_ms) *
				 1000000u;
}

static void dispatch(struct daemon *d, size_t slot,
		     const struct proto_request *rq)
{
	struct client *c = &d->clients[slot];
	pid_t pid = rq->pid ? rq->pid : c->peer.pid;
	char msg[120];
	int err;

	if (rq->type == CONTIG_MSG_STATUS) {
		handle_status(d, slot, rq);
		return;
	}
	err = access_check(d->opts.proc_root, &c->peer, pid, msg, sizeof(msg));
	if (err) {
		if (err == -EPERM)
			log_info("refused pid %d (uid %u): %s",
				 (int)c->peer.pid, (unsigned int)c->peer.uid,
				 msg);
		reply_error(d, slot, rq->type, rq->seq, -err, msg);
		return;
	}
	if (rq->type == CONTIG_MSG_SHOW)
		handle_show(d, slot, rq, pid);
	else if (d->stopping)
		reply_error(d, slot, rq->type, rq->seq, EAGAIN,
			    "contigd is shutting down");
	else
		handle_range(d, slot, rq, pid);
}

static const char *decode_error(int err)
{
	switch (err) {
	case -EMSGSIZE:
		return "request too large";
	case -EPROTO:
		return "unknown protocol version";
	case -EINVAL:
		return "bad range: not page-aligned, or start >= end";
	default:
		return "malformed request";
	}
}

void control_readable(struct daemon *d, size_t slot)
{
	struct client *c = &d->clients[slot];
	unsigned char buf[CONTIG_PROTO_MAX_REQUEST + 1];
	struct iovec iov = { buf, sizeof(buf) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct proto_request rq;
	ssize_t n;
	int err;

	n = recvmsg(c->fd, &mh, MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		/* Gone: a job it waited for runs on, unanswered. */
		close_client(d, slot);
		return;
	}
	c->last_active_ns = daemon_now_ns();
	err = proto_decode_request(buf, (size_t)n,
				   (mh.msg_flags & MSG_TRUNC) ||
					   n > CONTIG_PROTO_MAX_REQUEST,
				   &rq);
	if (err) {
		if (!c->complained)
			log_warnx("client pid %d (uid %u): %s (%zd bytes)",
				  (int)c->peer.pid, (unsigned int)c->peer.uid,
				  decode_error(err), n);
		c->complained = true;
		reply_error(d, slot, rq.type, rq.seq, -err, decode_error(err));
		return;
	}
	if (c->job) {
		reply_error(d, slot, rq.type, rq.seq, EAGAIN,
			    "one request at a time on a connection");
		return;
	}
	dispatch(d, slot, &rq);
}

void control_accept(struct daemon *d)
{
	for (;;) {
		struct epoll_event ev = { .events = EPOLLIN };
		struct client *c = NULL;
		size_t slot;
		int fd;

		fd = accept4(d->listen_fd, NULL, NULL,
			     SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR &&
			    errno != ECONNABORTED)
				log_warn("accept");
			return;
		}
		for (slot = 0; slot < d->nr_slots; slot++)
			if (d->clients[slot].fd < 0) {
				c = &d->clients[slot];
				break;
			}
		if (!c || d->stopping) {
			pthread_mutex_lock(&d->w.lock);
			if (!d->st.clients_refused++)
				log_warnx(
					"more than %zu clients: refusing connections",
					d->nr_slots);
			pthread_mutex_unlock(&d->w.lock);
			close(fd);
			continue;
		}
		memset(c, 0, sizeof(*c));
		c->fd = fd;
		c->gen = ++d->next_gen;
		c->last_active_ns = daemon_now_ns();
		if (access_peer(fd, d->opts.proc_root, &c->peer))
			c->peer.pid = -1; /* no identity: may only ask status */
		ev.data.u64 = TAG(TAG_CLIENT, slot);
		if (epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ev)) {
			log_warn("epoll_ctl");
			close(fd);
			c->fd = -1;
			continue;
		}
		d->nr_clients++;
	}
}

void control_jobs_done(struct daemon *d, struct job *done)
{
	while (done) {
		struct job *next = done->next;
		size_t slot;

		for (slot = 0; slot < d->nr_slots; slot++)
			if (d->clients[slot].fd >= 0 &&
			    d->clients[slot].job == done)
				reply_result(d, slot, done);
		if (done->res.error && done->prio != JOB_PRIO_OBSERVER)
			log_debug("pid %d: %s", (int)done->pid,
				  done->res.message);
		queue_job_free(done);
		done = next;
	}
}

void control_progress(struct daemon *d)
{
	size_t slot;

	for (slot = 0; slot < d->nr_slots; slot++) {
		struct client *c = &d->clients[slot];
		struct contig_rep_progress r;
		uint64_t done, total, gen;
		uint32_t pdone, ptotal;

		if (c->fd < 0 || !c->job || !(c->flags & CONTIG_REQ_PROGRESS))
			continue;
		memset(&r, 0, sizeof(r));
		queue_progress_get(&d->q, c->job, &done, &total, &pdone,
				   &ptotal, &gen);
		if (gen == c->progress_gen)
			continue;
		c->progress_gen = gen;
		r.ops_done = done;
		r.ops_total = total;
		r.pieces_done = pdone;
		r.pieces_total = ptotal;
		proto_reply_init(&r.r, c->type, c->seq, sizeof(r), 1, 0, NULL);
		send_packet(d, slot, &r, sizeof(r));
	}
}

void control_tick(struct daemon *d, uint64_t now)
{
	uint64_t idle = d->cfg.client_timeout_ms * 1000000u;
	size_t slot;

	for (slot = 0; slot < d->nr_slots; slot++) {
		struct client *c = &d->clients[slot];

		if (c->fd < 0)
			continue;
		if (c->job && c->deadline_ns && now >= c->deadline_ns) {
			char msg[120];

			snprintf(
				msg, sizeof(msg),
				"not done within the timeout; the work goes on");
			c->job = NULL;
			reply_error(d, slot, c->type, c->seq, ETIMEDOUT, msg);
			continue;
		}
		if (!c->job && d->nr_clients * 2 > d->nr_slots &&
		    now - c->last_active_ns > idle)
			close_client(d, slot);
	}
}

void control_close_all(struct daemon *d)
{
	size_t slot;

	for (slot = 0; slot < d->nr_slots; slot++)
		close_client(d, slot);
	if (d->listen_fd >= 0) {
		close(d->listen_fd);
		d->listen_fd = -1;
		unlink(d->socket_path);
	}
}

static int socket_addr(const struct daemon *d, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(d->socket_path) >= sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	strcpy(sa->sun_path, d->socket_path);
	return 0;
}

bool control_socket_busy(const struct daemon *d)
{
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	struct sockaddr_un sa;
	bool alive;

	if (fd < 0 || socket_addr(d, &sa)) {
		if (fd >= 0)
			close(fd);
		return false;
	}
	alive = !connect(fd, (const struct sockaddr *)&sa, sizeof(sa));
	close(fd);
	return alive;
}

int control_listen(struct daemon *d)
{
	struct epoll_event ev = { .events = EPOLLIN,
				  .data.u64 = TAG(TAG_LISTEN, 0) };
	struct sockaddr_un sa;
	int fd, err;

	err = socket_addr(d, &sa);
	if (err)
		return err;
	if (control_socket_busy(d))
		return -EADDRINUSE;
	unlink(d->socket_path); /* stale, from a daemon that died */
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    chmod(d->socket_path, 0666) || listen(fd, 64) ||
	    epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ev)) {
		err = -errno;
		close(fd);
		return err;
	}
	d->listen_fd = fd;
	return 0;
}
