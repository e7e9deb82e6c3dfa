/* push.h: `mkbase push SRC REF`: upload an OCI image (a layout directory
 * or an oci-archive) to a registry over the OCI distribution API. */
#ifndef MK_PUSH_H
#define MK_PUSH_H

#include <stdbool.h>

#include "error.h"

/* Transient failures (no response, 5xx, 429) are retried this many times
 * by default: three attempts in all. */
#define MK_PUSH_RETRIES 2

struct mk_push_opts
{
  bool insecure; /* --tls-verify=false: https unverified, else http */
  int retries;   /* retries per request after a transient failure */
};

/* Push the image at src (STEM.oci/, STEM.oci.tar, or the image tar or
 * stem they belong to) to ref (HOST[:PORT]/NAME[:TAG|@DIGEST]): the blobs
 * the registry lacks, the manifests by digest, the tag last, so a failed
 * push leaves no tag on a partial image.  Prints the manifest's digest on
 * stdout.  A malformed ref is a usage error (MK_EXIT_USAGE). */
int mk_push (const char *src, const char *ref, const struct mk_push_opts *o,
             mk_error_t *err);

#endif
