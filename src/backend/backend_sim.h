/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The sim backend: ops are applied to a core/sim.h machine. Every
 * simulated VMA stands for a mapping of one pretend process; addresses
 * are start_vpn << 12 as in the sim. Faults can be injected per page to
 * exercise the executor's retry path.
 */
#ifndef CONTIG_BACKEND_SIM_H
#define CONTIG_BACKEND_SIM_H

#include "backend.h"
#include "sim.h"

/* The sim stays the caller's; it must outlive the backend. */
int backend_sim_create(struct sim *s, struct backend **out);

/*
 * The next `times` ops on the page at vpn fail with err (-EBUSY, -EAGAIN,
 * ...); times == UINT32_MAX: always. One injection per page; 0 or -errno.
 */
int backend_sim_inject(struct backend *b, uint64_t vpn, int err,
		       uint32_t times);

/* Ops tried so far (every attempt, failed or not). */
uint64_t backend_sim_attempts(const struct backend *b);

/* Frame numbers read so far (read_pfns entries, the pagemap's). */
uint64_t backend_sim_pages_read(const struct backend *b);

#endif
