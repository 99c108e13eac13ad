// SPDX-License-Identifier: GPL-2.0-only
/*
 * The control-socket codec (src/proto/proto.c). The first input byte
 * picks what is fed:
 *
 *   0  the rest as a request packet to proto_decode_request();
 *   1  a request built field by field (valid header, fields from the
 *      input), so that the checks past the header get exercised;
 *   2  the rest as a reply packet to proto_check_reply();
 *   3  a reply built with proto_reply_init(), which the client side
 *      must accept.
 *
 * Decoded requests are compared with a reading of contig_proto.h: a
 * request the header calls well formed must be accepted with the same
 * fields, and an accepted one must be well formed. Where the header does
 * not say which error wins, only the class is checked.
 */
#include <errno.h>

#include "fuzz_common.h"
#include "proto.h"

#define PAGE 4096u

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

/* What the header says of buf[0, len): 0, -EBADMSG, -EPROTO, -EINVAL,
 * -EMSGSIZE, or 1 when it does not say. */
static int expected(const uint8_t *buf, size_t len, int truncated)
{
	struct contig_msg_hdr h;
	struct contig_req_range r;
	struct contig_req_show s;
	unsigned int mode;

	if (truncated || len > CONTIG_PROTO_MAX_REQUEST)
		return -EMSGSIZE;
	if (len < sizeof(h))
		return -EBADMSG;
	memcpy(&h, buf, sizeof(h));
	if (h.magic != CONTIG_PROTO_MAGIC)
		return -EBADMSG;
	if (h.version != CONTIG_PROTO_VERSION)
		return -EPROTO;
	if (h.len != len || !request_size(h.type) ||
	    len != request_size(h.type))
		return -EBADMSG;
	switch (h.type) {
	case CONTIG_MSG_STATUS:
		return 0;
	case CONTIG_MSG_SHOW:
		memcpy(&s, buf, sizeof(s));
		return s.pid < 0 || s.reserved ? -EBADMSG : 0;
	default:
		break;
	}
	memcpy(&r, buf, sizeof(r));
	if (r.flags & ~CONTIG_REQ_FLAGS_MASK || r.reserved || r.pid < 0)
		return -EBADMSG;
	mode = r.flags & CONTIG_HINT_MODE_MASK;
	if (h.type == CONTIG_MSG_HINT && (!mode || (mode & (mode - 1))))
		return -EBADMSG;
	/* Not said: mode bits on DEFRAG, PROGRESS without WAIT. */
	if (h.type == CONTIG_MSG_DEFRAG && mode)
		return 1;
	if ((r.flags & CONTIG_REQ_PROGRESS) && !(r.flags & CONTIG_REQ_WAIT))
		return 1;
	if (r.start == 0 && r.end == 0)
		return 0;
	if (r.start % PAGE || r.end % PAGE || r.start >= r.end)
		return -EINVAL;
	return 0;
}

static void check_request(const uint8_t *buf, size_t len, int truncated)
{
	struct proto_request out;
	int want = expected(buf, len, truncated);
	int got;

	memset(&out, 0xa5, sizeof(out));
	got = proto_decode_request(buf, len, truncated, &out);
	if (want != 1 && got != want)
		fprintf(stderr, "decode: %d, expected %d\n", got, want);
	FUZZ_CHECK(want == 1 || got == want);
	FUZZ_CHECK(!got || got == -EBADMSG || got == -EPROTO ||
		   got == -EINVAL || got == -EMSGSIZE);
	if (len < sizeof(struct contig_msg_hdr)) {
		FUZZ_CHECK(!out.type && !out.seq);
		return;
	}
	if (got) {
		struct contig_msg_hdr h;

		/* What could be read, for the error reply to echo. */
		memcpy(&h, buf, sizeof(h));
		FUZZ_CHECK(!out.type || out.type == h.type);
		FUZZ_CHECK(out.seq ==
			   (h.magic == CONTIG_PROTO_MAGIC ? h.seq : 0));
	} else {
		struct contig_msg_hdr h;

		memcpy(&h, buf, sizeof(h));
		FUZZ_CHECK(out.type == h.type && out.seq == h.seq);
		if (h.type == CONTIG_MSG_HINT || h.type == CONTIG_MSG_DEFRAG) {
			struct contig_req_range r;

			memcpy(&r, buf, sizeof(r));
			FUZZ_CHECK(out.pid == r.pid && out.flags == r.flags);
			FUZZ_CHECK(out.start == r.start && out.end == r.end);
			FUZZ_CHECK(out.timeout_ms == r.timeout_ms);
		} else if (h.type == CONTIG_MSG_SHOW) {
			struct contig_req_show s;

			memcpy(&s, buf, sizeof(s));
			FUZZ_CHECK(out.pid == s.pid);
		}
	}
}

static void build_request(struct fuzz_in *in)
{
	uint64_t words[(CONTIG_PROTO_MAX_REQUEST + 8) / 8];
	uint8_t *buf = (uint8_t *)words;
	static const uint16_t types[] = { CONTIG_MSG_HINT, CONTIG_MSG_DEFRAG,
					  CONTIG_MSG_STATUS, CONTIG_MSG_SHOW };
	uint8_t how = fuzz_u8(in);
	uint16_t type = how & 0x80 ? fuzz_u16(in) : types[how & 3];
	size_t len = request_size(type) ? request_size(type) : 16;
	struct contig_req_range r;
	struct contig_req_show s;

	if (how & 0x40)
		len = fuzz_u8(in) % (sizeof(words) - 7);
	memset(words, 0, sizeof(words));
	memset(&r, 0, sizeof(r));
	proto_hdr_init(&r.h, type, (uint32_t)len, fuzz_u32(in));
	FUZZ_CHECK(r.h.magic == CONTIG_PROTO_MAGIC &&
		   r.h.version == CONTIG_PROTO_VERSION && r.h.type == type &&
		   r.h.len == len);
	r.pid = (int32_t)fuzz_u32(in);
	r.flags = fuzz_u32(in);
	if (how & 0x20)
		r.flags &= CONTIG_REQ_FLAGS_MASK;
	r.start = fuzz_u64(in);
	r.end = fuzz_u64(in);
	if (how & 0x10) {
		r.start &= ~(uint64_t)(PAGE - 1);
		r.end &= ~(uint64_t)(PAGE - 1);
	}
	r.timeout_ms = fuzz_u32(in);
	r.reserved = how & 0x08 ? fuzz_u32(in) : 0;
	if (type == CONTIG_MSG_SHOW) {
		memcpy(&s, &r, sizeof(s));
		s.reserved = r.reserved;
		memcpy(buf, &s, sizeof(s));
	} else {
		memcpy(buf, &r, sizeof(r));
	}
	check_request(buf, len, 0);
	check_request(buf, len, 1);
}

static size_t reply_size(uint16_t type)
{
	switch (type & ~CONTIG_MSG_REPLY) {
	case CONTIG_MSG_HINT:
	case CONTIG_MSG_DEFRAG:
		return sizeof(struct contig_rep_result);
	case CONTIG_MSG_STATUS:
		return sizeof(struct contig_rep_status);
	case CONTIG_MSG_SHOW:
		return sizeof(struct contig_rep_show);
	default:
		return sizeof(struct contig_reply_hdr);
	}
}

static void check_reply(const uint8_t *buf, size_t len, uint16_t type,
			uint32_t seq)
{
	struct contig_reply_hdr r;
	int progress = -1;
	int err = proto_check_reply(buf, len, type, seq, &progress);

	FUZZ_CHECK(!err || err == -EBADMSG || err == -EPROTO);
	if (err)
		return;
	FUZZ_CHECK(len >= sizeof(r));
	memcpy(&r, buf, sizeof(r));
	FUZZ_CHECK(r.h.magic == CONTIG_PROTO_MAGIC &&
		   r.h.version == CONTIG_PROTO_VERSION);
	FUZZ_CHECK(r.h.len == len && r.h.seq == seq);
	FUZZ_CHECK(r.h.type == (type | CONTIG_MSG_REPLY) ||
		   r.h.type == CONTIG_MSG_PROGRESS ||
		   r.h.type == CONTIG_MSG_ERROR);
	FUZZ_CHECK(progress == (r.h.type == CONTIG_MSG_PROGRESS));
	FUZZ_CHECK(memchr(r.message, 0, sizeof(r.message)));
	/* The exact size its type needs, or an error as the header alone. */
	if (r.error && len == sizeof(r))
		return;
	if (r.h.type == CONTIG_MSG_ERROR)
		FUZZ_CHECK(len == sizeof(struct contig_reply_hdr));
	else if (r.h.type == CONTIG_MSG_PROGRESS)
		FUZZ_CHECK(len == sizeof(struct contig_rep_progress));
	else if (r.h.type != (CONTIG_MSG_SHOW | CONTIG_MSG_REPLY))
		FUZZ_CHECK(len == reply_size(r.h.type));
	if (r.h.type == (CONTIG_MSG_SHOW | CONTIG_MSG_REPLY)) {
		struct contig_rep_show s;

		FUZZ_CHECK(len >= sizeof(s));
		memcpy(&s, buf, sizeof(s));
		FUZZ_CHECK(s.nr <= CONTIG_SHOW_MAX);
		FUZZ_CHECK(len ==
			   sizeof(s) + s.nr * sizeof(struct contig_show_vma));
	}
	if (r.h.type == (CONTIG_MSG_STATUS | CONTIG_MSG_REPLY) &&
	    len == sizeof(struct contig_rep_status)) {
		struct contig_rep_status s;

		memcpy(&s, buf, sizeof(s));
		FUZZ_CHECK(
			memchr(s.version, 0, sizeof(s.version)) &&
			memchr(s.backend, 0, sizeof(s.backend)) &&
			memchr(s.observer, 0, sizeof(s.observer)) &&
			memchr(s.backend_reason, 0, sizeof(s.backend_reason)));
	}
}

static void build_reply(struct fuzz_in *in)
{
	static uint64_t words[CONTIG_PROTO_MAX_REPLY / 8];
	uint8_t *buf = (uint8_t *)words;
	struct contig_reply_hdr *r = (struct contig_reply_hdr *)buf;
	uint8_t how = fuzz_u8(in);
	uint16_t type = (how & 3) + 1;
	uint32_t seq = fuzz_u32(in);
	uint16_t req_type = how & 0x10 ? 0 : type;
	/* Progress for HINT and DEFRAG requests that could be read. */
	int progress = (how & 4) && req_type && type != CONTIG_MSG_STATUS &&
		       type != CONTIG_MSG_SHOW;
	int error = how & 8 ? fuzz_u8(in) % 140 : 0;
	char msg[200];
	size_t len, mlen, n = 0;

	mlen = in->n < sizeof(msg) - 1 ? in->n : sizeof(msg) - 1;
	memcpy(msg, in->p, mlen);
	msg[mlen] = '\0';
	if (!req_type)
		len = sizeof(*r);
	else if (progress)
		len = sizeof(struct contig_rep_progress);
	else
		len = reply_size(type);
	if (req_type == CONTIG_MSG_SHOW && !progress) {
		n = seq % 8;
		len += n * sizeof(struct contig_show_vma);
	}
	/* An error may come as the reply header alone. */
	if ((how & 0x40) && error && !progress) {
		len = sizeof(*r);
		n = 0;
	}
	memset(buf, 0, len);
	if (how & 0x20)
		proto_reply_init(r, req_type, seq, (uint32_t)len, progress,
				 error, "%s", msg);
	else
		proto_reply_init(r, req_type, seq, (uint32_t)len, progress,
				 error, NULL);
	FUZZ_CHECK(r->h.magic == CONTIG_PROTO_MAGIC &&
		   r->h.version == CONTIG_PROTO_VERSION);
	FUZZ_CHECK(r->h.len == len && r->h.seq == seq && r->error == error);
	FUZZ_CHECK(r->h.type == (!req_type ? CONTIG_MSG_ERROR :
				 progress  ? CONTIG_MSG_PROGRESS :
					     (req_type | CONTIG_MSG_REPLY)));
	FUZZ_CHECK(memchr(r->message, 0, sizeof(r->message)));
	if (how & 0x20)
		FUZZ_CHECK(!strncmp(r->message, msg, strlen(r->message)));
	if (req_type == CONTIG_MSG_SHOW && !progress && len > sizeof(*r))
		((struct contig_rep_show *)buf)->nr = (uint32_t)n;
	if (req_type == CONTIG_MSG_STATUS && !progress && len > sizeof(*r)) {
		struct contig_rep_status *s = (struct contig_rep_status *)buf;

		strcpy(s->version, "0.1.0");
		strcpy(s->backend, "sim");
		strcpy(s->observer, "none");
	}
	{
		/* Exactly the packet, as a client receives it. */
		uint8_t *copy = malloc(len);
		int p = -1, err;

		if (!copy)
			return;
		memcpy(copy, buf, len);
		err = proto_check_reply(copy, len, type, seq, &p);
		if (err)
			fprintf(stderr, "built reply refused: %d\n", err);
		FUZZ_CHECK(!err && p == progress);
		check_reply(copy, len, type, seq);
		free(copy);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	uint8_t mode = fuzz_u8(&in), *copy;
	uint16_t type = 0;
	uint32_t seq = 0;

	if (mode % 4 == 1) {
		build_request(&in);
		return 0;
	}
	if (mode % 4 == 3) {
		build_reply(&in);
		return 0;
	}
	if (mode % 4 == 2) {
		type = fuzz_u16(&in);
		seq = fuzz_u32(&in);
	}
	/* An aligned copy of exactly the packet: ASan sees any overread. */
	copy = malloc(in.n ? in.n : 1);
	if (!copy)
		return 0;
	memcpy(copy, in.p, in.n);
	if (mode % 4 == 0)
		check_request(copy, in.n, mode & 0x80 ? 1 : 0);
	else
		check_reply(copy, in.n, type, seq);
	free(copy);
	return 0;
}
