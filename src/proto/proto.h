/* SPDX-License-Identifier: MIT */
/*
 * Encoding and checking of control-socket packets (contig_proto.h), shared
 * by contigd, contigctl and libcontig. Pure functions on buffers: no I/O,
 * no allocation, safe on any input (a fuzz target).
 */
#ifndef CONTIG_PROTO_CODEC_H
#define CONTIG_PROTO_CODEC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "contig_proto.h"

/* A request as the daemon acts on it, every field checked. */
struct proto_request {
	uint16_t type; /* CONTIG_MSG_HINT ... CONTIG_MSG_SHOW */
	uint32_t seq;
	pid_t pid; /* 0: the caller */
	uint32_t flags; /* HINT, DEFRAG; for HINT exactly one mode bit */
	uint64_t start, end; /* HINT, DEFRAG: both 0, or aligned, start < end */
	uint32_t timeout_ms;
};

/*
 * Check the packet buf[0, len) received as a request. truncated: the
 * packet was longer than the buffer (MSG_TRUNC). 0 and *out, or:
 *   -EMSGSIZE  truncated, or len > CONTIG_PROTO_MAX_REQUEST
 *   -EBADMSG   shorter than a header, bad magic, len field != len, unknown
 *              type, wrong size for the type, unknown flags, reserved
 *              field not zero, HINT without exactly one mode, negative pid
 *   -EPROTO    known magic, other version
 *   -EINVAL    well formed, but a bad range (not page-aligned, or
 *              start >= end unless both are 0)
 * Whatever could be read of the header (type, seq) is in *out even on
 * error, so that the error reply can echo seq; otherwise they are 0.
 */
int proto_decode_request(const void *buf, size_t len, int truncated,
			 struct proto_request *out);

/*
 * Fill the reply header at r for a packet of len bytes answering
 * (type, seq): h.type = type | CONTIG_MSG_REPLY, or CONTIG_MSG_ERROR when
 * type is 0 (unreadable request), CONTIG_MSG_PROGRESS when progress.
 * error is 0 or a positive errno; message (printf) may be NULL. The rest
 * of the packet is left to the caller (zero it first).
 */
void proto_reply_init(struct contig_reply_hdr *r, uint16_t type, uint32_t seq,
		      uint32_t len, int progress, int error, const char *fmt,
		      ...) __attribute__((format(printf, 7, 8)));

/* Encode a request header: magic, version, type, len, seq. */
void proto_hdr_init(struct contig_msg_hdr *h, uint16_t type, uint32_t len,
		    uint32_t seq);

/*
 * Check a packet received by a client in answer to request (type, seq):
 * 0 when it is a well-formed reply, progress (*is_progress = 1) or error
 * packet for it, of the exact size its type needs (SHOW: the header plus
 * nr entries), with a NUL-terminated message and NUL-terminated names.
 * -EBADMSG otherwise, -EPROTO for another version.
 */
int proto_check_reply(const void *buf, size_t len, uint16_t type, uint32_t seq,
		      int *is_progress);

#endif
