// SPDX-License-Identifier: GPL-2.0-only
/*
 * The control socket (contig_proto.h): requests and replies; the
 * connections themselves are listener.c's.
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
#include <sys/socket.h>
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
	control_close_client(d, slot);
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
	struct backend_info bi;
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
	if (!backend_info(d->backend, &bi)) {
		snprintf(r.submission, sizeof(r.submission), "%s",
			 bi.submission);
		r.depth = bi.depth;
	}
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
			const struct proto_request *rq, const struct target *t)
{
	struct vma_list maps = { 0 };
	pid_t pid = t->pid;
	char msg[120];
	struct contig_rep_show *r;
	bool truncated = false;
	size_t i, len;
	struct proc *p;
	int err;

	err = maps_read(d->opts.proc_root, pid, &maps);
	if (err) {
		snprintf(msg, sizeof(msg), "reading the maps of pid %d: %s",
			 (int)pid, strerror(-err));
		reply_error(d, slot, rq->type, rq->seq, -err, msg);
		return;
	}
	/* Read after the check: still the image the caller was checked on? */
	err = target_check(t, msg, sizeof(msg));
	if (err) {
		vma_list_free(&maps);
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
			 const struct proto_request *rq, struct target *t)
{
	pid_t pid = t->pid;
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
	if (err == -ENOSPC) {
		snprintf(msg, sizeof(msg),
			 "pid %d has %d excluded ranges already: the limit",
			 (int)pid, PROCS_NEVER_MAX);
		reply_error(d, slot, rq->type, rq->seq, ENOSPC, msg);
		return;
	}
	if (err) {
		reply_error(d, slot, rq->type, rq->seq, ENOMEM,
			    "out of memory");
		return;
	}
	if (procs_watched(&d->procs) < d->watch_max)
		policy_watch_exit(d, pid);
	if (mode == CONTIG_HINT_NEVER && rq->type == CONTIG_MSG_HINT) {
		reply_error(d, slot, rq->type, rq->seq, 0, "excluded");
		return;
	}
	err = queue_push_target(&d->q, t, c->peer.uid, rq->start, rq->end,
				prio, &j, &joined);
	if (err == -EDQUOT)
		snprintf(msg, sizeof(msg),
			 "uid %u has %d requests (%d CONTIG_NOW) in the queue: the per-user limit",
			 (unsigned int)c->peer.uid, QUEUE_UID_MAX,
			 QUEUE_UID_NOW_MAX);
	if (err) {
		reply_error(d, slot, rq->type, rq->seq,
			    err == -ENOMEM ? ENOMEM : EAGAIN,
			    err == -EDQUOT ? msg :
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
		     const struct proto_request *rq, int *proof)
{
	struct client *c = &d->clients[slot];
	pid_t pid = rq->pid ? rq->pid : c->peer.pid;
	struct target t;
	char msg[120];
	int err;

	if (rq->type == CONTIG_MSG_STATUS) {
		handle_status(d, slot, rq);
		return;
	}
	err = target_bind(d->opts.proc_root, pid, *proof, &t, msg, sizeof(msg));
	if (err) {
		if (err == -EPERM)
			control_log_refusal(d, slot, msg);
		reply_error(d, slot, rq->type, rq->seq, -err, msg);
		return;
	}
	*proof = -1; /* t owns it now */
	if (rq->type == CONTIG_MSG_SHOW)
		handle_show(d, slot, rq, &t);
	else if (d->stopping)
		reply_error(d, slot, rq->type, rq->seq, EAGAIN,
			    "contigd is shutting down");
	else
		handle_range(d, slot, rq, &t);
	target_release(&t); /* unless a new job took it over */
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

void control_request(struct daemon *d, size_t slot,
			    const unsigned char *buf, ssize_t n,
			    const struct msghdr *mh, int *proof)
{
	struct client *c = &d->clients[slot];
	struct proto_request rq;
	int err;

	if (n <= 0) {
		/* Gone: a job it waited for runs on, unanswered. */
		control_close_client(d, slot);
		return;
	}
	c->last_active_ns = daemon_now_ns();
	err = proto_decode_request(buf, (size_t)n,
				   (mh->msg_flags & MSG_TRUNC) ||
					   n > CONTIG_PROTO_MAX_REQUEST,
				   &rq);
	if (err) {
		if (!c->complained)
			control_log_refusal(d, slot, decode_error(err));
		c->complained = true;
		reply_error(d, slot, rq.type, rq.seq, -err, decode_error(err));
		return;
	}
	if (c->job) {
		reply_error(d, slot, rq.type, rq.seq, EAGAIN,
			    "one request at a time on a connection");
		return;
	}
	if (mh->msg_flags & MSG_CTRUNC) {
		/* the kernel dropped descriptors: we are short of them */
		control_log_refusal(d, slot, "passed descriptors dropped");
		reply_error(d, slot, rq.type, rq.seq, EAGAIN,
			    "contigd is short of descriptors: try again");
		return;
	}
	dispatch(d, slot, &rq, proof);
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

	listener_tick(d, now);
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
			control_close_client(d, slot);
	}
}
