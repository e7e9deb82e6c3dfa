/* image.h: turn the IMAGE argument of `mkbase run` into a root directory.
 * Only image.c includes libarchive's headers (it reads; pack.c writes). */
#ifndef MK_IMAGE_H
#define MK_IMAGE_H

#include <stdbool.h>

#include "error.h"

/* A directory is used as it is.  A tar (as written by mkbase, optionally
 * compressed) is unpacked once into <cache>/images/<sha256> and reused;
 * the cache is $MKBASE_CACHE, else /var/cache/mkbase for root, else
 * $XDG_CACHE_HOME/mkbase or ~/.cache/mkbase.  *rootfs is an absolute path
 * (caller frees); *cached tells the caller the directory is shared and must
 * not be written to.  Errors carry MK_EXIT_RUNNER. */
int mk_image_prepare (const char *image, char **rootfs, bool *cached,
                      mk_error_t *err);

#endif
