// SPDX-License-Identifier: MIT
/*
 * Control-socket packet codec (proto.h): every check of a request the
 * daemon acts on, and of a reply a client believes.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "proto.h"

#define PAGE_MASK 4095u

static size_t request_size(uint16_t type)
{
	switch (type) {
	case CONTIG_MSG_HINT:
	case CONTIG_MSG_DEFRAG:
		return sizeof(struct contig_req_range);
	case CONTIG_MSG_STATUS:
		return sizeof(struct contig_msg_hdr);
	case CONTIG_MSG_SHOW:
		return sizeof(struct contig_req_show);
	default:
		return 0;
	}
}

int proto_decode_request(const void *buf, size_t len, int truncated,
			 struct proto_request *out)
{
	struct contig_msg_hdr h;
	size_t want;

	memset(out, 0, sizeof(*out));
	if (len >= sizeof(h)) {
		memcpy(&h, buf, sizeof(h));
		if (h.magic == CONTIG_PROTO_MAGIC && request_size(h.type))
			out->type = h.type;
		if (h.magic == CONTIG_PROTO_MAGIC)
			out->seq = h.seq;
	}
	if (truncated || len > CONTIG_PROTO_MAX_REQUEST)
		return -EMSGSIZE;
	if (len < sizeof(h) || h.magic != CONTIG_PROTO_MAGIC)
		return -EBADMSG;
	if (h.version != CONTIG_PROTO_VERSION)
		return -EPROTO;
	want = request_size(h.type);
	if (!want || h.len != len || len != want)
		return -EBADMSG;
	if (h.type == CONTIG_MSG_SHOW) {
		struct contig_req_show r;

		memcpy(&r, buf, sizeof(r));
		if (r.reserved || r.pid < 0)
			return -EBADMSG;
		out->pid = r.pid;
	} else if (h.type != CONTIG_MSG_STATUS) {
		struct contig_req_range r;
		uint32_t mode;

		memcpy(&r, buf, sizeof(r));
		mode = r.flags & CONTIG_HINT_MODE_MASK;
		if (r.reserved || r.pid < 0 ||
		    (r.flags & ~CONTIG_REQ_FLAGS_MASK))
			return -EBADMSG;
		if (h.type == CONTIG_MSG_HINT && mode != CONTIG_HINT_WANT &&
		    mode != CONTIG_HINT_NOW && mode != CONTIG_HINT_NEVER)
			return -EBADMSG;
		if (h.type == CONTIG_MSG_DEFRAG && mode)
			return -EBADMSG;
		out->pid = r.pid;
		out->flags = r.flags;
		out->start = r.start;
		out->end = r.end;
		out->timeout_ms = r.timeout_ms;
		if ((r.start | r.end) & PAGE_MASK)
			return -EINVAL;
		if ((r.start || r.end) && r.start >= r.end)
			return -EINVAL;
	}
	return 0;
}

void proto_hdr_init(struct contig_msg_hdr *h, uint16_t type, uint32_t len,
		    uint32_t seq)
{
	h->magic = CONTIG_PROTO_MAGIC;
	h->version = CONTIG_PROTO_VERSION;
	h->type = type;
	h->len = len;
	h->seq = seq;
}

void proto_reply_init(struct contig_reply_hdr *r, uint16_t type, uint32_t seq,
		      uint32_t len, int progress, int error, const char *fmt,
		      ...)
{
	va_list ap;

	proto_hdr_init(&r->h,
		       progress ? CONTIG_MSG_PROGRESS :
		       type	? (uint16_t)(type | CONTIG_MSG_REPLY) :
				  CONTIG_MSG_ERROR,
		       len, seq);
	r->error = error;
	r->flags = 0;
	memset(r->message, 0, sizeof(r->message));
	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(r->message, sizeof(r->message), fmt, ap);
		va_end(ap);
	}
}

static int terminated(const char *s, size_t n)
{
	return memchr(s, '\0', n) != NULL;
}

/* Bytes a reply of this type must have; 0: unknown type. */
static size_t reply_size(const void *buf, size_t len, uint16_t type)
{
	struct contig_rep_show show;

	switch (type) {
	case CONTIG_MSG_HINT | CONTIG_MSG_REPLY:
	case CONTIG_MSG_DEFRAG | CONTIG_MSG_REPLY:
		return sizeof(struct contig_rep_result);
	case CONTIG_MSG_STATUS | CONTIG_MSG_REPLY:
		return sizeof(struct contig_rep_status);
	case CONTIG_MSG_SHOW | CONTIG_MSG_REPLY:
		if (len < sizeof(show))
			return sizeof(show);
		memcpy(&show, buf, sizeof(show));
		if (show.nr > CONTIG_SHOW_MAX)
			return 0;
		return sizeof(show) + show.nr * sizeof(struct contig_show_vma);
	case CONTIG_MSG_PROGRESS:
		return sizeof(struct contig_rep_progress);
	case CONTIG_MSG_ERROR:
		return sizeof(struct contig_reply_hdr);
	default:
		return 0;
	}
}

int proto_check_reply(const void *buf, size_t len, uint16_t type, uint32_t seq,
		      int *is_progress)
{
	struct contig_reply_hdr r;
	size_t want;

	*is_progress = 0;
	if (len < sizeof(r))
		return -EBADMSG;
	memcpy(&r, buf, sizeof(r));
	if (r.h.magic != CONTIG_PROTO_MAGIC)
		return -EBADMSG;
	if (r.h.version != CONTIG_PROTO_VERSION)
		return -EPROTO;
	if (r.h.len != len || r.h.seq != seq ||
	    !terminated(r.message, sizeof(r.message)))
		return -EBADMSG;
	if (r.h.type != CONTIG_MSG_ERROR && r.h.type != CONTIG_MSG_PROGRESS &&
	    r.h.type != (uint16_t)(type | CONTIG_MSG_REPLY))
		return -EBADMSG;
	want = reply_size(buf, len, r.h.type);
	/* an error may come as the reply header alone */
	if (r.error && len == sizeof(r) && want)
		want = len;
	if (!want || want != len)
		return -EBADMSG;
	if (r.h.type == CONTIG_MSG_STATUS + CONTIG_MSG_REPLY &&
	    len == sizeof(struct contig_rep_status)) {
		struct contig_rep_status st;

		memcpy(&st, buf, sizeof(st));
		if (!terminated(st.version, sizeof(st.version)) ||
		    !terminated(st.backend, sizeof(st.backend)) ||
		    !terminated(st.observer, sizeof(st.observer)) ||
		    !terminated(st.backend_reason, sizeof(st.backend_reason)) ||
		    !terminated(st.heat_source, sizeof(st.heat_source)) ||
		    !terminated(st.tlb, sizeof(st.tlb)) ||
		    !terminated(st.submission, sizeof(st.submission)))
			return -EBADMSG;
	}
	*is_progress = r.h.type == CONTIG_MSG_PROGRESS;
	return 0;
}
