/*
 * notify: the systemd sd_notify datagram protocol (READY, RELOADING,
 * STOPPING, WATCHDOG), without libsystemd.  Both functions do nothing
 * when systemd did not ask for it: notify_send when NOTIFY_SOCKET is unset
 * (Type=notify), notify_watchdog_usec when WATCHDOG_USEC is unset or meant
 * for another process.
 */
#ifndef VISITSD_NOTIFY_H
#define VISITSD_NOTIFY_H

#include <stdint.h>

/*
 * Send state, one or more newline-separated lines such as "READY=1"
 * (borrowed).  Returns 0 (also when there is no socket to send to), or -1
 * with errno set.
 */
int	notify_send(const char *state);

/* WATCHDOG_USEC for this process, or 0 when no watchdog is set. */
uint64_t notify_watchdog_usec(void);

#endif
