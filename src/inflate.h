/* inflate.h: gzip payloads decompressed by ISA-L's inflate in a thread of
 * its own, handed to librpm's archive reader as plain cpio through a pipe.
 *
 * librpm reads gzip payloads through zlib.  ISA-L's inflate does the same
 * work in about a quarter of the time on x86_64 and arm64 (coreutils' 7 MB
 * payload: 0.11 s with `gzip -dc`, 0.03 s with `igzip -dc`), and the
 * largest gzip payload is what a one-package rebuild waits for.  librpm
 * cannot take a decompressor from outside, but it reads an uncompressed
 * payload from any fd, so the bytes go through a pipe.  Built without
 * ISA-L (no libisal at build time), mk_inflate_start declines and librpm's
 * own gzip reader is used. */
#ifndef MK_INFLATE_H
#define MK_INFLATE_H

#include <stdbool.h>

#include "error.h"

struct mk_inflate;

/* Whether this build has its own gzip inflater. */
bool mk_inflate_available (void);

/* Start decompressing the gzip stream that begins at in_fd's current
 * offset (in_fd is taken over and closed by the thread).  On success
 * *read_fd is the pipe's read end, owned by the caller, which yields the
 * decompressed bytes; *out is the thread.  A stream of several gzip
 * members is read to its end, and bytes after the last member are ignored,
 * as zlib's gzread does.  Returns 0, or -1 with err set (in_fd closed). */
int mk_inflate_start (int in_fd, int *read_fd, struct mk_inflate **out,
                      mk_error_t *err);

/* The thread's failure (corrupt or truncated data, a read error) as one
 * line naming `what`, into err; 0 when it has none so far.  Call it after
 * the reader saw an error or an early end, to say why. */
int mk_inflate_error (struct mk_inflate *z, const char *what,
                      mk_error_t *err);

/* Wait for the thread and free it.  Close the read end first: a thread
 * that still has output then stops (EPIPE) instead of waiting. */
void mk_inflate_free (struct mk_inflate *z);

#endif
