/* fetch.c: the only user of libcurl.  Downloads files named by base URL +
 * relative path into a cache with a curl multi handle: a bounded number of
 * transfers at once, retries with exponential backoff on transient errors,
 * resume of partial files with HTTP ranges, then the next mirror.
 *
 * Safety: only http and https, for redirects too (a redirect to file://
 * would read the build host's files into the cache); a size cap from the
 * metadata, enforced by curl for Content-Length and by the write callback
 * for everything else (endless-data attacks); each file is written as
 * DEST.part, hashed as it arrives, and renamed to DEST only after its
 * size and checksum match.  Proxies come from the usual environment
 * variables (libcurl reads http_proxy, https_proxy, no_proxy).
 *
 * mk_http_request is the other half: one request with its response
 * status, chosen headers and a capped body, for the registry client
 * (push.c), which needs methods and statuses the downloader does not. */
#define _GNU_SOURCE
#include "fetch.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stddef.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Calls go through the table below, where curl's type-checking macros
 * cannot follow. */
#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>

#include "digest.h"
#include "util.h"

#ifndef MK_CURL_SONAME
#define MK_CURL_SONAME "libcurl.so.4"
#endif

/* libcurl is opened by the first transfer, not linked: it and the 30
 * libraries it pulls in (TLS, HTTP/2, IDN, LDAP, Kerberos, ...) took every
 * run of mkbase-core 11 ms to map, relocate and initialise (measured:
 * an empty program linked with -lcurl starts in 13.5 ms, without in 2.3
 * ms), and most builds read local repositories or reuse their output.
 * The names below stand for the table's entries, so the code reads as
 * plain libcurl. */
static struct
{
  CURLcode (*global_init) (long);
  CURL *(*easy_init) (void);
  CURLcode (*easy_setopt) (CURL *, CURLoption, ...);
  CURLcode (*easy_getinfo) (CURL *, CURLINFO, ...);
  CURLcode (*easy_perform) (CURL *);
  void (*easy_cleanup) (CURL *);
  const char *(*easy_strerror) (CURLcode);
  char *(*easy_escape) (CURL *, const char *, int);
  void (*free) (void *);
  CURLM *(*multi_init) (void);
  CURLMcode (*multi_add_handle) (CURLM *, CURL *);
  CURLMcode (*multi_remove_handle) (CURLM *, CURL *);
  CURLMcode (*multi_perform) (CURLM *, int *);
  CURLMcode (*multi_poll) (CURLM *, struct curl_waitfd[], unsigned int, int,
                           int *);
  CURLMsg *(*multi_info_read) (CURLM *, int *);
  CURLMcode (*multi_cleanup) (CURLM *);
  struct curl_slist *(*slist_append) (struct curl_slist *, const char *);
  void (*slist_free_all) (struct curl_slist *);
  CURLU *(*url) (void);
  void (*url_cleanup) (CURLU *);
  CURLUcode (*url_set) (CURLU *, CURLUPart, const char *, unsigned int);
  CURLUcode (*url_get) (const CURLU *, CURLUPart, char **, unsigned int);
} lc;

#define SYM(f) { "curl_" #f, offsetof (__typeof__ (lc), f) }
static const struct
{
  const char *name;
  size_t off;
} curl_syms[] = {
  SYM (global_init),  SYM (easy_init),        SYM (easy_setopt),
  SYM (easy_getinfo), SYM (easy_perform),     SYM (easy_cleanup),
  SYM (easy_strerror), SYM (easy_escape),     SYM (free),
  SYM (multi_init),   SYM (multi_add_handle), SYM (multi_remove_handle),
  SYM (multi_perform), SYM (multi_poll),      SYM (multi_info_read),
  SYM (multi_cleanup), SYM (slist_append),    SYM (slist_free_all),
  SYM (url),          SYM (url_cleanup),      SYM (url_set),
  SYM (url_get),
};
#undef SYM

#define curl_global_init lc.global_init
#define curl_easy_init lc.easy_init
#undef curl_easy_setopt  /* curl.h's argument-count checks */
#undef curl_easy_getinfo
#undef curl_multi_setopt
#define curl_easy_setopt lc.easy_setopt
#define curl_easy_getinfo lc.easy_getinfo
#define curl_easy_perform lc.easy_perform
#define curl_easy_cleanup lc.easy_cleanup
#define curl_easy_strerror lc.easy_strerror
#define curl_easy_escape lc.easy_escape
#define curl_free lc.free
#define curl_multi_init lc.multi_init
#define curl_multi_add_handle lc.multi_add_handle
#define curl_multi_remove_handle lc.multi_remove_handle
#define curl_multi_perform lc.multi_perform
#define curl_multi_poll lc.multi_poll
#define curl_multi_info_read lc.multi_info_read
#define curl_multi_cleanup lc.multi_cleanup
#define curl_slist_append lc.slist_append
#define curl_slist_free_all lc.slist_free_all
#define curl_url lc.url
#define curl_url_cleanup lc.url_cleanup
#define curl_url_set lc.url_set
#define curl_url_get lc.url_get

/* Open libcurl and fill the table, once; the failure is remembered. */
static int
load_curl (mk_error_t *err)
{
  static void *lib;
  static char why[512];
  void *h;

  if (lib)
    return 0;
  if (why[0] == '\0')
    {
      h = dlopen (MK_CURL_SONAME, RTLD_NOW | RTLD_LOCAL);
      if (h == NULL)
        snprintf (why, sizeof why, "%s", dlerror ());
      for (size_t i = 0; h && i < ARRAY_SIZE (curl_syms); i++)
        {
          void *f = dlsym (h, curl_syms[i].name);
          if (f == NULL)
            {
              snprintf (why, sizeof why, "%s: no %s", MK_CURL_SONAME,
                        curl_syms[i].name);
              break;
            }
          memcpy ((char *) &lc + curl_syms[i].off, &f, sizeof f);
        }
      if (why[0] == '\0')
        lib = h;
      else if (h)
        dlclose (h);
    }
  if (lib)
    return 0;
  return mk_make_error (err, 0, "libcurl (needed for http(s) "
                                "repositories and registries): %s", why);
}

#define MAX_BACKOFF_MS 8000

struct xfer
{
  struct mk_fetch_item *item;
  CURL *easy;
  char *url;
  char *part;
  int fd;
  struct mk_digest *digest;
  uint64_t have;      /* bytes in the .part file */
  uint64_t resumed;   /* bytes that were there when this attempt began */
  bool checked_range; /* the first write decided resume vs. restart */
  bool oversize;
  int mirror;
  int attempt;
  double not_before;  /* backoff: do not start before this time */
  char errbuf[CURL_ERROR_SIZE];
  bool done;
};

struct fetch
{
  CURLM *multi;
  struct xfer *x;
  size_t n;
  const struct mk_fetch_opts *opts;
  uint64_t total, got;
  size_t finished;
  double start, last_draw;
  bool tty;
};

static const char *
algo_of (const struct mk_fetch_item *it)
{
  return it->checksum_type ? it->checksum_type : "sha256";
}

/* Start the .part file: keep what an earlier attempt left (hashing it
 * again) so the transfer can resume, unless it is already too long. */
static int
open_part (struct xfer *x, mk_error_t *err)
{
  struct stat st;
  x->fd = open (x->part, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (x->fd < 0)
    return mk_make_error (err, errno, "create `%s`", x->part);
  x->digest = mk_digest_new (algo_of (x->item));
  if (x->digest == NULL)
    return mk_make_error (err, 0, "%s: unknown checksum type `%s`",
                          x->item->what, algo_of (x->item));
  if (fstat (x->fd, &st) < 0)
    return mk_make_error (err, errno, "stat `%s`", x->part);
  x->have = (uint64_t) st.st_size;
  if (x->item->size && x->have >= x->item->size)
    {
      if (ftruncate (x->fd, 0) < 0)
        return mk_make_error (err, errno, "truncate `%s`", x->part);
      x->have = 0;
    }
  if (x->have > 0)
    {
      cleanup_free char *buf = xmalloc (1 << 16);
      uint64_t left = x->have;
      while (left > 0)
        {
          ssize_t r = read (x->fd, buf, left < (1 << 16) ? left : (1 << 16));
          if (r <= 0)
            return mk_make_error (err, r < 0 ? errno : EIO, "read `%s`",
                                  x->part);
          mk_digest_add (x->digest, buf, (size_t) r);
          left -= (uint64_t) r;
        }
    }
  if (lseek (x->fd, (off_t) x->have, SEEK_SET) < 0)
    return mk_make_error (err, errno, "seek `%s`", x->part);
  return 0;
}

static void
restart_part (struct xfer *x)
{
  if (ftruncate (x->fd, 0) == 0 && lseek (x->fd, 0, SEEK_SET) == 0)
    {
      mk_digest_free (x->digest);
      x->digest = mk_digest_new (algo_of (x->item));
      x->have = 0;
    }
}

static size_t
on_data (char *buf, size_t size, size_t nmemb, void *data)
{
  struct xfer *x = data;
  struct fetch *f = NULL;
  size_t len = size * nmemb;
  uint64_t cap = x->item->size ? x->item->size : x->item->max_size;

  curl_easy_getinfo (x->easy, CURLINFO_PRIVATE, &f);
  if (!x->checked_range)
    {
      long code = 0;
      x->checked_range = true;
      curl_easy_getinfo (x->easy, CURLINFO_RESPONSE_CODE, &code);
      /* Asked for a range, got the whole file: start over. */
      if (x->resumed > 0 && code != 206)
        restart_part (x);
    }
  if (x->have + len > cap)
    {
      x->oversize = true;
      return 0; /* aborts the transfer: CURLE_WRITE_ERROR */
    }
  for (size_t off = 0; off < len;)
    {
      ssize_t w = TEMP_FAILURE_RETRY (write (x->fd, buf + off, len - off));
      if (w < 0)
        return 0; /* aborts with CURLE_WRITE_ERROR; errno is in errbuf */
      off += (size_t) w;
    }
  mk_digest_add (x->digest, buf, len);
  x->have += len;
  f->got += len;
  return len;
}

static int
start (struct fetch *f, struct xfer *x, mk_error_t *err)
{
  const struct mk_fetch_item *it = x->item;
  const char *base = it->bases[x->mirror];
  uint64_t cap = it->size ? it->size : it->max_size;
  CURL *e;

  free (x->url);
  x->url = xasprintf ("%s%s%s", base,
                      mk_str_has_suffix (base, "/") ? "" : "/", it->rel);
  if (x->fd < 0 && open_part (x, err) < 0)
    return -1;
  x->resumed = x->have;
  x->checked_range = false;
  x->oversize = false;
  x->errbuf[0] = '\0';
  e = x->easy = curl_easy_init ();
  if (e == NULL)
    return mk_make_error (err, ENOMEM, "curl_easy_init");
  curl_easy_setopt (e, CURLOPT_URL, x->url);
  curl_easy_setopt (e, CURLOPT_PRIVATE, f);
  curl_easy_setopt (e, CURLOPT_WRITEFUNCTION, on_data);
  curl_easy_setopt (e, CURLOPT_WRITEDATA, x);
  curl_easy_setopt (e, CURLOPT_ERRORBUFFER, x->errbuf);
  curl_easy_setopt (e, CURLOPT_FAILONERROR, 1L);
  curl_easy_setopt (e, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt (e, CURLOPT_MAXREDIRS, 5L);
  curl_easy_setopt (e, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt (e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt (e, CURLOPT_CONNECTTIMEOUT, (long) f->opts->timeout);
  /* A server that stops sending (or never starts) fails after `timeout`
   * seconds below 1 byte/s, however large the file. */
  curl_easy_setopt (e, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt (e, CURLOPT_LOW_SPEED_TIME, (long) f->opts->timeout);
  curl_easy_setopt (e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t) cap);
  curl_easy_setopt (e, CURLOPT_USERAGENT, "mkbase/" MK_VERSION);
  curl_easy_setopt (e, CURLOPT_NOSIGNAL, 1L);
  if (x->have > 0)
    curl_easy_setopt (e, CURLOPT_RESUME_FROM_LARGE, (curl_off_t) x->have);
  if (curl_multi_add_handle (f->multi, e) != CURLM_OK)
    return mk_make_error (err, 0, "curl_multi_add_handle");
  return 0;
}

/* Timeouts, resets, truncation and server-side errors are worth another
 * try; a 404 or a bad checksum is not. */
static bool
transient (CURLcode rc, long http)
{
  switch (rc)
    {
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_PARTIAL_FILE:
    case CURLE_GOT_NOTHING:
    case CURLE_SSL_CONNECT_ERROR:
      return true;
    case CURLE_HTTP_RETURNED_ERROR:
      return http >= 500 || http == 429 || http == 408;
    default:
      return false;
    }
}

static int
finish_ok (struct xfer *x, mk_error_t *err)
{
  const struct mk_fetch_item *it = x->item;
  cleanup_free char *got = NULL;

  if (it->size && x->have != it->size)
    return 1; /* truncated: retry (and resume) */
  got = mk_digest_finish (steal_pointer (&x->digest));
  close (steal_fd (&x->fd));
  if (it->checksum && strcmp (got, it->checksum) != 0)
    {
      unlink (x->part);
      return mk_make_error (err, 0, "%s: %s checksum mismatch: the metadata "
                                    "states %s, %s sent %s", it->what,
                            it->checksum_type, it->checksum, x->url, got);
    }
  if (rename (x->part, it->dest) < 0)
    return mk_make_error (err, errno, "rename into `%s`", it->dest);
  x->done = true;
  return 0;
}

static int
backoff_ms (int attempt)
{
  int ms = 250 << (attempt < 5 ? attempt : 5);
  return ms > MAX_BACKOFF_MS ? MAX_BACKOFF_MS : ms;
}

/* A transfer ended: keep it, retry it later, move to the next mirror, or
 * fail the whole fetch. */
static int
finished (struct fetch *f, struct xfer *x, CURLcode rc, mk_error_t *err)
{
  const struct mk_fetch_item *it = x->item;
  long http = 0;
  int r;
  cleanup_free char *why = NULL;

  curl_easy_getinfo (x->easy, CURLINFO_RESPONSE_CODE, &http);
  curl_multi_remove_handle (f->multi, x->easy);
  curl_easy_cleanup (x->easy);
  x->easy = NULL;
  if (x->oversize)
    {
      unlink (x->part);
      return mk_make_error (err, 0, "%s: %s sent more than the %" PRIu64
                                    " bytes the metadata states; aborted",
                            it->what, x->url,
                            it->size ? it->size : it->max_size);
    }
  if (rc == CURLE_OK && (r = finish_ok (x, err)) <= 0)
    {
      f->finished++;
      return r;
    }
  why = rc == CURLE_OK ? xstrdup ("truncated transfer")
                       : xstrdup (x->errbuf[0] ? x->errbuf
                                               : curl_easy_strerror (rc));
  if (rc == CURLE_OK || transient (rc, http))
    {
      if (x->attempt++ < f->opts->retries)
        {
          int ms = backoff_ms (x->attempt);
          mk_debug ("%s: %s; retrying in %d ms", x->url, why, ms);
          x->not_before = mk_now () + ms / 1000.0;
          return 0;
        }
    }
  if (it->bases[x->mirror + 1])
    {
      mk_warn ("%s: %s; trying the next mirror", x->url, why);
      x->mirror++;
      x->attempt = 0;
      x->not_before = 0;
      return 0;
    }
  return mk_make_error (err, 0, "download %s from %s: %s", it->what, x->url,
                        why);
}

static void
draw_progress (struct fetch *f, bool final)
{
  double t = mk_now (), el = t - f->start;
  double rate = el > 0 ? (double) f->got / el : 0;
  if (f->opts->quiet || mk_verbosity < 1)
    return;
  if (!f->tty)
    {
      if (final)
        mk_info ("downloaded %zu files, %.1f MB in %.1fs (%.1f MB/s)",
                 f->finished, (double) f->got / 1e6, el, rate / 1e6);
      return;
    }
  if (!final && t - f->last_draw < 0.1)
    return;
  f->last_draw = t;
  {
    int width = 30, filled = 0;
    char bar[64];
    double frac = f->total ? (double) f->got / (double) f->total : 0;
    double eta = rate > 0 && f->total > f->got
                     ? (double) (f->total - f->got) / rate : 0;
    filled = (int) (frac * width);
    if (filled > width)
      filled = width;
    memset (bar, '=', (size_t) filled);
    memset (bar + filled, ' ', (size_t) (width - filled));
    bar[width] = '\0';
    fprintf (stderr, "\rdownload [%s] %zu/%zu  %.1f/%.1f MB  %.1f MB/s  ETA %.0fs ",
             bar, f->finished, f->n, (double) f->got / 1e6,
             (double) f->total / 1e6, rate / 1e6, eta);
    if (final)
      fputc ('\n', stderr);
  }
}

static size_t
active_count (struct fetch *f)
{
  size_t a = 0;
  for (size_t i = 0; i < f->n; i++)
    a += f->x[i].easy != NULL;
  return a;
}

/* Start what may start: within the parallel bound, past its backoff. */
static int
schedule (struct fetch *f, mk_error_t *err)
{
  double t = mk_now ();
  size_t active = active_count (f);
  for (size_t i = 0; i < f->n && active < (size_t) f->opts->parallel; i++)
    {
      struct xfer *x = &f->x[i];
      if (x->done || x->easy || x->not_before > t)
        continue;
      if (start (f, x, err) < 0)
        return -1;
      active++;
    }
  return 0;
}

static int
run (struct fetch *f, mk_error_t *err)
{
  while (f->finished < f->n)
    {
      CURLMsg *m;
      int running = 0, left;
      if (mk_check_interrupt (err) < 0 || schedule (f, err) < 0)
        return -1;
      curl_multi_perform (f->multi, &running);
      while ((m = curl_multi_info_read (f->multi, &left)) != NULL)
        {
          struct xfer *x = NULL;
          if (m->msg != CURLMSG_DONE)
            continue;
          for (size_t i = 0; i < f->n; i++)
            if (f->x[i].easy == m->easy_handle)
              x = &f->x[i];
          if (x && finished (f, x, m->data.result, err) < 0)
            return -1;
        }
      draw_progress (f, false);
      if (f->finished < f->n)
        curl_multi_poll (f->multi, NULL, 0, 100, NULL);
    }
  return 0;
}

static void
fetch_free (struct fetch *f)
{
  for (size_t i = 0; i < f->n; i++)
    {
      struct xfer *x = &f->x[i];
      if (x->easy)
        {
          curl_multi_remove_handle (f->multi, x->easy);
          curl_easy_cleanup (x->easy);
        }
      if (x->fd >= 0)
        close (x->fd);
      mk_digest_free (x->digest);
      free (x->url);
      free (x->part);
    }
  free (f->x);
  if (f->multi)
    curl_multi_cleanup (f->multi);
}

static int
global_init (mk_error_t *err)
{
  static bool inited;
  if (load_curl (err) < 0)
    return -1;
  if (!inited)
    {
      if (curl_global_init (CURL_GLOBAL_DEFAULT) != 0)
        return mk_make_error (err, 0, "libcurl: initialisation failed");
      inited = true;
    }
  return 0;
}

int
mk_fetch_all (struct mk_fetch_item *items, size_t n,
              const struct mk_fetch_opts *opts, mk_error_t *err)
{
  struct fetch f = { .n = n, .opts = opts };
  int r;

  if (n == 0)
    return 0;
  if (global_init (err) < 0)
    return -1;
  f.multi = curl_multi_init ();
  f.x = xcalloc (n, sizeof *f.x);
  for (size_t i = 0; i < n; i++)
    {
      f.x[i].item = &items[i];
      f.x[i].fd = -1;
      f.x[i].part = xasprintf ("%s.part", items[i].dest);
      f.total += items[i].size;
    }
  f.start = mk_now ();
  f.tty = isatty (STDERR_FILENO);
  r = run (&f, err);
  if (r == 0)
    draw_progress (&f, true);
  else if (f.tty && !opts->quiet && mk_verbosity >= 1)
    fputc ('\n', stderr);
  fetch_free (&f);
  return r;
}

/* ---- single requests -------------------------------------------------------- */

struct req
{
  const struct mk_http_request *rq;
  struct mk_http_response *resp;
  uint64_t total; /* body bytes to send */
  uint64_t pos;   /* body bytes handed to curl */
  int read_errno;
  CURL *easy;
};

static size_t
req_read (char *buf, size_t size, size_t nmemb, void *data)
{
  struct req *q = data;
  const struct mk_http_request *rq = q->rq;
  size_t want = size * nmemb;
  ssize_t n;

  if (q->pos >= q->total)
    return 0;
  if (want > q->total - q->pos)
    want = (size_t) (q->total - q->pos);
  if (rq->data)
    {
      memcpy (buf, (const char *) rq->data + q->pos, want);
      q->pos += want;
      return want;
    }
  n = TEMP_FAILURE_RETRY (
      pread (rq->fd, buf, want, (off_t) (rq->offset + q->pos)));
  if (n <= 0)
    {
      /* A file shorter than it said: fail rather than send a short body
       * the server would wait for. */
      q->read_errno = n < 0 ? errno : EIO;
      return CURL_READFUNC_ABORT;
    }
  q->pos += (uint64_t) n;
  return (size_t) n;
}

/* curl rewinds the body when it must send it again (a redirect, a
 * connection reused after the server closed it). */
static int
req_seek (void *data, curl_off_t offset, int origin)
{
  struct req *q = data;
  if (origin != SEEK_SET || offset < 0 || (uint64_t) offset > q->total)
    return CURL_SEEKFUNC_FAIL;
  q->pos = (uint64_t) offset;
  return CURL_SEEKFUNC_OK;
}

static void
drop_headers (struct req *q)
{
  for (size_t i = 0; i < q->resp->n_headers; i++)
    {
      free (q->resp->headers[i]);
      q->resp->headers[i] = NULL;
    }
}

/* Keep the wanted headers of the last response only: a status line starts
 * a new one (after a 100 Continue or a redirect). */
static size_t
req_header (char *buf, size_t size, size_t nitems, void *data)
{
  struct req *q = data;
  size_t len = size * nitems;
  const char *colon = memchr (buf, ':', len);
  const char *const *want = q->rq->want_headers;

  if (len >= 5 && memcmp (buf, "HTTP/", 5) == 0)
    {
      drop_headers (q);
      q->resp->body_len = 0;
      return len;
    }
  for (size_t i = 0; colon && want && want[i]; i++)
    {
      size_t nl = strlen (want[i]);
      const char *v = colon + 1, *end = buf + len;
      if ((size_t) (colon - buf) != nl || strncasecmp (buf, want[i], nl) != 0)
        continue;
      while (v < end && (*v == ' ' || *v == '\t'))
        v++;
      while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
        end--;
      free (q->resp->headers[i]);
      q->resp->headers[i] = xstrndup (v, (size_t) (end - v));
    }
  return len;
}

static size_t
req_write (char *buf, size_t size, size_t nmemb, void *data)
{
  struct req *q = data;
  struct mk_http_response *r = q->resp;
  size_t len = size * nmemb, room = q->rq->max_body - r->body_len;
  size_t take = len < room ? len : room;

  if (take > 0)
    {
      r->body = xrealloc (r->body, r->body_len + take + 1);
      memcpy (r->body + r->body_len, buf, take);
      r->body_len += take;
      r->body[r->body_len] = '\0';
    }
  return len;
}

static int
req_xferinfo (void *data, curl_off_t dltotal, curl_off_t dlnow,
              curl_off_t ultotal, curl_off_t ulnow)
{
  struct req *q = data;
  if (mk_interrupted ())
    return 1; /* aborts with CURLE_ABORTED_BY_CALLBACK */
  if (q->rq->progress && q->total > 0)
    q->rq->progress (q->rq->progress_ctx, (uint64_t) ulnow, q->total);
  return 0;
}

static void
set_method (struct req *q, CURL *e)
{
  const char *m = q->rq->method;
  bool body = q->total > 0 || strcmp (m, "PUT") == 0
              || strcmp (m, "POST") == 0;

  if (strcmp (m, "HEAD") == 0)
    curl_easy_setopt (e, CURLOPT_NOBODY, 1L);
  else if (strcmp (m, "POST") == 0)
    {
      curl_easy_setopt (e, CURLOPT_POST, 1L);
      curl_easy_setopt (e, CURLOPT_POSTFIELDSIZE_LARGE,
                        (curl_off_t) q->total);
    }
  else if (body)
    {
      curl_easy_setopt (e, CURLOPT_UPLOAD, 1L);
      curl_easy_setopt (e, CURLOPT_INFILESIZE_LARGE, (curl_off_t) q->total);
      if (strcmp (m, "PUT") != 0)
        curl_easy_setopt (e, CURLOPT_CUSTOMREQUEST, m);
    }
  else if (strcmp (m, "GET") != 0)
    curl_easy_setopt (e, CURLOPT_CUSTOMREQUEST, m);
  if (body)
    {
      curl_easy_setopt (e, CURLOPT_READFUNCTION, req_read);
      curl_easy_setopt (e, CURLOPT_READDATA, q);
      curl_easy_setopt (e, CURLOPT_SEEKFUNCTION, req_seek);
      curl_easy_setopt (e, CURLOPT_SEEKDATA, q);
    }
}

static void
set_options (struct req *q, CURL *e, struct curl_slist *hdrs, char *errbuf)
{
  const struct mk_http_request *rq = q->rq;
  bool safe = strcmp (rq->method, "GET") == 0 || strcmp (rq->method, "HEAD") == 0;
  long timeout = rq->timeout > 0 ? rq->timeout : 30;

  curl_easy_setopt (e, CURLOPT_URL, rq->url);
  curl_easy_setopt (e, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt (e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt (e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt (e, CURLOPT_USERAGENT, "mkbase/" MK_VERSION);
  curl_easy_setopt (e, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt (e, CURLOPT_CONNECTTIMEOUT, timeout);
  curl_easy_setopt (e, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt (e, CURLOPT_LOW_SPEED_TIME, timeout);
  curl_easy_setopt (e, CURLOPT_HTTPHEADER, hdrs);
  curl_easy_setopt (e, CURLOPT_HEADERFUNCTION, req_header);
  curl_easy_setopt (e, CURLOPT_HEADERDATA, q);
  curl_easy_setopt (e, CURLOPT_WRITEFUNCTION, req_write);
  curl_easy_setopt (e, CURLOPT_WRITEDATA, q);
  curl_easy_setopt (e, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt (e, CURLOPT_XFERINFOFUNCTION, req_xferinfo);
  curl_easy_setopt (e, CURLOPT_XFERINFODATA, q);
  /* Redirects are followed for GET and HEAD only: a body would have to be
   * sent again to wherever the server points, credentials with it. */
  if (rq->follow_redirects && safe)
    {
      curl_easy_setopt (e, CURLOPT_FOLLOWLOCATION, 1L);
      curl_easy_setopt (e, CURLOPT_MAXREDIRS, 5L);
    }
  if (rq->insecure)
    {
      curl_easy_setopt (e, CURLOPT_SSL_VERIFYPEER, 0L);
      curl_easy_setopt (e, CURLOPT_SSL_VERIFYHOST, 0L);
    }
  set_method (q, e);
}

/* The URL without its query, for messages: an upload URL carries the
 * registry's state token, which says nothing to a reader. */
static char *
url_for_message (const char *url)
{
  return xstrndup (url, strcspn (url, "?"));
}

static int
perform_error (struct req *q, CURLcode rc, char *errbuf, mk_error_t *err)
{
  cleanup_free char *where = url_for_message (q->rq->url);
  size_t n = strlen (errbuf);

  if (mk_interrupted ())
    return mk_check_interrupt (err);
  if (q->read_errno)
    return mk_make_error (err, q->read_errno, "%s %s: read the body",
                          q->rq->method, where);
  while (n > 0 && (errbuf[n - 1] == '\n' || errbuf[n - 1] == '\r'))
    errbuf[--n] = '\0';
  mk_make_error (err, 0, "%s %s: %s", q->rq->method, where,
                 n ? errbuf : curl_easy_strerror (rc));
  return transient (rc, 0) ? MK_HTTP_TRANSIENT : -1;
}

int
mk_http_request (const struct mk_http_request *rq,
                 struct mk_http_response *out, mk_error_t *err)
{
  struct mk_http_response resp = { 0 };
  struct req q = { .rq = rq, .resp = &resp };
  struct curl_slist *hdrs = NULL;
  char errbuf[CURL_ERROR_SIZE] = "";
  size_t n_want = 0;
  CURLcode rc;
  CURL *e;

  if (global_init (err) < 0)
    return -1;
  while (rq->want_headers && rq->want_headers[n_want])
    n_want++;
  resp.headers = xcalloc (n_want + 1, sizeof (char *));
  resp.n_headers = n_want;
  q.total = rq->data ? rq->len : rq->size;
  for (size_t i = 0; rq->headers && rq->headers[i]; i++)
    hdrs = curl_slist_append (hdrs, rq->headers[i]);
  e = q.easy = curl_easy_init ();
  if (e == NULL)
    {
      curl_slist_free_all (hdrs);
      mk_http_response_free (&resp);
      return mk_make_error (err, ENOMEM, "curl_easy_init");
    }
  set_options (&q, e, hdrs, errbuf);
  rc = curl_easy_perform (e);
  curl_easy_getinfo (e, CURLINFO_RESPONSE_CODE, &resp.status);
  curl_easy_cleanup (e);
  curl_slist_free_all (hdrs);
  if (rc != CURLE_OK)
    {
      mk_http_response_free (&resp);
      return perform_error (&q, rc, errbuf, err);
    }
  *out = resp;
  return 0;
}

void
mk_http_response_free (struct mk_http_response *r)
{
  for (size_t i = 0; i < r->n_headers; i++)
    free (r->headers[i]);
  free (r->headers);
  free (r->body);
  *r = (struct mk_http_response){ 0 };
}

char *
mk_http_url_join (const char *base, const char *ref)
{
  CURLU *u;
  char *joined = NULL, *r = NULL;
  mk_error_t err = NULL;

  if (load_curl (&err) < 0)
    {
      mk_error_release (&err);
      return NULL;
    }
  u = curl_url ();
  if (u && curl_url_set (u, CURLUPART_URL, base, 0) == CURLUE_OK
      && curl_url_set (u, CURLUPART_URL, ref, 0) == CURLUE_OK
      && curl_url_get (u, CURLUPART_URL, &joined, 0) == CURLUE_OK)
    r = xstrdup (joined);
  curl_free (joined);
  curl_url_cleanup (u);
  return r;
}

char *
mk_http_escape (const char *s)
{
  mk_error_t err = NULL;
  char *e = load_curl (&err) == 0 ? curl_easy_escape (NULL, s, 0) : NULL;
  char *r;
  if (e == NULL)
    abort (); /* out of memory; libcurl is loaded by the request before */
  r = xstrdup (e);
  curl_free (e);
  return r;
}
