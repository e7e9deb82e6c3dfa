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

/* ---- single HTTP requests (the registry client, push.c) ----------------- */

/* What mk_http_request returns for a failure worth another try: no
 * response at all because the connection failed, was reset or timed out.
 * (Which statuses are worth one is the caller's call.) */
#define MK_HTTP_TRANSIENT (-2)

typedef void (*mk_http_progress_cb) (void *ctx, uint64_t sent,
                                     uint64_t total);

struct mk_http_request
{
  const char *method;       /* GET, HEAD, POST, PUT, PATCH, DELETE */
  const char *url;          /* http:// or https:// only */
  char *const *headers;     /* "Name: value" lines; NULL: none */
  /* The body: len bytes at data; else, when size > 0, size bytes of fd
   * from offset (read with pread: a blob is sent in place and the fd's
   * own offset is left alone); else none.  PUT and POST send
   * Content-Length either way. */
  const void *data;
  size_t len;
  int fd;
  uint64_t offset, size;
  const char *const *want_headers; /* response headers to keep; NULL: none */
  size_t max_body;          /* response bytes kept; the rest is dropped */
  bool follow_redirects;    /* for GET and HEAD, whose redirects are safe */
  bool insecure;            /* https without certificate or host checks */
  int timeout;              /* seconds to connect, and without progress */
  mk_http_progress_cb progress; /* bytes of the body sent so far */
  void *progress_ctx;
};

struct mk_http_response
{
  long status;
  char **headers;  /* the values of want_headers, in their order; NULL:
                    * absent.  The last response's (after a redirect or a
                    * 100 Continue) */
  size_t n_headers;
  char *body;      /* NUL-terminated, at most max_body bytes */
  size_t body_len;
};

/* One request and its response (any status: the caller judges it).
 * Returns 0 with *out filled, MK_HTTP_TRANSIENT or -1 with *err filled.
 * SIGINT/SIGTERM abort the transfer. */
int mk_http_request (const struct mk_http_request *rq,
                     struct mk_http_response *out, mk_error_t *err);
void mk_http_response_free (struct mk_http_response *r);

/* ref resolved against base (a Location header, which may be relative),
 * as a new string; NULL when either is no valid URL. */
char *mk_http_url_join (const char *base, const char *ref);
/* s percent-encoded for a query string (a new string). */
char *mk_http_escape (const char *s);

#endif
