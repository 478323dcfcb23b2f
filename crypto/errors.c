#include "crypto/errors.h"

#include <stddef.h>

struct err_desc {
	int code;
	const char *name;
	const char *msg;
};

#define E(c, m) { c, #c, m }
static const struct err_desc errs[] = {
	E(CK_OK, "success"),
	E(CK_ERR_INTERNAL, "internal error"),
	E(CK_ERR_INVALID_ARG, "invalid argument"),
	E(CK_ERR_ALLOC, "out of memory"),
	E(CK_ERR_IO, "input/output error"),
	E(CK_ERR_NOT_FOUND, "not found"),
	E(CK_ERR_EXISTS, "already exists"),
	E(CK_ERR_UNSUPPORTED, "not supported"),
	E(CK_ERR_STATE, "not allowed in the current state"),
	E(CK_ERR_NOT_RAM, "the state folder is not on a RAM file system (tmpfs or ramfs); "
	    "a rehearsal on disk must say so: CONCLAVE_STATE_ON_DISK=1"),
	E(CK_ERR_MLOCK, "memory for secrets cannot be locked (RLIMIT_MEMLOCK?)"),
	E(CK_ERR_BUSY, "the ceremony is in use by another running process (the "
	    "lock on its transcript)"),
	E(CK_ERR_TRUNCATED, "input is truncated"),
	E(CK_ERR_TOO_LARGE, "input exceeds its size limit"),
	E(CK_ERR_TRAILING, "unexpected data after the end of the input"),
	E(CK_ERR_FORMAT, "malformed input"),
	E(CK_ERR_ENCODING, "invalid encoding"),
	E(CK_ERR_BAD_MAGIC, "not a conclave object (bad magic)"),
	E(CK_ERR_BAD_VERSION, "unknown format version"),
	E(CK_ERR_BAD_TYPE, "unknown or unexpected type"),
	E(CK_ERR_JSON, "invalid JSON"),
	E(CK_ERR_DUPLICATE_KEY, "duplicate key in JSON object"),
	E(CK_ERR_NOT_PRINTABLE, "text contains unprintable characters"),
	E(CK_ERR_CRYPTO, "cryptographic operation failed"),
	E(CK_ERR_BAD_SIGNATURE, "signature does not verify"),
	E(CK_ERR_WRONG_KEY, "signed or encrypted with an unexpected key"),
	E(CK_ERR_DECRYPT, "decryption failed"),
	E(CK_ERR_SHAMIR, "shares do not combine"),
	E(CK_ERR_BAD_SHARE, "malformed share"),
	E(CK_ERR_DUPLICATE_SHARE, "the same share was given twice"),
	E(CK_ERR_BAD_PASSPHRASE, "wrong passphrase or PIN"),
	E(CK_ERR_SAS_MISMATCH, "the short authentication string does not match the one computed here"),
	E(CK_ERR_WRONG_CEREMONY, "envelope belongs to another ceremony"),
	E(CK_ERR_REPLAY, "envelope was already processed (replay)"),
	E(CK_ERR_OUT_OF_ORDER, "envelope arrived out of order"),
	E(CK_ERR_WRONG_NONCE, "server nonce does not match"),
	E(CK_ERR_CHAIN, "hash chain is broken"),
	E(CK_ERR_CLOSED, "transcript is already closed"),
	E(CK_ERR_QUORUM, "share count or threshold not allowed (2 <= t <= n <= 255, or t = n = 1)"),
	E(CK_ERR_SHARE_COUNT, "the server returned a different number of shares than requested"),
	E(CK_ERR_WRONG_RECIPIENT, "a share or token is encrypted to someone else's key"),
	E(CK_ERR_SEAL_MISMATCH, "unseal shares asked of an auto-unseal server, or recovery shares of a Shamir server"),
	E(CK_ERR_INCOMPLETE, "the ceremony has steps left to do"),
	E(CK_ERR_TOO_FEW_SHARES, "fewer shares than the server's threshold"),
	E(CK_ERR_SAME_HOLDER, "this holder has already given a share in this ceremony"),
	E(CK_ERR_WRONG_HOLDER, "this share belongs to another holder"),
	E(CK_ERR_IN_REVIEW, "the ceremony's irreversible steps are done: it ends with the witnesses' review, not an abandon"),
	E(CK_ERR_NOT_A_WITNESS, "that name is not one of this ceremony's witnesses"),
	E(CK_ERR_WRONG_TOKEN, "the token revoked is not the one this ceremony issued"),
	E(CK_ERR_SYMLINK, "refusing a symbolic link"),
	E(CK_ERR_NOT_REGULAR, "not a regular file"),
	E(CK_ERR_BAD_NAME, "file name is not one conclave writes"),
	E(CK_ERR_MEDIA_GONE, "the medium failed or was removed during the operation"),
	E(CK_ERR_READ_ONLY, "the medium is mounted read-only"),
	E(CK_ERR_NO_SPACE, "no space left on the medium"),
	E(CK_ERR_MOUNT, "could not mount the stick (no vfat, exFAT or ext4 filesystem?)"),
	E(CK_ERR_PGP, "OpenPGP operation failed"),
	E(CK_ERR_KEY_NO_ENCRYPT, "key has no usable encryption subkey"),
	E(CK_ERR_KEY_EXPIRED, "key is expired"),
	E(CK_ERR_KEY_REVOKED, "key is revoked"),
	E(CK_ERR_KEY_CANNOT_SIGN, "primary key cannot sign"),
	E(CK_ERR_KEY_DUPLICATE, "the same key appears twice"),
	E(CK_ERR_PIN_BLOCKED, "the card's PIN is blocked: no tries left"),
	E(CK_ERR_CARD_REMOVED, "the smartcard was removed or failed during the operation"),
	E(CK_ERR_HTTP, "HTTP request failed"),
	E(CK_ERR_UNREACHABLE, "server unreachable"),
	E(CK_ERR_TLS, "TLS verification failed"),
	E(CK_ERR_SERVER, "server returned an error"),
	E(CK_ERR_ALREADY_INIT, "server is already initialised"),
	E(CK_ERR_SEALED, "server is sealed"),
	E(CK_ERR_DISABLED_ENDPOINT, "endpoint is disabled on the server"),
	E(CK_ERR_PERMISSION_DENIED, "permission denied (token missing, invalid or revoked)"),
	E(CK_ERR_SHARE_REFUSED, "the server refused a share (invalid, or not of this cluster)"),
	E(CK_ERR_REDIRECT, "redirect refused (not to a cluster member, another scheme or path, or too many)"),
	E(CK_ERR_NO_ENDPOINT, "the server has no such endpoint"),
	E(CK_ERR_UNAVAILABLE, "server unavailable (no active node, or overloaded)"),
	E(CK_ERR_QR_NOT_FOUND, "no QR code found in the image"),
	E(CK_ERR_QR_OTHER_MESSAGE, "QR frame belongs to a different message"),
	E(CK_ERR_QR_CHECKSUM, "QR frame checksum does not match (corrupted frame)"),
	E(CK_ERR_QR_DIGEST, "reassembled QR message does not match its digest"),
	E(CK_ERR_QR_INCONSISTENT, "QR frame disagrees with earlier frames of its message"),
	E(CK_ERR_QR_NO_FIT, "QR code does not fit on the screen"),
	E(CK_ERR_QR_VERIFY, "generated QR code did not decode back to its data"),
	E(CK_ERR_QR_IMAGE_TOO_LARGE, "image over the QR reader's limits (8192 pixels a side, 32 MiB)"),
	E(CK_ERR_QR_STALLED, "the QR scan stalled: no new fragment in time"),
	E(CK_ERR_CHILD_DIED, "the parser child died (crashed or killed by its sandbox)"),
	E(CK_ERR_CHILD_TIMEOUT, "the parser child did not answer in time and was killed"),
	E(CK_ERR_CHILD_PROTOCOL, "the parser child answered out of protocol and was killed"),
	E(CK_ERR_CHILD_SANDBOX, "the parser child could not enter its sandbox"),
};
#undef E

static const struct err_desc *
find(int err)
{
	size_t i;

	for (i = 0; i < sizeof(errs) / sizeof(errs[0]); i++)
		if (errs[i].code == err)
			return &errs[i];
	return NULL;
}

const char *
ck_errname(int err)
{
	const struct err_desc *d = find(err);

	return d != NULL ? d->name : "CK_ERR_UNKNOWN";
}

const char *
ck_strerror(int err)
{
	const struct err_desc *d = find(err);

	return d != NULL ? d->msg : "unknown error";
}

size_t
ck_err_count(void)
{
	return sizeof(errs) / sizeof(errs[0]);
}

int
ck_err_code(size_t i)
{
	return i < ck_err_count() ? errs[i].code : 0;
}
