/*
 * The one error enum of conclave. Library code (crypto/, protocol/, media/,
 * ceremony/, client/) returns CK_OK or a negative CK_ERR_* and never prints
 * or exits; only the two programs' front ends (appliance/, ui/, bridge/)
 * report.
 * Add new codes at the end of their group and give each a message in
 * errors.c: tests and the transcript refer to them by name.
 */
#ifndef CONCLAVE_ERRORS_H
#define CONCLAVE_ERRORS_H

#include <stddef.h>

/* On every function whose result says whether untrusted input was valid
 * (verify, parse, decrypt): ignoring it is a compile error (-Werror). */
#define CK_WUR __attribute__((warn_unused_result))

enum ck_err {
	CK_OK = 0,
	/* generic */
	CK_ERR_INTERNAL = -1,
	CK_ERR_INVALID_ARG = -2,
	CK_ERR_ALLOC = -3,
	CK_ERR_IO = -4,
	CK_ERR_NOT_FOUND = -5,
	CK_ERR_EXISTS = -6,
	CK_ERR_UNSUPPORTED = -7,
	CK_ERR_STATE = -8,
	CK_ERR_NOT_RAM = -9,		/* state folder not on tmpfs/ramfs */
	CK_ERR_MLOCK = -10,		/* memory for secrets cannot be locked */
	CK_ERR_BUSY = -11,		/* another process holds the ceremony */
	/* parsing untrusted bytes */
	CK_ERR_TRUNCATED = -20,
	CK_ERR_TOO_LARGE = -21,
	CK_ERR_TRAILING = -22,
	CK_ERR_FORMAT = -23,
	CK_ERR_ENCODING = -24,
	CK_ERR_BAD_MAGIC = -25,
	CK_ERR_BAD_VERSION = -26,
	CK_ERR_BAD_TYPE = -27,
	CK_ERR_JSON = -28,
	CK_ERR_DUPLICATE_KEY = -29,
	CK_ERR_NOT_PRINTABLE = -30,
	/* cryptography */
	CK_ERR_CRYPTO = -40,
	CK_ERR_BAD_SIGNATURE = -41,
	CK_ERR_WRONG_KEY = -42,
	CK_ERR_DECRYPT = -43,
	CK_ERR_SHAMIR = -44,
	CK_ERR_BAD_SHARE = -45,
	CK_ERR_DUPLICATE_SHARE = -46,
	CK_ERR_BAD_PASSPHRASE = -47,
	CK_ERR_SAS_MISMATCH = -48,
	/* ceremony binding */
	CK_ERR_WRONG_CEREMONY = -60,
	CK_ERR_REPLAY = -61,
	CK_ERR_OUT_OF_ORDER = -62,
	CK_ERR_WRONG_NONCE = -63,
	CK_ERR_CHAIN = -64,
	CK_ERR_CLOSED = -65,
	CK_ERR_QUORUM = -66,
	CK_ERR_SHARE_COUNT = -67,
	CK_ERR_WRONG_RECIPIENT = -68,
	CK_ERR_SEAL_MISMATCH = -69,
	CK_ERR_INCOMPLETE = -70,
	CK_ERR_TOO_FEW_SHARES = -71,
	CK_ERR_SAME_HOLDER = -72,
	CK_ERR_WRONG_HOLDER = -73,
	CK_ERR_IN_REVIEW = -74,
	CK_ERR_NOT_A_WITNESS = -75,
	CK_ERR_WRONG_TOKEN = -76,
	/* media */
	CK_ERR_SYMLINK = -80,
	CK_ERR_NOT_REGULAR = -81,
	CK_ERR_BAD_NAME = -82,
	CK_ERR_MEDIA_GONE = -83,
	CK_ERR_READ_ONLY = -84,
	CK_ERR_NO_SPACE = -85,
	CK_ERR_MOUNT = -86,
	/* PGP keys */
	CK_ERR_PGP = -100,
	CK_ERR_KEY_NO_ENCRYPT = -101,
	CK_ERR_KEY_EXPIRED = -102,
	CK_ERR_KEY_REVOKED = -103,
	CK_ERR_KEY_CANNOT_SIGN = -104,
	CK_ERR_KEY_DUPLICATE = -105,
	CK_ERR_PIN_BLOCKED = -106,
	CK_ERR_CARD_REMOVED = -107,
	/* server */
	CK_ERR_HTTP = -120,
	CK_ERR_UNREACHABLE = -121,
	CK_ERR_TLS = -122,
	CK_ERR_SERVER = -123,
	CK_ERR_ALREADY_INIT = -124,
	CK_ERR_SEALED = -125,
	CK_ERR_DISABLED_ENDPOINT = -126,
	CK_ERR_PERMISSION_DENIED = -127,
	CK_ERR_SHARE_REFUSED = -128,
	CK_ERR_REDIRECT = -129,
	CK_ERR_NO_ENDPOINT = -130,
	CK_ERR_UNAVAILABLE = -131,
	/* optical transport (QR codes and fountain-coded streams) */
	CK_ERR_QR_NOT_FOUND = -140,
	CK_ERR_QR_OTHER_MESSAGE = -141,
	CK_ERR_QR_CHECKSUM = -142,
	CK_ERR_QR_DIGEST = -143,
	CK_ERR_QR_INCONSISTENT = -144,
	CK_ERR_QR_NO_FIT = -145,
	CK_ERR_QR_VERIFY = -146,
	CK_ERR_QR_IMAGE_TOO_LARGE = -147,
	CK_ERR_QR_STALLED = -148,

	/* The appliance's parser child (appliance/monitor.h). */
	CK_ERR_CHILD_DIED = -160,
	CK_ERR_CHILD_TIMEOUT = -161,
	CK_ERR_CHILD_PROTOCOL = -162,
	CK_ERR_CHILD_SANDBOX = -163,
};

/* Short stable name ("CK_ERR_REPLAY") and a sentence for people. */
const char *ck_errname(int err);
const char *ck_strerror(int err);

/* Every code, in order: the i-th (CK_OK first), or 0 past the last. */
size_t ck_err_count(void);
int ck_err_code(size_t i);

#endif
