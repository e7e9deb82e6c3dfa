/* digest.h: streaming checksums (sha256, sha512, sha1, md5) as hex strings. */
#ifndef MK_DIGEST_H
#define MK_DIGEST_H

#include <stddef.h>

#include "error.h"

struct mk_digest;

/* algo: "sha256", "sha512", "sha1", "md5" (repomd names; "sha" = sha1).
 * Returns NULL for an unknown name. */
struct mk_digest *mk_digest_new (const char *algo);
/* The same, hashed by a thread of its own while the caller goes on
 * (mk_digest_add copies the bytes): pack.c hashes the tar while it reads
 * files and libarchive formats.  At most 4 MiB are in flight. */
struct mk_digest *mk_digest_new_async (const char *algo);
/* The same, and each full 1 MiB is also written to fd, in order, by the
 * caller while the thread hashes it: the tar's bytes are written and
 * hashed on two cores from one buffer.  mk_digest_end_tee says how the
 * writes went. */
struct mk_digest *mk_digest_new_tee (const char *algo, int fd);
void mk_digest_add (struct mk_digest *d, const void *buf, size_t len);
/* Async only: up to *room bytes may be put at the pointer returned (the
 * slot being filled), then mk_digest_added (d, n): a read(2) straight
 * into the digest's buffer, no copy. */
void *mk_digest_room (struct mk_digest *d, size_t *room);
void mk_digest_added (struct mk_digest *d, size_t n);
/* Hash and write everything given so far and stop the thread; 0, or the
 * errno of the first failed write (tee).  mk_digest_finish still gives
 * the digest. */
int mk_digest_end_tee (struct mk_digest *d);
/* Finish and free d; returns the lowercase hex digest (caller frees). */
char *mk_digest_finish (struct mk_digest *d);
void mk_digest_free (struct mk_digest *d);

/* Digest the rest of fd from its current offset. */
int mk_digest_fd (int fd, const char *algo, char **hex, mk_error_t *err,
                  const char *what);
/* Digest the file at path. */
int mk_digest_path (const char *path, const char *algo, char **hex,
                    mk_error_t *err);

#endif
