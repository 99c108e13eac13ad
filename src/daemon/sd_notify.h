/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The service manager notification protocol, without libsystemd: one
 * datagram per message to the AF_UNIX socket named by $NOTIFY_SOCKET
 * (a path, or an abstract name written with a leading '@').
 *
 *	sd_notify_send("READY=1");
 *	sd_notify_send("RELOADING=1");   (then "READY=1" when done)
 *	sd_notify_send("STOPPING=1");
 *	sd_notify_send("WATCHDOG=1");    (every interval / 2)
 *	sd_notify_send("STATUS=backend kmod, observer bpf");
 */
#ifndef CONTIG_DAEMON_SD_NOTIFY_H
#define CONTIG_DAEMON_SD_NOTIFY_H

#include <stdint.h>

/*
 * Send state ("KEY=value" lines). 0 when sent, and 0 without doing
 * anything when $NOTIFY_SOCKET is unset or empty; -EINVAL for an empty
 * state or a socket name that is neither absolute nor '@', -ENAMETOOLONG,
 * -EMSGSIZE when not sent whole, or the -errno of socket/sendto.
 */
int sd_notify_send(const char *state);

/*
 * The watchdog interval the manager expects pings within, in
 * microseconds, from $WATCHDOG_USEC (for us only: $WATCHDOG_PID, when
 * set, must be our pid). 0 and *usec = 0 when unset or meant for
 * another process; -EINVAL (*usec = 0) when either variable is not a
 * positive decimal number.
 */
int sd_watchdog_interval(uint64_t *usec);

#endif
