/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Privilege minimalism, OpenBSD style: do the privileged set-up first,
 * then keep only the capabilities the work needs. contigd stays uid 0
 * but capability-limited (no setuid, so no keep-caps dance).
 */
#ifndef CONTIG_DAEMON_PRIVS_H
#define CONTIG_DAEMON_PRIVS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/capability.h>

/*
 * Make the effective and permitted sets exactly keep[0..n-1], empty the
 * inheritable and ambient sets, drop everything else from the bounding
 * set (when CAP_SETPCAP allows it; otherwise logged at debug level, the
 * unit's CapabilityBoundingSet= does it), lock root's special treatment
 * at execve (SECBIT_NOROOT, best effort) and set PR_SET_NO_NEW_PRIVS.
 * 0, or -errno with a message in err: -EINVAL for a bad list, -EPERM
 * when a capability to keep is not permitted now.
 */
int privs_drop(const cap_value_t *keep, int n, char *err, size_t errsz);

/* The effective set, as CapEff in /proc/self/status: bit N = cap N. */
int privs_current(uint64_t *eff);

/*
 * Raise RLIMIT_MEMLOCK to infinity (BPF maps on kernels before 5.11
 * are charged to it). Never fatal: a refusal is logged at debug level.
 * Call it before privs_drop(), which removes CAP_SYS_RESOURCE.
 */
void privs_memlock(void);

#endif
