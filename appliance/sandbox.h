/*
 * The appliance never talks to a network (DESIGN §2). Beyond linking no
 * network library, the process installs a seccomp filter at start that
 * refuses to create any socket but AF_UNIX (gpg-agent and scdaemon need
 * those), with EACCES. Filters are inherited across fork and exec, so gpg,
 * its agent and anything else the appliance starts are bound too.
 */
#ifndef CONCLAVE_SANDBOX_H
#define CONCLAVE_SANDBOX_H

/*
 * Set no_new_privs and install the filter. CK_OK, or CK_ERR_UNSUPPORTED
 * when the kernel or architecture has no seccomp filter for us (the
 * caller refuses to run: a ceremony without the guard is not the product).
 */
int sandbox_no_network(void) __attribute__((warn_unused_result));

#endif
