/* SPDX-License-Identifier: MIT */
/*
 * Inside libcontig: what the API files share.
 */
#ifndef CONTIG_LIB_H
#define CONTIG_LIB_H

#include <stddef.h>
#include <stdint.h>

/* Only the API leaves the shared object. */
#define CONTIG_EXPORT __attribute__((visibility("default")))

/*
 * Check and round [addr, addr + len) to whole pages: 0 and *start, *end;
 * -EINVAL for an unaligned addr or a range that wraps.
 */
int lib_range(const void *addr, size_t len, uint64_t *start, uint64_t *end);

/*
 * One request/reply exchange with the daemon on the shared connection
 * (or a private one while another thread uses it). Returns the reply's
 * length, or -errno (-ENOTCONN: no daemon). The connection is reopened
 * once when the daemon closed it since the last call (restarted), and
 * after a fork.
 */
int lib_call(void *req, size_t len, void *reply, size_t cap, int timeout_ms);

#endif
