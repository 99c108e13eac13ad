// SPDX-License-Identifier: GPL-2.0-only
/*
 * The control socket's connections (daemon.h): listening, accepting
 * within the per-uid and root slots, descriptors passed with requests,
 * running out of descriptors, and the rate-limited log of refusals.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon.h"
#include "log.h"
#include "proto.h"

/*
 * The descriptors passed with a packet: the first is kept in *proof (the
 * target's pagemap; NULL: none is), the others go to the closer.
 */
static void take_fds(struct daemon *d, struct msghdr *mh, int *proof,
		     uid_t uid)
{
	struct cmsghdr *cm;

	for (cm = CMSG_FIRSTHDR(mh); cm; cm = CMSG_NXTHDR(mh, cm)) {
		size_t i, nr;
		int fd;

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		nr = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < nr; i++) {
			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int),
			       sizeof(fd));
			if (proof && *proof < 0)
				*proof = fd;
			else
				fdcloser_close(&d->closer, fd, uid);
		}
	}
}

/*
 * Before a connection is closed: no more packets (SHUT_RD), and the
 * descriptors of those queued go to the closer. Closing the socket with
 * them queued would close them here, and one may wait (a lingering TCP
 * socket). An empty packet reads as the end too: read on, up to a bound
 * above the queue's length (net.unix.max_dgram_qlen, 10 by default).
 */
#define DRAIN_MAX 256

static void drain(struct daemon *d, int fd, uid_t uid)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(CONTROL_MAX_FDS * sizeof(int))];
	} ctl;
	unsigned char byte;
	int i;

	shutdown(fd, SHUT_RD);
	for (i = 0; i < DRAIN_MAX; i++) {
		struct iovec iov = { &byte, 1 };
		struct msghdr mh = { .msg_iov = &iov,
				     .msg_iovlen = 1,
				     .msg_control = ctl.buf,
				     .msg_controllen = sizeof(ctl.buf) };
		ssize_t n = recvmsg(fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		if (mh.msg_controllen > 0)
			take_fds(d, &mh, NULL, uid);
	}
}

void control_close_client(struct daemon *d, size_t slot)
{
	struct client *c = &d->clients[slot];

	if (c->fd < 0)
		return;
	epoll_ctl(d->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	drain(d, c->fd, c->peer.uid);
	fdcloser_close(&d->closer, c->fd, c->peer.uid);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	d->nr_clients--;
	if (d->spare_fd < 0)
		d->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
}

void control_readable(struct daemon *d, size_t slot)
{
	struct client *c = &d->clients[slot];
	unsigned char buf[CONTIG_PROTO_MAX_REQUEST + 1];
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(CONTROL_MAX_FDS * sizeof(int))];
	} ctl;
	struct iovec iov = { buf, sizeof(buf) };
	struct msghdr mh = { .msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = ctl.buf,
			     .msg_controllen = sizeof(ctl.buf) };
	int proof = -1;
	ssize_t n;
	uid_t uid;

	if (fdcloser_full(&d->closer, c->peer.uid)) {
		/* back pressure: read on once the closer caught up (tick) */
		struct epoll_event ev = { .events = 0,
					  .data.u64 = TAG(TAG_CLIENT, slot) };

		if (!epoll_ctl(d->epfd, EPOLL_CTL_MOD, c->fd, &ev))
			c->paused = true;
		return;
	}
	n = recvmsg(c->fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	/* a packet of 0 bytes may carry descriptors too: never leak them */
	if (n >= 0 && mh.msg_controllen > 0)
		take_fds(d, &mh, &proof, c->peer.uid);
	uid = c->peer.uid; /* the slot is cleared when n == 0 */
	control_request(d, slot, buf, n, &mh, &proof);
	fdcloser_close(&d->closer, proof, uid);
}

/*
 * Out of descriptors (err): accept with the descriptor kept spare, so
 * that the pending connection leaves the backlog (a level-triggered
 * listener would wake us for it again and again) and is served or told
 * EBUSY like any other. The spare is taken again once it is closed. With
 * no spare either, stop listening until the next tick. The connection,
 * or -1.
 */
static int accept_spare(struct daemon *d, int err)
{
	struct epoll_event ev = { .events = 0,
				  .data.u64 = TAG(TAG_LISTEN, 0) };
	uint64_t suppressed = 0;
	int fd = -1;

	if (d->spare_fd >= 0) {
		close(d->spare_fd);
		d->spare_fd = -1;
		fd = accept4(d->listen_fd, NULL, NULL,
			     SOCK_NONBLOCK | SOCK_CLOEXEC);
	}
	if (ratelimit_pass(NULL, &d->log_rl, (uid_t)-1, daemon_now_ns(),
			   &suppressed))
		log_warnx("accept: %s: %s", strerror(err),
			  fd >= 0 ? "served with the spare descriptor" :
				    "not listening for a second");
	if (fd < 0 && !d->listen_paused) {
		epoll_ctl(d->epfd, EPOLL_CTL_MOD, d->listen_fd, &ev);
		d->listen_paused = true;
	}
	return fd;
}

/* Refuse a connection: one EBUSY error packet (seq 0), then close. */
static void refuse_busy(struct daemon *d, int fd, uid_t uid, const char *why)
{
	struct contig_reply_hdr r;
	uint64_t suppressed = 0;

	memset(&r, 0, sizeof(r));
	proto_reply_init(&r, 0, 0, sizeof(r), 0, EBUSY, "%s", why);
	if (send(fd, &r, sizeof(r), MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		log_debug("refusing a connection: %s", strerror(errno));
	close(fd);
	pthread_mutex_lock(&d->w.lock);
	d->st.clients_refused++;
	pthread_mutex_unlock(&d->w.lock);
	if (ratelimit_pass(NULL, &d->log_rl, uid, daemon_now_ns(), &suppressed))
		log_warnx("uid %u: connection refused: %s", (unsigned int)uid,
			  why);
}

/*
 * A free slot for a peer of uid, or NULL with the reason in why: the
 * last CONTROL_ROOT_SLOTS slots are for uid 0, and no other uid holds
 * more than a quarter of the slots.
 */
static struct client *free_slot(struct daemon *d, uid_t uid, size_t *slot,
				char *why, size_t size)
{
	size_t i, mine = 0, cap = d->nr_slots / 4 ? d->nr_slots / 4 : 1;
	struct client *c = NULL;

	for (i = 0; i < d->nr_slots; i++) {
		if (d->clients[i].fd < 0 && !c) {
			c = &d->clients[i];
			*slot = i;
		} else if (d->clients[i].fd >= 0 &&
			   d->clients[i].peer.uid == uid) {
			mine++;
		}
	}
	if (!c) {
		snprintf(why, size, "all %zu connection slots busy",
			 d->nr_slots);
		return NULL;
	}
	if (uid == 0)
		return c;
	if (d->nr_clients + CONTROL_ROOT_SLOTS >= d->nr_slots) {
		snprintf(why, size,
			 "all %zu connection slots busy (the last kept for root)",
			 d->nr_slots);
		return NULL;
	}
	if (mine >= cap) {
		snprintf(why, size, "uid %u holds %zu connections: the limit",
			 (unsigned int)uid, mine);
		return NULL;
	}
	return c;
}

void control_accept(struct daemon *d)
{
	for (;;) {
		struct epoll_event ev = { .events = EPOLLIN };
		struct client *c;
		struct peer peer;
		char why[96];
		size_t slot;
		int fd;

		fd = accept4(d->listen_fd, NULL, NULL,
			     SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0 && (errno == EMFILE || errno == ENFILE ||
			       errno == ENOBUFS || errno == ENOMEM)) {
			fd = accept_spare(d, errno);
			if (fd < 0)
				return;
		}
		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR &&
			    errno != ECONNABORTED)
				log_warn("accept");
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			return;
		}
		if (access_peer(fd, &peer)) {
			close(fd);
			continue;
		}
		c = d->stopping ? NULL :
				  free_slot(d, peer.uid, &slot, why, sizeof(why));
		if (!c) {
			refuse_busy(d, fd, peer.uid,
				    d->stopping ? "contigd is shutting down" :
						  why);
			continue;
		}
		memset(c, 0, sizeof(*c));
		c->fd = fd;
		c->peer = peer;
		c->gen = ++d->next_gen;
		c->last_active_ns = daemon_now_ns();
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

/* A refused or malformed request, logged within the rate limits. */
void control_log_refusal(struct daemon *d, size_t slot, const char *msg)
{
	struct client *c = &d->clients[slot];
	uint64_t suppressed = 0;

	if (!ratelimit_pass(&c->rl, &d->log_rl, c->peer.uid, daemon_now_ns(),
			    &suppressed))
		return;
	if (suppressed)
		log_info("client pid %d (uid %u): %s (%" PRIu64
			 " earlier lines of uid %u suppressed)",
			 (int)c->peer.pid, (unsigned int)c->peer.uid, msg,
			 suppressed, (unsigned int)c->peer.uid);
	else
		log_info("client pid %d (uid %u): %s", (int)c->peer.pid,
			 (unsigned int)c->peer.uid, msg);
}

void listener_tick(struct daemon *d, uint64_t now)
{
	struct epoll_event ev = { .events = EPOLLIN,
				  .data.u64 = TAG(TAG_LISTEN, 0) };
	size_t pos = 0;
	uint64_t n;
	uid_t uid;

	while (ratelimit_next_summary(&d->log_rl, now, &pos, &uid, &n))
		log_info("uid %u: %" PRIu64
			 " log lines suppressed (more than %d in %llu s)",
			 (unsigned int)uid, n, RATELIMIT_BURST,
			 RATELIMIT_WINDOW_NS / 1000000000ull);
	if (d->spare_fd < 0)
		d->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (d->listen_paused &&
	    !epoll_ctl(d->epfd, EPOLL_CTL_MOD, d->listen_fd, &ev))
		d->listen_paused = false;
	for (size_t slot = 0; slot < d->nr_slots; slot++) {
		struct client *c = &d->clients[slot];

		ev.data.u64 = TAG(TAG_CLIENT, slot);
		if (c->fd >= 0 && c->paused &&
		    !fdcloser_full(&d->closer, c->peer.uid) &&
		    !epoll_ctl(d->epfd, EPOLL_CTL_MOD, c->fd, &ev))
			c->paused = false;
	}
}

void control_close_all(struct daemon *d)
{
	size_t slot;

	for (slot = 0; slot < d->nr_slots; slot++)
		control_close_client(d, slot);
	if (d->listen_fd >= 0) {
		close(d->listen_fd);
		d->listen_fd = -1;
		unlinkat(d->run_fd, CONTIG_SOCKET_NAME, 0);
	}
}

static int socket_addr(const struct daemon *d, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(d->bind_path) >= sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	strcpy(sa->sun_path, d->bind_path);
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
	mode_t mask;
	int fd, err;

	err = socket_addr(d, &sa);
	if (err)
		return err;
	if (control_socket_busy(d))
		return -EADDRINUSE;
	/* stale, from a daemon that died; never a name outside the dir */
	unlinkat(d->run_fd, CONTIG_SOCKET_NAME, 0);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/*
	 * Mode 0666 from the umask at bind() (the socket is created with
	 * 0777 & ~umask): no chmod by name afterwards, which would follow a
	 * symlink put in its place.
	 */
	mask = umask(0111);
	err = bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ? -errno : 0;
	umask(mask);
	if (err || listen(fd, 64) ||
	    epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ev)) {
		err = err ? err : -errno;
		close(fd);
		return err;
	}
	d->listen_fd = fd;
	return 0;
}
