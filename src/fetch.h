/* fetch.h: downloads into a cache, verified before they are kept. */
#ifndef MK_FETCH_H
#define MK_FETCH_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#include "error.h"

struct mk_fetch_item
{
  char *const *bases;        /* base URLs (mirrors), tried in order */
  const char *rel;           /* path below the base URL */
  const char *dest;          /* final file; written as dest.part first */
  uint64_t size;             /* expected size; 0: unknown */
  uint64_t max_size;         /* cap when the size is unknown */
  const char *checksum_type; /* NULL: no checksum to verify */
  const char *checksum;      /* hex */
  const char *what;          /* for messages: "bash-5.2-1.x86_64" */
};

struct mk_fetch_opts
{
  int parallel;  /* transfers at once */
  int retries;   /* attempts per mirror on transient errors */
  int timeout;   /* seconds to connect, and without progress */
  bool quiet;    /* no progress display */
};

/* Download every item (in parallel, up to opts->parallel).  Transient
 * failures (timeouts, resets, 5xx, 429) are retried with backoff and the
 * partial file resumed where the server supports ranges; then the next
 * mirror is tried.  Only http and https are allowed, redirects included; a
 * transfer that exceeds the expected size is aborted; a file whose size or
 * checksum is wrong is removed.  A file reaches `dest` only once it has
 * verified. */
int mk_fetch_all (struct mk_fetch_item *items, size_t n,
                  const struct mk_fetch_opts *opts, mk_error_t *err);

#endif
