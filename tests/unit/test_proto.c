// SPDX-License-Identifier: GPL-2.0-only
/*
 * The control-socket codec (src/proto/proto.c): every malformation of a
 * request gets its documented error, valid requests decode, and a client
 * accepts exactly the replies that answer its request. Packets are heap
 * copies of their exact size, so that ASan sees any read beyond them.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

static struct contig_req_range range(uint16_t type, int32_t pid, uint32_t flags,
				     uint64_t start, uint64_t end)
{
	struct contig_req_range r;

	memset(&r, 0, sizeof(r));
	proto_hdr_init(&r.h, type, sizeof(r), 7);
	r.pid = pid;
	r.flags = flags;
	r.start = start;
	r.end = end;
	return r;
}

static int decode(const void *pkt, size_t len, int truncated,
		  struct proto_request *out)
{
	void *copy = malloc(len ? len : 1);
	int err;

	ck_assert_ptr_nonnull(copy);
	memcpy(copy, pkt, len);
	err = proto_decode_request(copy, len, truncated, out);
	free(copy);
	return err;
}

enum mutation {
	M_NONE,
	M_MAGIC,
	M_VERSION,
	M_TYPE,
	M_LEN_FIELD,
	M_SHORT,
	M_RESERVED,
	M_FLAGS,
	M_TWO_MODES,
	M_NO_MODE,
	M_DEFRAG_MODE,
	M_NEG_PID,
	M_UNALIGNED,
	M_EMPTY,
	M_TRUNCATED,
	M_OVERSIZED,
};

static const struct {
	enum mutation m;
	int err;
} request_cases[] = {
	{ M_NONE, 0 },
	{ M_MAGIC, -EBADMSG },
	{ M_VERSION, -EPROTO },
	{ M_TYPE, -EBADMSG },
	{ M_LEN_FIELD, -EBADMSG },
	{ M_SHORT, -EBADMSG },
	{ M_RESERVED, -EBADMSG },
	{ M_FLAGS, -EBADMSG },
	{ M_TWO_MODES, -EBADMSG },
	{ M_NO_MODE, -EBADMSG },
	{ M_DEFRAG_MODE, -EBADMSG },
	{ M_NEG_PID, -EBADMSG },
	{ M_UNALIGNED, -EINVAL },
	{ M_EMPTY, -EINVAL },
	{ M_TRUNCATED, -EMSGSIZE },
	{ M_OVERSIZED, -EMSGSIZE },
};

START_TEST(test_proto_request)
{
	struct contig_req_range r =
		range(CONTIG_MSG_HINT, 42, CONTIG_HINT_WANT, 0x10000, 0x30000);
	unsigned char big[CONTIG_PROTO_MAX_REQUEST + 8] = { 0 };
	size_t len = sizeof(r);
	struct proto_request out;
	int truncated = 0;
	const void *pkt = &r;

	switch (request_cases[_i].m) {
	case M_NONE:
		break;
	case M_MAGIC:
		r.h.magic ^= 1;
		break;
	case M_VERSION:
		r.h.version = CONTIG_PROTO_VERSION + 1;
		break;
	case M_TYPE:
		r.h.type = 99;
		break;
	case M_LEN_FIELD:
		r.h.len += 8;
		break;
	case M_SHORT:
		len = sizeof(r) - 8;
		r.h.len = (uint32_t)len;
		break;
	case M_RESERVED:
		r.reserved = 1;
		break;
	case M_FLAGS:
		r.flags |= 1u << 20;
		break;
	case M_TWO_MODES:
		r.flags = CONTIG_HINT_WANT | CONTIG_HINT_NOW;
		break;
	case M_NO_MODE:
		r.flags = CONTIG_REQ_WAIT;
		break;
	case M_DEFRAG_MODE:
		r.h.type = CONTIG_MSG_DEFRAG;
		break;
	case M_NEG_PID:
		r.pid = -1;
		break;
	case M_UNALIGNED:
		r.start = 0x10001;
		break;
	case M_EMPTY:
		r.end = r.start;
		break;
	case M_TRUNCATED:
		truncated = 1;
		break;
	case M_OVERSIZED:
		memcpy(big, &r, sizeof(r));
		pkt = big;
		len = sizeof(big);
		break;
	}
	ck_assert_int_eq(decode(pkt, len, truncated, &out),
			 request_cases[_i].err);
	if (!request_cases[_i].err) {
		ck_assert_int_eq(out.type, CONTIG_MSG_HINT);
		ck_assert_int_eq(out.pid, 42);
		ck_assert_uint_eq(out.start, 0x10000);
		ck_assert_uint_eq(out.end, 0x30000);
	}
	/* what can be read of the header is there for the error reply */
	if (request_cases[_i].m != M_MAGIC && request_cases[_i].m != M_SHORT &&
	    request_cases[_i].m != M_OVERSIZED)
		ck_assert_uint_eq(out.seq, 7);
}
END_TEST

START_TEST(test_proto_status_show)
{
	struct contig_msg_hdr st;
	struct contig_req_show sh;
	struct proto_request out;

	proto_hdr_init(&st, CONTIG_MSG_STATUS, sizeof(st), 3);
	ck_assert_int_eq(decode(&st, sizeof(st), 0, &out), 0);
	ck_assert_int_eq(out.type, CONTIG_MSG_STATUS);
	memset(&sh, 0, sizeof(sh));
	proto_hdr_init(&sh.h, CONTIG_MSG_SHOW, sizeof(sh), 4);
	sh.pid = 0;
	ck_assert_int_eq(decode(&sh, sizeof(sh), 0, &out), 0);
	ck_assert_int_eq(out.pid, 0);
	sh.reserved = 2;
	ck_assert_int_eq(decode(&sh, sizeof(sh), 0, &out), -EBADMSG);
	/* whole-process ranges: both zero */
	{
		struct contig_req_range r =
			range(CONTIG_MSG_DEFRAG, 0, CONTIG_REQ_WAIT, 0, 0);

		ck_assert_int_eq(decode(&r, sizeof(r), 0, &out), 0);
	}
}
END_TEST

static int check_reply(const void *pkt, size_t len, uint16_t type, uint32_t seq,
		       int *progress)
{
	void *copy = malloc(len);
	int err;

	ck_assert_ptr_nonnull(copy);
	memcpy(copy, pkt, len);
	err = proto_check_reply(copy, len, type, seq, progress);
	free(copy);
	return err;
}

START_TEST(test_proto_replies)
{
	struct contig_rep_result res;
	struct contig_rep_status st;
	struct contig_rep_progress pr;
	struct contig_reply_hdr eh;
	int progress;

	memset(&res, 0, sizeof(res));
	proto_reply_init(&res.r, CONTIG_MSG_DEFRAG, 9, sizeof(res), 0, 0,
			 "fine");
	ck_assert_int_eq(check_reply(&res, sizeof(res), CONTIG_MSG_DEFRAG, 9,
				     &progress),
			 0);
	ck_assert_int_eq(progress, 0);
	/* another request's seq, another type, a short packet */
	ck_assert_int_eq(check_reply(&res, sizeof(res), CONTIG_MSG_DEFRAG, 8,
				     &progress),
			 -EBADMSG);
	ck_assert_int_eq(check_reply(&res, sizeof(res), CONTIG_MSG_HINT, 9,
				     &progress),
			 -EBADMSG);
	ck_assert_int_eq(check_reply(&res, sizeof(res) - 8, CONTIG_MSG_DEFRAG,
				     9, &progress),
			 -EBADMSG);
	/* an unterminated message */
	memset(res.r.message, 'x', sizeof(res.r.message));
	ck_assert_int_eq(check_reply(&res, sizeof(res), CONTIG_MSG_DEFRAG, 9,
				     &progress),
			 -EBADMSG);

	memset(&pr, 0, sizeof(pr));
	proto_reply_init(&pr.r, CONTIG_MSG_DEFRAG, 9, sizeof(pr), 1, 0, NULL);
	ck_assert_int_eq(check_reply(&pr, sizeof(pr), CONTIG_MSG_DEFRAG, 9,
				     &progress),
			 0);
	ck_assert_int_eq(progress, 1);

	/* an error reply may be the header alone, whatever its type */
	memset(&eh, 0, sizeof(eh));
	proto_reply_init(&eh, CONTIG_MSG_STATUS, 5, sizeof(eh), 0, EPERM, "no");
	ck_assert_int_eq(check_reply(&eh, sizeof(eh), CONTIG_MSG_STATUS, 5,
				     &progress),
			 0);
	/* but a success must be whole */
	proto_reply_init(&eh, CONTIG_MSG_STATUS, 5, sizeof(eh), 0, 0, NULL);
	ck_assert_int_eq(check_reply(&eh, sizeof(eh), CONTIG_MSG_STATUS, 5,
				     &progress),
			 -EBADMSG);

	memset(&st, 0, sizeof(st));
	proto_reply_init(&st.r, CONTIG_MSG_STATUS, 5, sizeof(st), 0, 0, NULL);
	ck_assert_int_eq(check_reply(&st, sizeof(st), CONTIG_MSG_STATUS, 5,
				     &progress),
			 0);
	memset(st.backend, 'k', sizeof(st.backend)); /* not terminated */
	ck_assert_int_eq(check_reply(&st, sizeof(st), CONTIG_MSG_STATUS, 5,
				     &progress),
			 -EBADMSG);
	st.backend[0] = '\0';
	st.r.h.version = CONTIG_PROTO_VERSION + 1;
	ck_assert_int_eq(check_reply(&st, sizeof(st), CONTIG_MSG_STATUS, 5,
				     &progress),
			 -EPROTO);
}
END_TEST

START_TEST(test_proto_show_reply)
{
	size_t len = sizeof(struct contig_rep_show) +
		     3 * sizeof(struct contig_show_vma);
	struct contig_rep_show *r = calloc(1, len + 64);
	int progress;

	ck_assert_ptr_nonnull(r);
	proto_reply_init(&r->r, CONTIG_MSG_SHOW, 2, (uint32_t)len, 0, 0, NULL);
	r->nr = 3;
	ck_assert_int_eq(check_reply(r, len, CONTIG_MSG_SHOW, 2, &progress), 0);
	r->nr = 4; /* claims more entries than the packet holds */
	ck_assert_int_eq(check_reply(r, len, CONTIG_MSG_SHOW, 2, &progress),
			 -EBADMSG);
	r->nr = 0xffffffff;
	ck_assert_int_eq(check_reply(r, len, CONTIG_MSG_SHOW, 2, &progress),
			 -EBADMSG);
	free(r);
}
END_TEST

Suite *test_proto_suite(void)
{
	Suite *s = suite_create("proto");
	TCase *tc = tcase_create("codec");

	tcase_add_loop_test(tc, test_proto_request, 0,
			    sizeof(request_cases) / sizeof(request_cases[0]));
	tcase_add_test(tc, test_proto_status_show);
	tcase_add_test(tc, test_proto_replies);
	tcase_add_test(tc, test_proto_show_reply);
	suite_add_tcase(s, tc);
	return s;
}
