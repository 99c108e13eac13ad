// SPDX-License-Identifier: GPL-2.0-only
/*
 * Rate limits for client-caused log lines (ratelimit.h).
 */
#include <string.h>

#include "ratelimit.h"

static bool room(struct ratelimit *rl, uint64_t now)
{
	if (now - rl->start_ns >= RATELIMIT_WINDOW_NS || !rl->start_ns) {
		rl->start_ns = now ? now : 1;
		rl->n = 0;
	}
	return rl->n < RATELIMIT_BURST;
}

/* Nothing held back and its window over: the slot may change hands. */
static bool idle(const struct ratelimit *rl, uint64_t now)
{
	return !rl->suppressed && now - rl->start_ns >= RATELIMIT_WINDOW_NS;
}

/*
 * The slot of uid: its own, found by probing from its hash, else a free
 * or idle one; with every slot busy, the hash slot's counts are shared
 * (never reset: another uid's limit and count stay).
 */
static struct ratelimit *uid_slot(struct ratelimit_uids *t, uid_t uid,
				  uint64_t now)
{
	size_t h = (size_t)uid * 2654435761u % RATELIMIT_UID_SLOTS;
	size_t i, k, spare = RATELIMIT_UID_SLOTS;

	for (k = 0; k < RATELIMIT_UID_SLOTS; k++) {
		i = (h + k) % RATELIMIT_UID_SLOTS;
		if (t->e[i].used && t->e[i].uid == uid)
			return &t->e[i].rl;
		if (spare == RATELIMIT_UID_SLOTS &&
		    (!t->e[i].used || idle(&t->e[i].rl, now)))
			spare = i;
	}
	if (spare == RATELIMIT_UID_SLOTS)
		return &t->e[h].rl;
	memset(&t->e[spare], 0, sizeof(t->e[spare]));
	t->e[spare].used = true;
	t->e[spare].uid = uid;
	return &t->e[spare].rl;
}

bool ratelimit_pass(struct ratelimit *conn, struct ratelimit_uids *uids,
		    uid_t uid, uint64_t now_ns, uint64_t *suppressed)
{
	struct ratelimit *u = uid_slot(uids, uid, now_ns);
	bool ok = room(u, now_ns) && (!conn || room(conn, now_ns));

	/* Counted per uid: the count outlives a connection that closes. */
	if (!ok) {
		u->suppressed++;
		return false;
	}
	u->n++;
	if (conn)
		conn->n++;
	*suppressed = u->suppressed;
	u->suppressed = 0;
	return true;
}

bool ratelimit_next_summary(struct ratelimit_uids *uids, uint64_t now_ns,
			    size_t *pos, uid_t *uid, uint64_t *n)
{
	for (; *pos < RATELIMIT_UID_SLOTS; (*pos)++) {
		struct ratelimit *rl = &uids->e[*pos].rl;

		if (!uids->e[*pos].used || !rl->suppressed ||
		    now_ns - rl->start_ns < RATELIMIT_WINDOW_NS)
			continue;
		*uid = uids->e[*pos].uid;
		*n = rl->suppressed;
		rl->suppressed = 0;
		(*pos)++;
		return true;
	}
	return false;
}
