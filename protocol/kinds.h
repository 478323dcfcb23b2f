/*
 * What both programs must agree a ceremony is (DESIGN §2, "protocol versus
 * engine"): the ceremony kinds named in every opening envelope and in the
 * transcript, the actors the record names, the per-node results a bridge
 * reports, and the server's quorum rule. The appliance's engine
 * (ceremony/) and the bridge (bridge/) both take these from here, so the
 * bridge never needs an engine header.
 */
#ifndef CONCLAVE_KINDS_H
#define CONCLAVE_KINDS_H

#include "crypto/errors.h"

/* Ceremony kinds: one name per ceremony, everywhere (commands, envelopes,
 * transcripts, docs). */
#define KIND_INIT		"init"
#define KIND_UNSEAL		"unseal"
#define KIND_REKEY		"rekey"
#define KIND_GENERATE_ROOT	"generate-root"
/* Vault Enterprise's DR operation token: the generate-root protocol on the
 * DR secondary's generate-operation-token endpoints. */
#define KIND_DR_TOKEN		"dr-token"
/* Seal migration: the unseal ceremony with "migrate": true, on servers
 * restarted with a new seal configuration (docs/migration.md). */
#define KIND_MIGRATE		"migrate"

/* Who a transcript record or an envelope says acted. */
#define KIND_ACTOR_APPLIANCE	"appliance"
#define KIND_ACTOR_BRIDGE	"bridge"

/* The most shares a server splits a key into (Vault's and OpenBao's
 * shamir.Split limit), and the most nodes one quorum ceremony serves. */
#define KIND_MAX_SHARES		255
#define KIND_MAX_NODES		16
/* A token accessor as a closing result names it (Vault and OpenBao: 24). */
#define KIND_MAX_ACCESSOR	64

/* Per-node results a bridge reports in an unseal result, as strings. */
#define KIND_NODE_UNSEALED	"unsealed"
#define KIND_NODE_SKIPPED	"already-unsealed"
#define KIND_NODE_UNREACHABLE	"unreachable"
#define KIND_NODE_REFUSED	"refused"
#define KIND_NODE_FAILED	"failed"

/*
 * The servers' rule for n shares with threshold t (sys/init and
 * sys/rekey/init refuse anything else): 1 <= t <= n <= KIND_MAX_SHARES,
 * and t >= 2 when n > 1. CK_OK, or CK_ERR_QUORUM.
 */
int kinds_check_quorum(unsigned n, unsigned t) CK_WUR;

#endif
