/* extract.h: decompress packages in parallel, ahead of the unpacker. */
#ifndef MK_EXTRACT_H
#define MK_EXTRACT_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "rpm.h"

/* One package to extract. */
struct mk_extract_job
{
  const char *path;          /* the .rpm file */
  const char *nevra;         /* for messages */
  const char *checksum_type; /* the repository's, or NULL */
  const char *checksum;
  const struct mk_rpm_keyring *keys; /* gpgcheck, or NULL */
  const char *cache_key;     /* the repository's sha256 of the file: the
                                unpacked cache's key; NULL: not cached */
  uint64_t cost;             /* expected work (bytes), for the queue order */
};

/* Where a job's contents are, for the unpacker (unpack.h): file index
 * idx is <dirfd>/<prefix><idx>.  From the scratch directory the files may
 * be moved; from the unpacked cache they must be linked or copied. */
struct mk_extracted
{
  int dirfd;
  char prefix[32];
  bool from_cache;
  bool hit;  /* and it was there before this build */
};

struct mk_extractor;

/* Check a package file against the repository metadata's checksum before
 * librpm parses anything (a file that does not match is not the package
 * the solver chose); *sha256 is its sha256, hex (caller frees). */
int mk_extract_check_file (const struct mk_extract_job *j, char **sha256,
                           mk_error_t *err);

/* Start `workers` processes that take the jobs (costliest first, so one
 * large package late in install order does not finish alone), check each
 * file against the repository's checksum, open it with mk_rpm_open
 * (header, signature and payload digests) and write every payload entry's
 * content, checked against its file digest, to <scratch>/<job>.<file
 * index>; with cache_dir, they are then moved (or copied, across
 * filesystems) into the package's unpacked-cache entry, and the build
 * reads them there.  The scratch directory is made under scratch_parent,
 * which should be the staging tree's filesystem (the unpacker renames the
 * files into place when a staging tree needs them).
 * jobs must stay valid until mk_extractor_free. */
int mk_extractor_start (const struct mk_extract_job *jobs, size_t n,
                        int workers, const char *scratch_parent,
                        const char *cache_dir, struct mk_extractor **out,
                        mk_error_t *err);

/* Wait for job i.  On success *sha256 is the package file's sha256
 * (borrowed until mk_extractor_free), *where says where its contents are
 * (the dirfd is the extractor's) and 0 is returned; a failed job's error
 * is the worker's, exactly as an in-process unpack would have reported
 * it. */
int mk_extractor_wait (struct mk_extractor *x, size_t i, const char **sha256,
                       struct mk_extracted *where, mk_error_t *err);

/* The unpacked cache (`<cache>/unpacked`, docs/benchmarks.md): packages
 * already unpacked once, by the sha256 of their file, so a rebuild
 * decompresses only what it has not seen.  cache_root is --cache, else
 * mk_cache_root ().  NULL (with a warning when it is unusable) when there
 * is none, or MKBASE_UNPACK_CACHE=0.  Caller frees. */
char *mk_extract_cache_dir (const char *cache_root);

/* Stop the workers (killing any still running) and remove the scratch
 * directory. */
void mk_extractor_free (struct mk_extractor *x);

/* How many workers to use: $MKBASE_JOBS, else the CPUs we may run on
 * (at most 8). */
int mk_extract_workers (void);

#endif
