/*
 * The ceremony rules both programs check (see kinds.h).
 */
#include "protocol/kinds.h"

int
kinds_check_quorum(unsigned n, unsigned t)
{
	if (n < 1 || n > KIND_MAX_SHARES || t < 1 || t > n || (n > 1 && t < 2))
		return CK_ERR_QUORUM;
	return CK_OK;
}
