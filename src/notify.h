/*
 * notify: the systemd sd_notify datagram protocol (READY, STOPPING,
 * WATCHDOG), without libsystemd.  Every function is a no-op when the
 * process was not started by systemd with Type=notify (NOTIFY_SOCKET unset).
 */
#ifndef VISITSD_NOTIFY_H
#define VISITSD_NOTIFY_H

#include <stdint.h>

/* Send one state line such as "READY=1".  Returns 0, or -1 on failure. */
int	notify_send(const char *state);

/* WATCHDOG_USEC for this process, or 0 when no watchdog is set. */
uint64_t notify_watchdog_usec(void);

#endif
