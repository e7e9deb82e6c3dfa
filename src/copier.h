/* copier.h: write and check file contents in a thread of their own.
 *
 * A worker that unpacks one large package alone (a rebuild where only
 * that package changed) would otherwise decompress, hash and write every
 * byte on one CPU while the others idle.  With a copier the caller only
 * decompresses: it fills buffers and hands them over in order, and the
 * copier's thread writes them to each file's fd and checks each file's
 * digest.  The caller must not touch the fds it hands over. */
#ifndef MK_COPIER_H
#define MK_COPIER_H

#include <stddef.h>

#include "error.h"

struct mk_copier;

/* Start the thread. */
struct mk_copier *mk_copier_new (void);

/* Begin a file: its bytes go to fd, which the copier closes after the
 * last one.  want is the expected hex digest in algo (digest.h names), or
 * NULL for no check; pkg and file name it in error messages (copied). */
void mk_copier_begin (struct mk_copier *c, int fd, const char *algo,
                      const char *want, const char *pkg, const char *file);

/* A buffer of *len bytes to fill for the current file (waits while every
 * buffer is in use), and the hand-over of its first n bytes. */
char *mk_copier_buffer (struct mk_copier *c, size_t *len);
void mk_copier_push (struct mk_copier *c, size_t n);

/* The current file is complete. */
void mk_copier_end (struct mk_copier *c);

/* Wait until everything handed over is written and checked.  Returns the
 * first failure (a write error, a digest mismatch) of any file since the
 * last wait, exactly as a copy in the caller would have reported it, and
 * forgets it. */
int mk_copier_wait (struct mk_copier *c, mk_error_t *err);

/* Stop the thread, dropping what was not written (fds are closed). */
void mk_copier_free (struct mk_copier *c);

#endif
