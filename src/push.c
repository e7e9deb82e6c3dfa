/* push.c: `mkbase push SRC REF`, the registry client.  It speaks the OCI
 * distribution API over mk_http_request (fetch.c owns libcurl):
 *
 *   GET  /v2/                        is it a registry, does it want auth
 *   HEAD /v2/NAME/blobs/DIGEST       per blob: already there?
 *   POST /v2/NAME/blobs/uploads/     202 + Location, then
 *   PUT  LOCATION?digest=DIGEST      the blob, streamed from the file
 *   PUT  /v2/NAME/manifests/DIGEST   child manifests of an index
 *   PUT  /v2/NAME/manifests/TAG      last: the tag appears only once
 *                                    everything it points to is there
 *
 * Blobs are read in place: from the layout's blobs/ directory, or at their
 * offsets inside an uncompressed oci-archive (listing.c finds them), and
 * hashed before they are sent so a corrupt layout fails here, not as a
 * registry's 400.  Credentials come from the auth files skopeo and podman
 * read; a 401 answers with Basic or with a Bearer token from the realm the
 * challenge names.  Credentials and tokens never reach a message. */
#define _GNU_SOURCE
#include "push.h"

#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include "digest.h"
#include "fetch.h"
#include "json.h"
#include "listing.h"
#include "util.h"

#define MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
/* The distribution refuses larger manifests; so do we, before sending. */
#define MAX_MANIFEST (4u << 20)
#define MAX_AUTH_FILE (1u << 20)
#define MAX_RESPONSE (64u << 10)
#define MAX_DEPTH 4 /* index -> index -> manifest is as deep as it gets */
#define TIMEOUT 30
#define HASH_BLOCK (1 << 17)

/* ---- references ---------------------------------------------------------- */

struct ref
{
  char *host;   /* as in auth files: "127.0.0.1:5000", "[::1]:5000" */
  char *name;   /* "team/demo" */
  char *tag;    /* NULL when pushing by digest */
  char *digest; /* "sha256:..." or NULL */
};

static void
ref_free (struct ref *r)
{
  free (r->host);
  free (r->name);
  free (r->tag);
  free (r->digest);
}

/* sha256:<64 hex> or sha512:<128 hex>, lowercase: digests name files in
 * the layout, so nothing else may pass. */
static bool
valid_digest (const char *d)
{
  size_t want = mk_str_has_prefix (d, "sha256:")   ? 64
                : mk_str_has_prefix (d, "sha512:") ? 128
                                                   : 0;
  const char *hex = d + 7;
  if (want == 0 || strlen (hex) != want)
    return false;
  return strspn (hex, "0123456789abcdef") == want;
}

static bool
valid_component (const char *s, size_t len)
{
  /* [a-z0-9]+ separated by one of . _ __ -+, as the distribution has it. */
  if (len == 0 || !strchr ("abcdefghijklmnopqrstuvwxyz0123456789", s[0])
      || !strchr ("abcdefghijklmnopqrstuvwxyz0123456789", s[len - 1]))
    return false;
  for (size_t i = 0; i < len; i++)
    if (!strchr ("abcdefghijklmnopqrstuvwxyz0123456789._-", s[i])
        || (s[i] == '.' && i + 1 < len && strchr ("._-", s[i + 1])))
      return false;
  return true;
}

static bool
valid_name (const char *name)
{
  const char *p = name;
  while (true)
    {
      size_t len = strcspn (p, "/");
      if (!valid_component (p, len))
        return false;
      if (p[len] == '\0')
        return strlen (name) <= 255;
      p += len + 1;
    }
}

static bool
valid_tag (const char *t)
{
  size_t n = strlen (t);
  const char *word = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                     "0123456789_";
  return n > 0 && n <= 128 && strchr (word, t[0])
         && strspn (t, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                       "0123456789_.-") == n;
}

/* host, host:port, [v6]:port; a first component that is none of these (no
 * dot, no port, not localhost) is a name, as docker reads references. */
static bool
valid_host (const char *h)
{
  const char *end = h[0] == '[' ? strchr (h, ']') : NULL;
  const char *colon;
  if (h[0] == '[')
    {
      if (end == NULL || end == h + 1
          || strspn (h + 1, "0123456789abcdefABCDEF:.") != (size_t) (end - h - 1))
        return false;
      colon = end[1] == ':' ? end + 1 : NULL;
      if (!colon && end[1] != '\0')
        return false;
    }
  else
    {
      colon = strchr (h, ':');
      size_t len = colon ? (size_t) (colon - h) : strlen (h);
      if (len == 0 || strspn (h, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                 "0123456789.-") != len)
        return false;
      if (!colon && !memchr (h, '.', len) && strcmp (h, "localhost") != 0)
        return false;
    }
  return colon == NULL
         || (colon[1] != '\0' && strlen (colon + 1) <= 5
             && strspn (colon + 1, "0123456789") == strlen (colon + 1));
}

static int
ref_error (mk_error_t *err, const char *why)
{
  return mk_make_error_code (err, MK_EXIT_USAGE, 0,
                             "%s; write HOST[:PORT]/NAME[:TAG|@DIGEST], e.g. "
                             "127.0.0.1:5000/demo:1", why);
}

static int
parse_ref (const char *s, struct ref *out, mk_error_t *err)
{
  const char *slash = strchr (s, '/');
  cleanup_free char *rest = NULL;
  struct ref r = { 0 };
  char *at, *colon;

  if (slash == NULL)
    return ref_error (err, "no registry host in the reference");
  r.host = xstrndup (s, (size_t) (slash - s));
  if (!valid_host (r.host))
    {
      cleanup_free char *m = xasprintf ("`%s` is no registry host", r.host);
      ref_free (&r);
      return ref_error (err, m);
    }
  rest = xstrdup (slash + 1);
  if ((at = strchr (rest, '@')) != NULL)
    {
      *at = '\0';
      r.digest = xstrdup (at + 1);
    }
  colon = strrchr (rest, ':');
  if (colon && !strchr (colon, '/'))
    {
      *colon = '\0';
      r.tag = xstrdup (colon + 1);
    }
  r.name = xstrdup (rest);
  if (!valid_name (r.name) || (r.tag && !valid_tag (r.tag))
      || (r.digest && !valid_digest (r.digest)) || (r.tag && r.digest))
    {
      const char *why = r.tag && r.digest ? "a tag or a digest, not both"
                        : !valid_name (r.name)
                            ? "the name must be lowercase letters, digits and "
                              "separators (. _ -) between slashes"
                        : r.digest && !valid_digest (r.digest)
                            ? "the digest must be sha256:<64 hex digits>"
                            : "the tag must be letters, digits, _ . - (at "
                              "most 128, not starting with . or -)";
      ref_free (&r);
      return ref_error (err, why);
    }
  if (!r.tag && !r.digest)
    r.tag = xstrdup ("latest");
  *out = r;
  return 0;
}

/* localhost, 127.0.0.0/8 and [::1]: a registry there is on this machine,
 * which is where plain http is the norm (docker treats 127.0.0.0/8 as an
 * insecure registry by default, too). */
static bool
is_loopback (const char *host)
{
  size_t len = host[0] == '[' ? strcspn (host, "]") + 1 : strcspn (host, ":");
  return (len == 9 && strncmp (host, "localhost", 9) == 0)
         || (len == 5 && strncmp (host, "[::1]", 5) == 0)
         || (mk_str_has_prefix (host, "127.")
             && strspn (host, "0123456789.") == len);
}

/* Docker Hub answers as registry-1.docker.io and keeps its credentials
 * under index.docker.io. */
static const char *
canonical_host (const char *host)
{
  if (strcmp (host, "docker.io") == 0 || strcmp (host, "index.docker.io") == 0
      || strcmp (host, "registry-1.docker.io") == 0)
    return "docker.io";
  return host;
}

/* ---- the image: a layout directory or an oci-archive ------------------- */

struct src
{
  char *path;   /* for messages */
  int fd;       /* the layout directory, or the archive */
  bool archive;
  struct mk_listing_member *members; /* the archive's */
  size_t n_members;
};

/* Where a blob's bytes are: size bytes of fd from offset. */
struct blob_loc
{
  int fd;
  uint64_t offset, size;
  int owned; /* fd to close (a layout's file) or -1 */
};

static void
src_close (struct src *s)
{
  if (s->fd >= 0)
    close (s->fd);
  mk_listing_members_free (s->members, s->n_members);
  free (s->path);
}

static void
blob_loc_close (struct blob_loc *l)
{
  if (l->owned >= 0)
    close (l->owned);
  l->owned = -1;
}

/* name: "index.json" or "blobs/sha256/<hex>". */
static int
src_locate (const struct src *s, const char *name, struct blob_loc *out,
            mk_error_t *err)
{
  struct stat st;
  int fd;

  if (s->archive)
    {
      /* The last member of a name is what extracting the archive gives. */
      for (size_t i = s->n_members; i-- > 0;)
        if (strcmp (s->members[i].name, name) == 0)
          {
            *out = (struct blob_loc){ .fd = s->fd, .offset = s->members[i].offset,
                                      .size = s->members[i].size, .owned = -1 };
            return 0;
          }
      return mk_make_error (err, ENOENT, "`%s` in `%s`", name, s->path);
    }
  fd = openat (s->fd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0)
    return mk_make_error (err, errno, "`%s/%s`", s->path, name);
  if (fstat (fd, &st) < 0 || !S_ISREG (st.st_mode))
    {
      close (fd);
      return mk_make_error (err, S_ISREG (st.st_mode) ? errno : EINVAL,
                            "`%s/%s`", s->path, name);
    }
  *out = (struct blob_loc){ .fd = fd, .size = (uint64_t) st.st_size,
                            .owned = fd };
  return 0;
}

static char *
blob_name (const char *digest)
{
  const char *colon = strchr (digest, ':');
  return xasprintf ("blobs/%.*s/%s", (int) (colon - digest), digest,
                    colon + 1);
}

static int
read_loc (const struct blob_loc *l, size_t max, const char *what, char **out,
          mk_error_t *err)
{
  cleanup_free char *buf = NULL;
  uint64_t got = 0;

  if (l->size > max)
    return mk_make_error (err, EFBIG, "%s", what);
  buf = xmalloc ((size_t) l->size + 1);
  while (got < l->size)
    {
      ssize_t n = TEMP_FAILURE_RETRY (pread (l->fd, buf + got,
                                             (size_t) (l->size - got),
                                             (off_t) (l->offset + got)));
      if (n <= 0)
        return mk_make_error (err, n < 0 ? errno : EIO, "read %s", what);
      got += (uint64_t) n;
    }
  buf[got] = '\0';
  *out = steal_pointer (&buf);
  return 0;
}

/* The sha256 (or sha512) of a blob as it is on disk. */
static int
hash_loc (const struct blob_loc *l, const char *algo, const char *what,
          char **hex, mk_error_t *err)
{
  struct mk_digest *d = mk_digest_new (algo);
  cleanup_free char *buf = xmalloc (HASH_BLOCK);
  uint64_t done = 0;

  while (done < l->size)
    {
      size_t want = l->size - done < HASH_BLOCK ? (size_t) (l->size - done)
                                                : HASH_BLOCK;
      ssize_t n = TEMP_FAILURE_RETRY (
          pread (l->fd, buf, want, (off_t) (l->offset + done)));
      if (n <= 0 || mk_check_interrupt (err) < 0)
        {
          mk_digest_free (d);
          return *err ? -1
                      : mk_make_error (err, n < 0 ? errno : EIO, "read %s",
                                       what);
        }
      mk_digest_add (d, buf, (size_t) n);
      done += (uint64_t) n;
    }
  *hex = mk_digest_finish (d);
  return 0;
}

static bool
is_layout_dir (const char *path)
{
  cleanup_free char *index = xasprintf ("%s/index.json", path);
  struct stat st;
  return stat (index, &st) == 0 && S_ISREG (st.st_mode);
}

static int
src_open_archive (struct src *s, mk_error_t *err)
{
  s->archive = true;
  s->fd = open (s->path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (s->fd < 0)
    return mk_make_error (err, errno, "open `%s`", s->path);
  return mk_listing_members_fd (s->fd, s->path, &s->members, &s->n_members,
                                err);
}

static bool
archive_has_index (const struct src *s)
{
  for (size_t i = 0; i < s->n_members; i++)
    if (strcmp (s->members[i].name, "index.json") == 0)
      return true;
  return false;
}

/* out/x.tar, out/x.oci.tar, out/x.oci, out/x -> out/x */
static char *
image_stem (const char *arg)
{
  char *stem = mk_output_stem (arg);
  if (mk_str_has_suffix (stem, ".oci"))
    stem[strlen (stem) - 4] = '\0';
  return stem;
}

/* What `mkbase build` writes next to an image: STEM.oci/ or STEM.oci.tar
 * (the directory preferred: nothing to parse).  NULL when neither. */
static char *
sibling_image (const char *arg, bool *archive)
{
  cleanup_free char *stem = image_stem (arg);
  cleanup_free char *dir = xasprintf ("%s.oci", stem);
  cleanup_free char *tar = xasprintf ("%s.oci.tar", stem);
  struct stat st;

  if (is_layout_dir (dir))
    {
      *archive = false;
      return steal_pointer (&dir);
    }
  if (stat (tar, &st) == 0 && S_ISREG (st.st_mode))
    {
      *archive = true;
      return steal_pointer (&tar);
    }
  return NULL;
}

static int
no_oci_error (const char *arg, mk_error_t *err)
{
  cleanup_free char *stem = image_stem (arg);
  return mk_make_error (err, 0,
                        "`%s` is no OCI image and neither %s.oci/ nor "
                        "%s.oci.tar exists: add `oci` to the recipe's "
                        "output_format (or build with --format oci)",
                        arg, stem, stem);
}

/* SRC as the user gave it: a layout directory, an oci-archive, or the
 * image tar (or its stem) whose STEM.oci/ or STEM.oci.tar to push. */
static int
src_open (const char *arg, struct src *s, mk_error_t *err)
{
  struct stat st;
  bool archive = false;
  cleanup_free char *sib = NULL;

  *s = (struct src){ .fd = -1 };
  if (stat (arg, &st) < 0)
    st.st_mode = 0; /* not there: maybe a stem */
  if (S_ISDIR (st.st_mode))
    {
      s->path = xstrdup (arg);
      if (!is_layout_dir (arg))
        return mk_make_error (err, 0, "`%s` is no OCI image layout (it has "
                                      "no index.json)", arg);
      s->fd = open (arg, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      return s->fd < 0 ? mk_make_error (err, errno, "open `%s`", arg) : 0;
    }
  if (S_ISREG (st.st_mode) && mk_str_has_suffix (arg, ".oci.tar"))
    {
      s->path = xstrdup (arg);
      return src_open_archive (s, err);
    }
  if ((sib = sibling_image (arg, &archive)) != NULL)
    {
      s->path = steal_pointer (&sib);
      if (archive)
        return src_open_archive (s, err);
      s->fd = open (s->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      return s->fd < 0 ? mk_make_error (err, errno, "open `%s`", s->path) : 0;
    }
  /* Any other uncompressed tar may still be an oci-archive (skopeo's). */
  if (S_ISREG (st.st_mode) && mk_str_has_suffix (arg, ".tar"))
    {
      mk_error_t e2 = NULL;
      s->path = xstrdup (arg);
      if (src_open_archive (s, &e2) == 0 && archive_has_index (s))
        return 0;
      mk_error_release (&e2);
    }
  return no_oci_error (arg, err);
}

/* ---- credentials --------------------------------------------------------- */

static int
b64_value (char c)
{
  const char *set = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                    "0123456789+/";
  const char *p = c ? strchr (set, c) : NULL;
  return p ? (int) (p - set) : -1;
}

/* Is s base64 of "user:password"?  (An auth entry is sent as it is; this
 * only turns a damaged file into a clear message.) */
static bool
valid_basic (const char *s)
{
  size_t n = strlen (s), out = 0;
  unsigned acc = 0;
  int bits = 0;
  bool colon = false;

  while (n > 0 && s[n - 1] == '=')
    n--;
  if (n == 0 || strlen (s) - n > 2)
    return false;
  for (size_t i = 0; i < n; i++)
    {
      int v = b64_value (s[i]);
      if (v < 0)
        return false;
      acc = (acc << 6) | (unsigned) v;
      bits += 6;
      if (bits >= 8)
        {
          bits -= 8;
          char c = (char) ((acc >> bits) & 0xff);
          colon |= c == ':';
          if ((unsigned char) c < 0x20)
            return false;
          out++;
        }
    }
  return colon && out > 1;
}

/* How well an auth file key matches the reference: the length of the key
 * that matched (the most specific wins), -1 when it does not.  Keys are
 * "host[:port]", "host/namespace[/repo]" (podman), or docker's URLs
 * "https://host/v1/" whose path means nothing. */
static int
key_match (const char *key, const struct ref *ref)
{
  bool url = false;
  cleanup_free char *k = NULL;
  cleanup_free char *full = NULL;
  char *slash;

  if (mk_str_has_prefix (key, "https://") || mk_str_has_prefix (key, "http://"))
    {
      key = strstr (key, "://") + 3;
      url = true;
    }
  k = xstrdup (key);
  slash = strchr (k, '/');
  if (slash && url)
    *slash = '\0';
  if (slash == NULL || url)
    return strcasecmp (canonical_host (k), canonical_host (ref->host)) == 0
               ? (int) strlen (k) : -1;
  *slash = '\0';
  if (strcasecmp (canonical_host (k), canonical_host (ref->host)) != 0)
    return -1;
  full = xasprintf ("%s/", ref->name);
  if (mk_str_has_prefix (full, slash + 1)
      && (full[strlen (slash + 1)] == '/'))
    return (int) strlen (key);
  return -1;
}

/* The auth files, in the order skopeo and podman read them. */
static char **
auth_files (void)
{
  char **v = NULL;
  const char *e = getenv ("REGISTRY_AUTH_FILE");
  const char *run = getenv ("XDG_RUNTIME_DIR");
  const char *conf = getenv ("XDG_CONFIG_HOME");
  const char *home = getenv ("HOME");

  if (e && *e)
    mk_strv_push (&v, xstrdup (e));
  else if (run && *run)
    mk_strv_push (&v, xasprintf ("%s/containers/auth.json", run));
  if (conf && *conf)
    mk_strv_push (&v, xasprintf ("%s/containers/auth.json", conf));
  else if (home && *home)
    mk_strv_push (&v, xasprintf ("%s/.config/containers/auth.json", home));
  if (home && *home)
    mk_strv_push (&v, xasprintf ("%s/.docker/config.json", home));
  return v;
}

/* The best entry of one file for ref: *auth (base64 user:password), or
 * nothing when the file is missing or has none. */
static int
auth_from_file (const char *path, const struct ref *ref, char **auth,
                int *score, mk_error_t *err)
{
  cleanup_close int fd = open (path, O_RDONLY | O_CLOEXEC);
  cleanup_free char *text = NULL;
  cleanup_json struct mk_json *doc = NULL;
  const struct mk_json *auths;
  size_t len;

  if (fd < 0)
    return errno == ENOENT || errno == ENOTDIR
               ? 0 : mk_make_error (err, errno, "auth file `%s`", path);
  if (mk_read_fd (fd, MAX_AUTH_FILE, &text, &len, err, path) < 0
      || mk_json_parse (text, path, &doc, err) < 0)
    return mk_error_wrap (err, "auth file");
  auths = mk_json_get (doc, "auths");
  for (size_t i = 0; auths && auths->type == MK_JSON_OBJECT && i < auths->n; i++)
    {
      const char *a = mk_json_get_str (auths->items[i], "auth");
      int s = key_match (auths->keys[i], ref);
      if (s <= *score || a == NULL || *a == '\0')
        continue;
      if (!valid_basic (a))
        return mk_make_error (err, 0, "auth file `%s`: the entry for `%s` "
                                      "is not base64 of user:password",
                              path, auths->keys[i]);
      free (*auth);
      *auth = xstrdup (a);
      *score = s;
    }
  return 0;
}

/* ---- talking to the registry ------------------------------------------- */

struct registry
{
  const struct ref *ref;
  char *base;        /* "http://127.0.0.1:5000" */
  bool insecure;
  int retries;
  char *auth;        /* the Authorization header in use, NULL: none */
  bool bearer;
  char *basic;       /* base64 user:password from an auth file */
  char *auth_file;   /* where it came from */
  bool looked;       /* the auth files were read */
};

static void
registry_free (struct registry *r)
{
  free (r->base);
  free (r->auth);
  free (r->basic);
  free (r->auth_file);
}

enum
{
  H_LOCATION,
  H_AUTHENTICATE,
  H_DIGEST,
  H_CONTENT_TYPE,
};
static const char *const want_headers[]
    = { "Location", "WWW-Authenticate", "Docker-Content-Digest",
        "Content-Type", NULL };

/* One request, as struct mk_http_request without what every registry
 * request shares. */
struct call
{
  const char *method;
  const char *url;
  const char *content_type;
  const void *data;
  size_t len;
  int fd;
  uint64_t offset, size;
  mk_http_progress_cb progress;
  void *progress_ctx;
};

static int authenticate (struct registry *r, const char *challenge,
                         mk_error_t *err);

static int
send_once (struct registry *r, const struct call *c,
           struct mk_http_response *resp, mk_error_t *err)
{
  cleanup_free char *ct = c->content_type
                              ? xasprintf ("Content-Type: %s", c->content_type)
                              : NULL;
  char *headers[4] = { 0 };
  size_t n = 0;
  size_t bl = strlen (r->base);

  /* Credentials go to the registry only, not to a host an upload's
   * Location points at (object storage behind the registry). */
  if (r->auth && strncmp (c->url, r->base, bl) == 0 && c->url[bl] == '/')
    headers[n++] = r->auth;
  if (ct)
    headers[n++] = ct;
  return mk_http_request (
      &(struct mk_http_request){
          .method = c->method, .url = c->url, .headers = headers,
          .data = c->data, .len = c->len, .fd = c->fd, .offset = c->offset,
          .size = c->size, .want_headers = want_headers,
          .max_body = MAX_RESPONSE,
          .follow_redirects = true, .insecure = r->insecure,
          .timeout = TIMEOUT, .progress = c->progress,
          .progress_ctx = c->progress_ctx },
      resp, err);
}

/* A request with the registry's credentials.  A 401 is answered from its
 * challenge (Basic, or a Bearer token) and the request sent once more;
 * a second 401 is the caller's to report. */
static int
send_call (struct registry *r, const struct call *c,
           struct mk_http_response *resp, mk_error_t *err)
{
  int rc = send_once (r, c, resp, err);
  cleanup_free char *challenge = NULL;

  if (rc < 0 || resp->status != 401)
    return rc;
  challenge = resp->headers[H_AUTHENTICATE]
                  ? xstrdup (resp->headers[H_AUTHENTICATE]) : NULL;
  mk_http_response_free (resp);
  if ((rc = authenticate (r, challenge, err)) < 0)
    return rc; /* a token server that failed may be worth another try */
  return send_once (r, c, resp, err);
}

static bool
transient_status (long s)
{
  return s >= 500 || s == 429 || s == 408;
}

/* The registry's own words from an error body: code and message of its
 * first error ({"errors":[{"code":..,"message":..}]}). */
static char *
registry_message (const struct mk_http_response *resp)
{
  cleanup_json struct mk_json *doc = NULL;
  mk_error_t e = NULL;
  const struct mk_json *errs, *first;

  if (resp->body_len == 0 || mk_json_parse (resp->body, "response", &doc, &e) < 0)
    {
      mk_error_release (&e);
      return NULL;
    }
  errs = mk_json_get (doc, "errors");
  if (errs == NULL || errs->type != MK_JSON_ARRAY || errs->n == 0)
    return NULL;
  first = errs->items[0];
  {
    const char *code = mk_json_get_str (first, "code");
    const char *msg = mk_json_get_str (first, "message");
    return xasprintf ("%.60s: %.200s", code ? code : "?", msg ? msg : "");
  }
}

static int no_credentials_error (struct registry *r, mk_error_t *err);

/* A response that is not what the protocol step expects, as one line;
 * MK_HTTP_TRANSIENT for the statuses worth another try. */
static int
status_error (struct registry *r, const struct call *c,
              const struct mk_http_response *resp, mk_error_t *err)
{
  cleanup_free char *said = registry_message (resp);
  cleanup_free char *where = xstrndup (c->url, strcspn (c->url, "?"));
  const char *path = strstr (where, "/v2/");

  if (resp->status == 401)
    {
      if (r->basic && !r->bearer)
        return mk_make_error (err, 0, "%s refused the credentials from `%s` "
                                      "(401 Unauthorized)",
                              r->ref->host, r->auth_file);
      if (r->basic == NULL)
        return no_credentials_error (r, err);
    }
  mk_make_error (err, 0, "%s %s: HTTP %ld%s%s", c->method,
                 path ? path : where, resp->status, said ? ": " : "",
                 said ? said : "");
  return transient_status (resp->status) ? MK_HTTP_TRANSIENT : -1;
}

static int
no_credentials_error (struct registry *r, mk_error_t *err)
{
  cleanup_strv char **files = auth_files ();
  cleanup_free char *list = NULL;
  for (size_t i = 0; files && files[i]; i++)
    {
      char *l = xasprintf ("%s%s%s", list ? list : "", list ? ", " : "",
                           files[i]);
      free (list);
      list = l;
    }
  return mk_make_error (err, 0, "%s wants credentials (401 Unauthorized) and "
                                "no auth file has any for it (looked in %s); "
                                "log in with `podman login %s` or set "
                                "REGISTRY_AUTH_FILE",
                        r->ref->host, list ? list : "no file: HOME is unset",
                        r->ref->host);
}

static int
load_credentials (struct registry *r, mk_error_t *err)
{
  cleanup_strv char **files = NULL;
  int score = -1;

  if (r->looked)
    return 0;
  r->looked = true;
  files = auth_files ();
  for (size_t i = 0; files && files[i] && r->basic == NULL; i++)
    {
      if (auth_from_file (files[i], r->ref, &r->basic, &score, err) < 0)
        return -1;
      if (r->basic)
        r->auth_file = xstrdup (files[i]);
    }
  return 0;
}

/* One parameter of a challenge: name="value" (quoted, with \ escapes) or
 * name=token.  Returns NULL when it is not there. */
static char *
challenge_param (const char *ch, const char *name)
{
  size_t nl = strlen (name);
  for (const char *p = ch; (p = strcasestr (p, name)) != NULL; p += nl)
    {
      const char *v = p + nl;
      char *out, *o;
      if ((p != ch && !strchr (" ,\t", p[-1])) || *v != '=')
        continue;
      v++;
      if (*v != '"')
        return xstrndup (v, strcspn (v, ", \t"));
      out = o = xmalloc (strlen (v));
      for (v++; *v && *v != '"'; v++)
        *o++ = *v == '\\' && v[1] ? *++v : *v;
      *o = '\0';
      return out;
    }
  return NULL;
}

/* A bearer token goes into a header line: nothing but token68 characters
 * may come through from the token server. */
static bool
valid_token (const char *t)
{
  size_t n = strlen (t);
  return n > 0 && n < 16384
         && strspn (t, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                       "0123456789-._~+/=") == n;
}

static char *
token_url (const struct registry *r, const char *realm, const char *ch)
{
  cleanup_free char *service = challenge_param (ch, "service");
  cleanup_free char *scope = challenge_param (ch, "scope");
  cleanup_free char *ours = xasprintf ("repository:%s:pull,push", r->ref->name);
  cleanup_free char *e_ours = mk_http_escape (ours);
  cleanup_free char *e_service = service ? mk_http_escape (service) : NULL;
  cleanup_free char *e_scope = scope && strcmp (scope, ours) != 0
                                   ? mk_http_escape (scope) : NULL;
  return xasprintf ("%s%sscope=%s%s%s%s%s", realm,
                    strchr (realm, '?') ? "&" : "?", e_ours,
                    e_service ? "&service=" : "", e_service ? e_service : "",
                    e_scope ? "&scope=" : "", e_scope ? e_scope : "");
}

static int
token_error (struct registry *r, const char *realm,
             const struct mk_http_response *resp, mk_error_t *err)
{
  cleanup_free char *where = xstrndup (realm, strcspn (realm, "?"));
  if (resp->status == 401 || resp->status == 403)
    {
      if (r->basic == NULL)
        return no_credentials_error (r, err);
      return mk_make_error (err, 0, "the token server %s refused the "
                                    "credentials for %s from `%s` (HTTP %ld)",
                            where, r->ref->host, r->auth_file, resp->status);
    }
  mk_make_error (err, 0, "token server %s: HTTP %ld", where, resp->status);
  return transient_status (resp->status) ? MK_HTTP_TRANSIENT : -1;
}

static int
parse_token (const char *realm, const struct mk_http_response *resp,
             char **token, mk_error_t *err)
{
  cleanup_json struct mk_json *doc = NULL;
  cleanup_free char *where = xstrndup (realm, strcspn (realm, "?"));
  const char *t;

  if (mk_json_parse (resp->body ? resp->body : "", "token response", &doc, err) < 0)
    return mk_error_wrap (err, "token server %s", where);
  t = mk_json_get_str (doc, "token");
  if (t == NULL || *t == '\0')
    t = mk_json_get_str (doc, "access_token");
  if (t == NULL || !valid_token (t))
    return mk_make_error (err, 0, "token server %s: no usable token in its "
                                  "answer", where);
  *token = xstrdup (t);
  return 0;
}

/* GET realm?scope=repository:NAME:pull,push&service=..., with the basic
 * credentials when there are some, for a token to send as Bearer. */
static int
fetch_token (struct registry *r, const char *ch, mk_error_t *err)
{
  cleanup_free char *realm = challenge_param (ch, "realm");
  cleanup_free char *url = NULL;
  cleanup_free char *basic = NULL;
  cleanup_free char *token = NULL;
  struct mk_http_response resp = { 0 };
  char *headers[2] = { 0 };
  int rc;

  if (realm == NULL || !(mk_str_has_prefix (realm, "https://")
                         || mk_str_has_prefix (realm, "http://")))
    return mk_make_error (err, 0, "%s: a Bearer challenge without an http(s) "
                                  "realm", r->ref->host);
  /* Credentials go in clear text only where the registry itself is. */
  if (r->basic && mk_str_has_prefix (realm, "http://")
      && mk_str_has_prefix (r->base, "https://"))
    return mk_make_error (err, 0, "the token server %s is plain http; not "
                                  "sending credentials there", realm);
  url = token_url (r, realm, ch);
  if (r->basic)
    headers[0] = basic = xasprintf ("Authorization: Basic %s", r->basic);
  rc = mk_http_request (&(struct mk_http_request){
                            .method = "GET", .url = url, .headers = headers,
                            .max_body = MAX_RESPONSE, .follow_redirects = true,
                            .insecure = r->insecure, .timeout = TIMEOUT },
                        &resp, err);
  if (rc < 0)
    return rc;
  if (resp.status != 200)
    rc = token_error (r, realm, &resp, err);
  else
    rc = parse_token (realm, &resp, &token, err);
  mk_http_response_free (&resp);
  if (rc < 0)
    return rc;
  free (r->auth);
  r->auth = xasprintf ("Authorization: Bearer %s", token);
  r->bearer = true;
  return 0;
}

static int
authenticate (struct registry *r, const char *ch, mk_error_t *err)
{
  if (load_credentials (r, err) < 0)
    return -1;
  if (ch && strncasecmp (ch, "Bearer", 6) == 0)
    return fetch_token (r, ch, err);
  if (ch == NULL || strncasecmp (ch, "Basic", 5) != 0)
    return mk_make_error (err, 0, "%s: unsupported authentication (%.40s)",
                          r->ref->host, ch ? ch : "401 without a challenge");
  if (r->basic == NULL)
    return no_credentials_error (r, err);
  if (r->auth)
    return mk_make_error (err, 0, "%s refused the credentials from `%s` "
                                  "(401 Unauthorized)",
                          r->ref->host, r->auth_file);
  r->auth = xasprintf ("Authorization: Basic %s", r->basic);
  return 0;
}

/* ---- retries -------------------------------------------------------------- */

typedef int (*step_fn) (struct registry *r, void *ctx, mk_error_t *err);

static int
pause_ms (int ms, mk_error_t *err)
{
  for (; ms > 0; ms -= 50)
    {
      struct timespec ts = { 0, (ms < 50 ? ms : 50) * 1000000L };
      if (mk_check_interrupt (err) < 0)
        return -1;
      nanosleep (&ts, NULL);
    }
  return mk_check_interrupt (err);
}

/* Run one protocol step; a transient failure (MK_HTTP_TRANSIENT) runs it
 * again after 0.5 s, 1 s, 2 s... up to r->retries times.  A step is a
 * whole exchange (an upload's POST and PUT), since a failed PUT leaves its
 * upload session dead. */
static int
with_retries (struct registry *r, step_fn fn, void *ctx, mk_error_t *err)
{
  for (int attempt = 0;; attempt++)
    {
      int rc = fn (r, ctx, err), ms = 500 << (attempt < 4 ? attempt : 4);
      if (rc != MK_HTTP_TRANSIENT)
        return rc < 0 ? -1 : rc;
      if (attempt >= r->retries)
        return -1;
      mk_warn ("%s; retrying in %.1f s", (*err)->msg, ms / 1000.0);
      mk_error_release (err);
      if (pause_ms (ms, err) < 0)
        return -1;
    }
}

static int
step_ping (struct registry *r, void *ctx, mk_error_t *err)
{
  cleanup_free char *url = xasprintf ("%s/v2/", r->base);
  struct call c = { .method = "GET", .url = url };
  struct mk_http_response resp = { 0 };
  int rc = send_call (r, &c, &resp, err);

  if (rc < 0)
    return rc;
  if (resp.status == 404)
    rc = mk_make_error (err, 0, "%s is no registry (GET /v2/: HTTP 404)",
                        r->ref->host);
  else if (resp.status != 200)
    rc = status_error (r, &c, &resp, err);
  mk_http_response_free (&resp);
  return rc;
}

/* https, or http for a registry on this machine; with --tls-verify=false
 * https without checks first, then http when it does not speak TLS at all
 * (what skopeo and podman do for an insecure registry). */
static int
registry_connect (struct registry *r, mk_error_t *err)
{
  mk_error_t tls = NULL;
  const char *host = strcmp (canonical_host (r->ref->host), "docker.io") == 0
                         ? "registry-1.docker.io" : r->ref->host;
  int rc;

  if (is_loopback (r->ref->host) && !r->insecure)
    {
      r->base = xasprintf ("http://%s", host);
      return with_retries (r, step_ping, NULL, err);
    }
  r->base = xasprintf ("https://%s", host);
  if (!r->insecure)
    return with_retries (r, step_ping, NULL, err);
  rc = step_ping (r, NULL, &tls);
  if (rc != MK_HTTP_TRANSIENT)
    {
      if (rc < 0)
        *err = steal_pointer (&tls);
      return rc < 0 ? -1 : 0;
    }
  mk_debug ("%s; trying http", tls->msg);
  mk_error_release (&tls);
  free (r->base);
  r->base = xasprintf ("http://%s", host);
  return with_retries (r, step_ping, NULL, err);
}

/* ---- blobs ----------------------------------------------------------------- */

struct push
{
  struct registry reg;
  struct src src;
  char **seen;      /* blob digests already checked or sent this run */
  size_t sent, existed;
  uint64_t bytes;
  bool tty;
  double last_draw;
};

struct blob
{
  struct push *p;
  const char *digest;
  struct blob_loc loc;
  bool exists;
};

static const char *
mib (uint64_t n, char buf[32])
{
  if (n >= (1u << 20))
    snprintf (buf, 32, "%.1f MiB", (double) n / (1u << 20));
  else if (n >= 1024)
    snprintf (buf, 32, "%.1f KiB", (double) n / 1024);
  else
    snprintf (buf, 32, "%" PRIu64 " B", n);
  return buf;
}

/* "pushing sha256:0123456789ab… 12.3 MiB/40.0 MiB", redrawn in place. */
static void
draw (struct push *p, const char *verb, const char *digest, uint64_t done,
      uint64_t total, bool final)
{
  char a[32], b[32];
  double t = mk_now ();
  if (!p->tty || (!final && t - p->last_draw < 0.1))
    return;
  p->last_draw = t;
  fprintf (stderr, "\r\033[K%s %.19s… ", verb, digest);
  if (total && done == total && final)
    fputs (mib (total, b), stderr);
  else if (total)
    fprintf (stderr, "%s/%s", mib (done, a), mib (total, b));
  if (final)
    fputc ('\n', stderr);
}

static void
on_progress (void *ctx, uint64_t sent, uint64_t total)
{
  struct blob *b = ctx;
  draw (b->p, "pushing", b->digest, sent, total, false);
}

static int
step_head (struct registry *r, void *ctx, mk_error_t *err)
{
  struct blob *b = ctx;
  cleanup_free char *url = xasprintf ("%s/v2/%s/blobs/%s", r->base,
                                      r->ref->name, b->digest);
  struct call c = { .method = "HEAD", .url = url };
  struct mk_http_response resp = { 0 };
  int rc = send_call (r, &c, &resp, err);

  if (rc < 0)
    return rc;
  if (resp.status == 200)
    b->exists = true;
  else if (resp.status != 404)
    rc = status_error (r, &c, &resp, err);
  mk_http_response_free (&resp);
  return rc;
}

/* The upload URL with ?digest= (or &digest=) appended. */
static char *
upload_url (struct registry *r, const char *location, const char *digest)
{
  cleanup_free char *base = xasprintf ("%s/v2/%s/blobs/uploads/", r->base,
                                       r->ref->name);
  cleanup_free char *abs = mk_http_url_join (base, location);
  cleanup_free char *d = mk_http_escape (digest);
  if (abs == NULL)
    return NULL;
  return xasprintf ("%s%sdigest=%s", abs, strchr (abs, '?') ? "&" : "?", d);
}

static int
check_stored_digest (struct registry *r, const struct mk_http_response *resp,
                     const char *what, const char *digest, mk_error_t *err)
{
  const char *got = resp->headers[H_DIGEST];
  if (got && strcmp (got, digest) != 0)
    return mk_make_error (err, 0, "the registry stored %s %s as %.80s",
                          what, digest, got);
  return 0;
}

static int
put_blob (struct registry *r, struct blob *b, const char *location,
          mk_error_t *err)
{
  cleanup_free char *url = upload_url (r, location, b->digest);
  struct call c = { .method = "PUT", .url = url,
                    .content_type = "application/octet-stream",
                    .fd = b->loc.fd, .offset = b->loc.offset,
                    .size = b->loc.size, .progress = on_progress,
                    .progress_ctx = b };
  struct mk_http_response resp = { 0 };
  int rc;

  if (url == NULL)
    return mk_make_error (err, 0, "POST /v2/%s/blobs/uploads/: the Location "
                                  "%.80s is no URL", r->ref->name, location);
  rc = send_call (r, &c, &resp, err);
  if (rc < 0)
    return rc;
  if (resp.status != 201 && resp.status != 204)
    rc = status_error (r, &c, &resp, err);
  else
    rc = check_stored_digest (r, &resp, "blob", b->digest, err);
  mk_http_response_free (&resp);
  return rc;
}

/* POST for an upload session, then PUT the whole blob into it: the
 * monolithic upload every registry takes. */
static int
step_upload (struct registry *r, void *ctx, mk_error_t *err)
{
  struct blob *b = ctx;
  cleanup_free char *url = xasprintf ("%s/v2/%s/blobs/uploads/", r->base,
                                      r->ref->name);
  cleanup_free char *location = NULL;
  struct call c = { .method = "POST", .url = url };
  struct mk_http_response resp = { 0 };
  int rc = send_call (r, &c, &resp, err);

  if (rc < 0)
    return rc;
  if (resp.status != 202)
    rc = status_error (r, &c, &resp, err);
  else if (resp.headers[H_LOCATION] == NULL)
    rc = mk_make_error (err, 0, "POST /v2/%s/blobs/uploads/: HTTP 202 "
                                "without a Location", r->ref->name);
  else
    location = xstrdup (resp.headers[H_LOCATION]);
  mk_http_response_free (&resp);
  if (rc < 0)
    return rc;
  return put_blob (r, b, location, err);
}

/* The blob is what its digest says (the registry would refuse it anyway,
 * but with a message about its own check, after the whole upload). */
static int
verify_blob (struct push *p, struct blob *b, uint64_t size, mk_error_t *err)
{
  cleanup_free char *hex = NULL;
  cleanup_free char *algo = xstrndup (b->digest, strcspn (b->digest, ":"));
  cleanup_free char *what = xasprintf ("blob %s of `%s`", b->digest, p->src.path);

  if (size != b->loc.size)
    return mk_make_error (err, 0, "%s is %" PRIu64 " bytes; its manifest says "
                                  "%" PRIu64, what, b->loc.size, size);
  if (hash_loc (&b->loc, algo, what, &hex, err) < 0)
    return -1;
  if (strcmp (hex, strchr (b->digest, ':') + 1) != 0)
    return mk_make_error (err, 0, "%s is corrupt: its content hashes to "
                                  "%s:%s", what, algo, hex);
  return 0;
}

static bool
seen (struct push *p, const char *digest)
{
  if (mk_strv_contains (p->seen, digest))
    return true;
  mk_strv_push (&p->seen, xstrdup (digest));
  return false;
}

static int
push_blob (struct push *p, const struct mk_json *desc, mk_error_t *err)
{
  const char *digest = mk_json_get_str (desc, "digest");
  struct blob b = { .p = p, .digest = digest, .loc = { .owned = -1 } };
  cleanup_free char *name = NULL;
  int rc;

  if (digest == NULL || !valid_digest (digest))
    return mk_make_error (err, 0, "`%s`: a descriptor with no valid digest",
                          p->src.path);
  if (seen (p, digest))
    return 0;
  if (with_retries (&p->reg, step_head, &b, err) < 0)
    return -1;
  if (b.exists)
    {
      p->existed++;
      draw (p, "exists ", digest, 0, 0, true);
      return 0;
    }
  name = blob_name (digest);
  if (src_locate (&p->src, name, &b.loc, err) < 0)
    return mk_error_wrap (err, "blob %s", digest);
  rc = verify_blob (p, &b, mk_json_get_u64 (desc, "size"), err);
  if (rc == 0 && with_retries (&p->reg, step_upload, &b, err) < 0)
    rc = mk_error_wrap (err, "upload blob %.19s…", digest);
  if (rc == 0)
    {
      p->sent++;
      p->bytes += b.loc.size;
      draw (p, "pushed ", digest, b.loc.size, b.loc.size, true);
    }
  else if (p->tty)
    fputc ('\n', stderr);
  blob_loc_close (&b.loc);
  return rc;
}

/* ---- manifests ------------------------------------------------------------ */

struct manifest
{
  const char *digest;
  const char *media_type;
  const char *body;
  size_t len;
  const char *target; /* the tag or digest to PUT it under */
};

static int
step_put_manifest (struct registry *r, void *ctx, mk_error_t *err)
{
  const struct manifest *m = ctx;
  cleanup_free char *url = xasprintf ("%s/v2/%s/manifests/%s", r->base,
                                      r->ref->name, m->target);
  struct call c = { .method = "PUT", .url = url,
                    .content_type = m->media_type, .data = m->body,
                    .len = m->len };
  struct mk_http_response resp = { 0 };
  int rc = send_call (r, &c, &resp, err);

  if (rc < 0)
    return rc;
  if (resp.status != 201 && resp.status != 200 && resp.status != 204)
    rc = status_error (r, &c, &resp, err);
  else
    rc = check_stored_digest (r, &resp, "manifest", m->digest, err);
  mk_http_response_free (&resp);
  return rc;
}

static bool
valid_media_type (const char *t)
{
  size_t n = t ? strlen (t) : 0;
  return n > 0 && n < 256
         && strspn (t, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                       "0123456789.+-_/") == n;
}

static bool
is_index_type (const char *t)
{
  return strcmp (t, MT_OCI_INDEX) == 0 || strcmp (t, MT_DOCKER_LIST) == 0;
}

static bool
is_manifest_type (const char *t)
{
  return strcmp (t, MT_OCI_MANIFEST) == 0
         || strcmp (t, MT_DOCKER_MANIFEST) == 0;
}

/* The document's media type: the descriptor's, else its own field, else
 * what its shape says (an index has "manifests"). */
static const char *
media_type_of (const struct mk_json *desc, const struct mk_json *doc)
{
  const char *t = desc ? mk_json_get_str (desc, "mediaType") : NULL;
  if (t == NULL || *t == '\0')
    t = mk_json_get_str (doc, "mediaType");
  if (t == NULL || *t == '\0')
    t = mk_json_get (doc, "manifests") ? MT_OCI_INDEX : MT_OCI_MANIFEST;
  return t;
}

static int push_document (struct push *p, const struct mk_json *desc,
                          const char *target, int depth, char **digest_out,
                          mk_error_t *err);

/* What an image manifest refers to: its layers, bottom first, then its
 * config. */
static int
push_manifest_blobs (struct push *p, const struct mk_json *doc,
                     mk_error_t *err)
{
  const struct mk_json *layers = mk_json_get (doc, "layers");
  const struct mk_json *config = mk_json_get (doc, "config");

  if (config == NULL || config->type != MK_JSON_OBJECT || layers == NULL
      || layers->type != MK_JSON_ARRAY)
    return mk_make_error (err, 0, "`%s`: a manifest without config or "
                                  "layers", p->src.path);
  for (size_t i = 0; i < layers->n; i++)
    if (push_blob (p, layers->items[i], err) < 0)
      return -1;
  return push_blob (p, config, err);
}

/* Everything a parsed document refers to, by digest: an index's
 * manifests (and theirs), a manifest's blobs. */
static int
push_children (struct push *p, const struct mk_json *doc, const char *type,
               int depth, mk_error_t *err)
{
  const struct mk_json *list = mk_json_get (doc, "manifests");

  if (is_manifest_type (type))
    return push_manifest_blobs (p, doc, err);
  if (!is_index_type (type))
    return mk_make_error (err, 0, "`%s`: cannot push a %.80s", p->src.path,
                          type);
  if (list == NULL || list->type != MK_JSON_ARRAY || list->n == 0)
    return mk_make_error (err, 0, "`%s`: an index without manifests",
                          p->src.path);
  for (size_t i = 0; i < list->n; i++)
    if (push_document (p, list->items[i], NULL, depth + 1, NULL, err) < 0)
      return -1;
  return 0;
}

/* A reference by digest must name the image's own: checked before
 * anything is sent. */
static int
check_target (const struct push *p, const char *target, const char *digest,
              mk_error_t *err)
{
  const char *want = p->reg.ref->digest;
  if (target && want && strcmp (target, want) == 0 && strcmp (digest, want) != 0)
    return mk_make_error (err, 0, "the image's manifest is %s, not the "
                                  "digest the reference names", digest);
  return 0;
}

static int
put_manifest (struct push *p, struct manifest *m, mk_error_t *err)
{
  if (m->target == NULL)
    m->target = m->digest;
  return with_retries (&p->reg, step_put_manifest, m, err);
}

/* The sha256 of a document's bytes, as a digest string. */
static char *
digest_of (const char *body, size_t len)
{
  struct mk_digest *d = mk_digest_new ("sha256");
  cleanup_free char *hex = NULL;
  mk_digest_add (d, body, len);
  hex = mk_digest_finish (d);
  return xasprintf ("sha256:%s", hex);
}

/* Read the manifest or index a descriptor names, check it is what the
 * descriptor says, push what it refers to, then the document itself:
 * under target (the tag) or, for a child, under its digest. */
static int
push_document (struct push *p, const struct mk_json *desc, const char *target,
               int depth, char **digest_out, mk_error_t *err)
{
  const char *digest = mk_json_get_str (desc, "digest");
  cleanup_free char *name = NULL;
  cleanup_free char *body = NULL;
  cleanup_free char *got = NULL;
  cleanup_json struct mk_json *doc = NULL;
  struct blob_loc loc = { .owned = -1 };
  struct manifest m = { 0 };
  int rc;

  if (depth > MAX_DEPTH)
    return mk_make_error (err, 0, "`%s`: indexes nested too deep", p->src.path);
  if (digest == NULL || !valid_digest (digest))
    return mk_make_error (err, 0, "`%s`: a descriptor with no valid digest",
                          p->src.path);
  name = blob_name (digest);
  rc = src_locate (&p->src, name, &loc, err);
  if (rc == 0)
    rc = read_loc (&loc, MAX_MANIFEST, name, &body, err);
  blob_loc_close (&loc);
  if (rc < 0)
    return mk_error_wrap (err, "manifest %s", digest);
  got = mk_str_has_prefix (digest, "sha256:") ? digest_of (body, loc.size) : NULL;
  if (got && strcmp (got, digest) != 0)
    return mk_make_error (err, 0, "manifest %s of `%s` is corrupt: its "
                                  "content hashes to %s", digest, p->src.path, got);
  if (mk_json_parse (body, name, &doc, err) < 0)
    return mk_error_wrap (err, "`%s`", p->src.path);
  m = (struct manifest){ .digest = digest, .media_type = media_type_of (desc, doc),
                         .body = body, .len = (size_t) loc.size,
                         .target = target };
  if (!valid_media_type (m.media_type))
    return mk_make_error (err, 0, "`%s`: manifest %s has an invalid media "
                                  "type", p->src.path, digest);
  if (check_target (p, target, digest, err) < 0
      || push_children (p, doc, m.media_type, depth, err) < 0
      || put_manifest (p, &m, err) < 0)
    return -1;
  if (digest_out)
    *digest_out = xstrdup (digest);
  return 0;
}

/* index.json: one descriptor is the image (a manifest, or an index that
 * lists the per-platform ones); several are the platforms themselves, and
 * index.json's own bytes are the index pushed under the tag. */
static int
push_image (struct push *p, char **digest_out, mk_error_t *err)
{
  const char *target = p->reg.ref->tag ? p->reg.ref->tag : p->reg.ref->digest;
  cleanup_free char *text = NULL;
  cleanup_json struct mk_json *index = NULL;
  struct blob_loc loc = { .owned = -1 };
  const struct mk_json *list;
  struct manifest m = { 0 };
  int rc = src_locate (&p->src, "index.json", &loc, err);

  if (rc == 0)
    rc = read_loc (&loc, MAX_MANIFEST, "index.json", &text, err);
  blob_loc_close (&loc);
  if (rc < 0 || mk_json_parse (text, "index.json", &index, err) < 0)
    return mk_error_wrap (err, "`%s`", p->src.path);
  list = mk_json_get (index, "manifests");
  if (list == NULL || list->type != MK_JSON_ARRAY || list->n == 0)
    return mk_make_error (err, 0, "`%s`: index.json lists no image",
                          p->src.path);
  if (list->n == 1)
    return push_document (p, list->items[0], target, 0, digest_out, err);
  *digest_out = digest_of (text, (size_t) loc.size);
  if (check_target (p, target, *digest_out, err) < 0
      || push_children (p, index, MT_OCI_INDEX, 0, err) < 0)
    {
      free (steal_pointer (digest_out));
      return -1;
    }
  m = (struct manifest){ .digest = *digest_out, .media_type = MT_OCI_INDEX,
                         .body = text, .len = (size_t) loc.size,
                         .target = target };
  if (put_manifest (p, &m, err) < 0)
    {
      free (steal_pointer (digest_out));
      return -1;
    }
  return 0;
}

/* ---- the command ------------------------------------------------------------ */

static void
push_free (struct push *p)
{
  registry_free (&p->reg);
  src_close (&p->src);
  mk_strv_free (p->seen);
}

static int
run_push (struct push *p, mk_error_t *err)
{
  cleanup_free char *digest = NULL;
  const struct ref *ref = p->reg.ref;

  if (registry_connect (&p->reg, err) < 0 || push_image (p, &digest, err) < 0)
    return -1;
  printf ("%s\n", digest);
  fflush (stdout);
  mk_info ("pushed %s/%s%s%s %s (%zu blob%s sent, %zu already there, "
           "%" PRIu64 " bytes)", ref->host, ref->name, ref->tag ? ":" : "@",
           ref->tag ? ref->tag : ref->digest, digest, p->sent,
           p->sent == 1 ? "" : "s", p->existed, p->bytes);
  return 0;
}

int
mk_push (const char *src, const char *ref_text, const struct mk_push_opts *o,
         mk_error_t *err)
{
  struct ref ref = { 0 };
  struct push p = { .src = { .fd = -1 } };
  int rc;

  if (parse_ref (ref_text, &ref, err) < 0)
    return mk_error_wrap (err, "push %s", ref_text);
  p.reg = (struct registry){ .ref = &ref, .insecure = o->insecure,
                             .retries = o->retries < 0 ? 0 : o->retries };
  p.tty = isatty (STDERR_FILENO) && mk_verbosity >= 1;
  rc = src_open (src, &p.src, err);
  if (rc == 0)
    rc = run_push (&p, err);
  push_free (&p);
  ref_free (&ref);
  return rc < 0 ? mk_error_wrap (err, "push %s", ref_text) : 0;
}
