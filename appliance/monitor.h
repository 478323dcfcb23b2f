/*
 * The monitor's side of privilege separation (README "Process
 * architecture"). conclave itself is the monitor: it alone holds secrets
 * (the ceremony key, decrypted shares in flight, the transcript signer).
 * Every parser of untrusted bytes (envelopes, QR images and camera frames,
 * PNG files, transcripts to verify, OpenPGP packets) runs in a parser child
 * (appliance/parser.h) through the isolation hooks of protocol/envelope.h,
 * media/qr.h, ceremony/transcript.h, ceremony/audit.h and crypto/pgppkt.h,
 * so the callers are unchanged.
 *
 * The child is a fresh exec of this program (/proc/self/exe), never a fork
 * that keeps running: it has no copy of any secret, whenever it is
 * started. A child that crashes, is killed by its sandbox, takes longer
 * than MONITOR_TIMEOUT_MS or answers out of protocol is killed and reaped;
 * the call returns CK_ERR_CHILD_DIED, CK_ERR_CHILD_TIMEOUT or
 * CK_ERR_CHILD_PROTOCOL, monitor_event() says what happened, and the next
 * call starts a new child. The monitor's own state is untouched.
 */
#ifndef CONCLAVE_MONITOR_H
#define CONCLAVE_MONITOR_H

#include <sys/types.h>

#include "crypto/errors.h"

/* The longest any one parse may take (a 8192x8192 PNG is about 1 s). */
#define MONITOR_TIMEOUT_MS	10000

/*
 * Start the child, wait until it is in its sandbox, and route the parsers
 * to it. CK_OK; CK_ERR_CHILD_SANDBOX when the child could not enter its
 * sandbox (the caller refuses to run); CK_ERR_CHILD_DIED or CK_ERR_IO when
 * it could not be started.
 */
int monitor_start(void) CK_WUR;

/* Close the socket, reap the child, parse in-process again. */
void monitor_stop(void);

/* The running child's pid, or 0. */
pid_t monitor_child(void);

/*
 * What last happened to a child ("killed by signal 31 (SIGSYS: a system
 * call outside its sandbox)"), or NULL when nothing did. The caller shows
 * it; the monitor never prints.
 */
const char *monitor_event(void);

#endif
