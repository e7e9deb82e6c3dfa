/* image.h: turn the IMAGE argument of `mkbase run` into a root directory,
 * through the image cache. */
#ifndef MK_IMAGE_H
#define MK_IMAGE_H

#include <stdbool.h>
#include <sys/stat.h>

#include "error.h"

/* A directory is used as it is.  A tar (as written by mkbase, optionally
 * compressed) is unpacked once into <cache>/images/<sha256> and reused;
 * the cache is $MKBASE_CACHE, else /var/cache/mkbase for root, else
 * $XDG_CACHE_HOME/mkbase or ~/.cache/mkbase.  *rootfs is an absolute path
 * (caller frees); *cached tells the caller the directory is shared and must
 * not be written to.  Errors carry MK_EXIT_RUNNER. */
int mk_image_prepare (const char *image, char **rootfs, bool *cached,
                      mk_error_t *err);

/* The cache's images directory, created (0700) when missing. */
int mk_image_cache_dir (char **images, mk_error_t *err);

/* Hashing a large tar on every run would dominate start-up, so its digest
 * is remembered under the file's identity (a symlink named by device,
 * inode, size, mtime and ctime).  Returns that name / the digest it
 * records, or NULL. */
char *mk_image_stat_key (const char *images, const struct stat *st);
char *mk_image_known_digest (const char *key);

/* Hash the tar, unpack it into images/<sha256> and record its stat key.
 * import.c does it (mkbase-core); in the lean runner binary core.c runs
 * `mkbase-core __import-image IMAGE` instead. */
int mk_image_import (const char *image, mk_error_t *err);

#endif
