/*
 * The parser child: `conclave --parser-child`, a fresh image exec'd by the
 * monitor (appliance/monitor.h) with its end of a socket pair on
 * PARSER_FD. It holds no secret (it was never anything but this image),
 * no file (it reads only what arrives on the socket) and runs under the
 * allow-list of sandbox_parser(). It answers every request (appliance/
 * wire.h) with what the in-process parser would return, until the monitor
 * closes the socket.
 */
#ifndef CONCLAVE_PARSER_H
#define CONCLAVE_PARSER_H

#define PARSER_ARG	"--parser-child"
#define PARSER_FD	3

/* Exit statuses the monitor tells apart. */
#define PARSER_EXIT_OK		0	/* the monitor closed the socket */
#define PARSER_EXIT_INIT	3	/* no socket, or a library would not start */
#define PARSER_EXIT_SANDBOX	4	/* the allow-list could not be installed */
#define PARSER_EXIT_PROTOCOL	5	/* the monitor spoke out of protocol */

/* Run the child; its exit status. */
int parser_main(void);

#endif
