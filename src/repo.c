/* repo.c: the recipe's repositories, made local.  A local directory (or
 * file:// URL) is used in place; its parsed metadata is still cached (see
 * solv_path below).  A remote repository (http/https baseurl,
 * several base URLs, or a mirrorlist) is mirrored into the cache under
 * repos/<id>-<hash of its first URL>/ with the same layout as the server,
 * so solve.c reads it like a local one:
 *
 *   repodata/repomd.xml   fetched again once older than metadata_expire
 *                         (and its .asc checked when repo_gpgcheck is on)
 *   repodata/<...>        primary and filelists, kept only when they match
 *                         the checksum repomd.xml states
 *   <location>            packages, kept only when they match primary.xml
 *
 * Nothing unverified is ever used: a cached file is checked again before
 * it is used, and one that does not match is removed and fetched again
 * (or, --offline, reported).  This file also builds each repository's
 * gpgcheck keyring from its gpgkey files or URLs.
 *
 * solve.c keeps each repository's parsed metadata (a libsolv .solv file)
 * at <cache>/solv/<id>-<hash>.solv, <hash> being the one of the
 * repos/ entry (remote) or of the directory's real path (local).  It is
 * outside repos/ on purpose: a remote repository names the paths of its
 * files under repos/<id>-<hash>/, so a file there could be the server's. */
#define _GNU_SOURCE
#include "repo.h"

#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "digest.h"
#include "fetch.h"
#include "solve.h"
#include "util.h"

#define MAX_REPOMD_BYTES (16u << 20)
#define MAX_KEY_BYTES (1u << 20)
#define MAX_MIRRORLIST_BYTES (1u << 20)
#define MAX_PARALLEL 4

static bool
is_remote (const char *url)
{
  return mk_str_has_prefix (url, "http://")
         || mk_str_has_prefix (url, "https://");
}

int
mk_repo_local_dir (const struct mk_recipe *r, const struct mk_repo_conf *repo,
                   char **out, mk_error_t *err)
{
  cleanup_free char *url = mk_recipe_expand (r, repo->baseurl);
  const char *p = url;

  if (mk_str_has_prefix (url, "file://"))
    {
      p = url + 7;
      if (*p != '/')
        return mk_make_error_code (err, MK_EXIT_RECIPE, 0,
                                   "%s:%d: [repo %s]: `%s`: a file:// URL "
                                   "needs an absolute path", r->path,
                                   repo->line, repo->id, url);
    }
  else if (strstr (url, "://"))
    return mk_make_error_code (err, MK_EXIT_RECIPE, 0,
                               "%s:%d: [repo %s]: unsupported URL scheme in "
                               "`%s` (http, https, file or a directory)",
                               r->path, repo->line, repo->id, url);
  *out = p[0] == '/' ? xstrdup (p) : xasprintf ("%s/%s", r->dir, p);
  return 0;
}

/* The cache must be ours: a cache another user can write to could hand us
 * packages it altered (they are verified again, but metadata expiry and
 * the keyring are not). */
static int
check_cache_owner (const char *dir, mk_error_t *err)
{
  struct stat st;
  if (stat (dir, &st) < 0)
    return mk_make_error (err, errno, "cache `%s`", dir);
  if (st.st_uid != geteuid ())
    return mk_make_error (err, 0, "cache `%s` belongs to uid %u, not to us "
                                  "(uid %u); use --cache DIR", dir,
                          (unsigned) st.st_uid, (unsigned) geteuid ());
  if (st.st_mode & 022)
    return mk_make_error (err, 0, "cache `%s` is writable by others; "
                                  "chmod go-w it or use --cache DIR", dir);
  return 0;
}

static bool
file_fresh (const char *path, long max_age)
{
  struct stat st;
  if (stat (path, &st) < 0)
    return false;
  return max_age < 0 || time (NULL) - st.st_mtime < max_age;
}

static int
verify_cached (const char *path, const char *type, const char *want,
               bool *ok, mk_error_t *err)
{
  cleanup_free char *got = NULL;
  *ok = false;
  if (access (path, F_OK) < 0)
    return 0;
  if (mk_digest_path (path, type, &got, err) < 0)
    return -1;
  *ok = strcmp (got, want) == 0;
  if (!*ok)
    {
      mk_warn ("cache: `%s` does not match its checksum; fetching it again",
               path);
      unlink (path);
    }
  return 0;
}

static struct mk_fetch_opts
fetch_opts (const struct mk_repo *rp, int parallel)
{
  return (struct mk_fetch_opts){ .parallel = parallel,
                                 .retries = rp->conf->retries,
                                 .timeout = rp->conf->timeout,
                                 .quiet = parallel == 1 };
}

/* Fetch one file of unknown content (repomd.xml, its signature, a key, a
 * mirror list) into dest. */
static int
fetch_plain (char *const *bases, const char *rel, const char *dest,
             uint64_t cap, const struct mk_repo *rp, const char *what,
             mk_error_t *err)
{
  struct mk_fetch_item it = { .bases = bases, .rel = rel, .dest = dest,
                              .max_size = cap, .what = what };
  struct mk_fetch_opts o = fetch_opts (rp, 1);
  unlink (dest);
  return mk_fetch_all (&it, 1, &o, err);
}

/* ---- base URLs ----------------------------------------------------------- */

static int
read_mirrorlist (const struct mk_recipe *r, struct mk_repo *rp,
                 const char *cachedir, const struct mk_repo_opts *o,
                 mk_error_t *err)
{
  cleanup_free char *src = mk_recipe_expand (r, rp->conf->mirrorlist);
  cleanup_free char *file = NULL;
  cleanup_free char *buf = NULL;
  char *save = NULL;

  if (is_remote (src))
    {
      char *slash = strrchr (src, '/');
      char *bases[] = { xstrndup (src, (size_t) (slash - src)), NULL };
      int rr = 0;
      file = xasprintf ("%s/mirrorlist", cachedir);
      if (!o->offline && !file_fresh (file, rp->conf->metadata_expire))
        rr = fetch_plain (bases, slash + 1, file, MAX_MIRRORLIST_BYTES, rp,
                          "mirrorlist", err);
      free (bases[0]);
      if (rr < 0)
        return -1;
    }
  else
    file = src[0] == '/' ? xstrdup (src) : xasprintf ("%s/%s", r->dir, src);
  if (mk_read_file_at (AT_FDCWD, file, MAX_MIRRORLIST_BYTES, &buf, NULL, err)
      < 0)
    return mk_error_wrap (err, "repo `%s`: mirrorlist", rp->conf->id);
  for (char *l = strtok_r (buf, "\n", &save); l; l = strtok_r (NULL, "\n", &save))
    {
      l += strspn (l, " \t");
      l[strcspn (l, " \t\r")] = '\0';
      if (*l == '\0' || *l == '#')
        continue;
      if (!is_remote (l))
        return mk_make_error (err, 0, "repo `%s`: mirrorlist: `%s` is not an "
                                      "http(s) URL", rp->conf->id, l);
      mk_strv_push (&rp->urls, mk_recipe_expand (r, l));
    }
  return 0;
}

/* Fill rp->urls (remote) or rp->dir (local). */
static int
repo_locate (const struct mk_recipe *r, struct mk_repo *rp, mk_error_t *err)
{
  cleanup_strv char **words = NULL;
  const struct mk_repo_conf *c = rp->conf;
  if (c->baseurl == NULL)
    return 0; /* mirrorlist only */
  {
    cleanup_free char *exp = mk_recipe_expand (r, c->baseurl);
    char *save = NULL;
    for (char *w = strtok_r (exp, " \t", &save); w;
         w = strtok_r (NULL, " \t", &save))
      mk_strv_push (&words, xstrdup (w));
  }
  if (words && is_remote (words[0]))
    {
      for (size_t i = 0; words[i]; i++)
        {
          if (!is_remote (words[i]))
            return mk_make_error_code (err, MK_EXIT_RECIPE, 0,
                                       "%s:%d: [repo %s]: `%s`: mirrors must "
                                       "all be http(s) URLs", r->path,
                                       c->line, c->id, words[i]);
          mk_strv_push (&rp->urls, xstrdup (words[i]));
        }
      return 0;
    }
  if (mk_strv_len (words) > 1)
    return mk_make_error_code (err, MK_EXIT_RECIPE, 0,
                               "%s:%d: [repo %s]: one local baseurl only",
                               r->path, c->line, c->id);
  return mk_repo_local_dir (r, c, &rp->dir, err);
}

/* ---- the parsed-metadata cache ------------------------------------------- */

/* <cache>/solv must be a directory of ours that nobody else can write:
 * solve.c trusts what it finds there as far as its checksum goes. */
static bool
solv_dir_usable (const char *dir)
{
  struct stat st;
  return lstat (dir, &st) == 0 && S_ISDIR (st.st_mode)
         && st.st_uid == geteuid () && !(st.st_mode & 022);
}

/* Fill rp->solv_path when the cache can hold it; never an error: without a
 * cache the metadata is parsed every time, as before. */
static void
set_solv_path (const struct mk_repos *rs, struct mk_repo *rp,
               const char *hash)
{
  cleanup_free char *dir = NULL;
  mk_error_t e = NULL;

  if (rs->cache == NULL)
    return;
  dir = xasprintf ("%s/solv", rs->cache);
  if (mk_mkdir_p (dir, 0700, &e) < 0 || !solv_dir_usable (dir))
    {
      mk_debug ("repo %s: no metadata cache in `%s`", rp->conf->id, dir);
      mk_error_release (&e);
      return;
    }
  rp->solv_path = xasprintf ("%s/%s-%.16s.solv", dir, rp->conf->id, hash);
}

static int open_cache (struct mk_repos *rs, const struct mk_repo_opts *o,
                       mk_error_t *err);

/* A local repository needs no cache, so one that cannot be opened (no
 * HOME, another user's) only means no metadata cache. */
static void
local_solv_path (struct mk_repos *rs, struct mk_repo *rp,
                 const struct mk_repo_opts *o)
{
  cleanup_free char *real = realpath (rp->dir, NULL);
  cleanup_free char *key = NULL, *hash = NULL;
  mk_error_t e = NULL;
  struct mk_digest *d;

  if (real == NULL)
    return;
  if (rs->cache == NULL && open_cache (rs, o, &e) < 0)
    {
      mk_debug ("repo %s: no metadata cache: %s", rp->conf->id,
                e ? e->msg : "?");
      mk_error_release (&e);
      free (rs->cache);
      rs->cache = NULL; /* a remote repository after this one says why */
      return;
    }
  key = xasprintf ("file:%s", real);
  d = mk_digest_new ("sha256");
  mk_digest_add (d, key, strlen (key));
  hash = mk_digest_finish (d);
  set_solv_path (rs, rp, hash);
}

/* "\nmkbase-solv v1 key=<64 hex> sum=<16 hex>\n" after the data. */
#define SOLV_MAGIC "mkbase-solv v1"
#define SOLV_KEY_PART (1 + sizeof SOLV_MAGIC - 1 + 5 + 64) /* to the key */
#define SOLV_TRAILER_LEN (SOLV_KEY_PART + 5 + 16 + 1)
#define MAX_SOLV_BYTES (1u << 30)

/* The sum catches a damaged or truncated file, not an attacker (nobody
 * else can write the directory): a 64-bit multiply-xorshift over 8-byte
 * words, some ten times faster than sha256, which took a sixth of a
 * warm resolve of 2,000 packages. */
static uint64_t
solv_sum (const char *data, size_t len)
{
  uint64_t h = 0x9e3779b97f4a7c15ULL ^ len;
  size_t i = 0;
  for (; i + 8 <= len; i += 8)
    {
      uint64_t w;
      memcpy (&w, data + i, 8);
      h = (h ^ w) * 0xff51afd7ed558ccdULL;
      h ^= h >> 32;
    }
  for (; i < len; i++)
    h = (h ^ (unsigned char) data[i]) * 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 29;
  return h;
}

static char *
solv_trailer (const char *key, const char *data, size_t len)
{
  return xasprintf ("\n%s key=%.64s sum=%016" PRIx64 "\n", SOLV_MAGIC, key,
                    solv_sum (data, len));
}

/* Open the cache file only if it is a regular file of ours that nobody
 * else can write (the directory is checked the same way). */
static int
solv_open (const char *path)
{
  struct stat st;
  int fd = TEMP_FAILURE_RETRY (open (path, O_RDONLY | O_NOFOLLOW
                                               | O_CLOEXEC));
  if (fd < 0)
    return -1;
  if (fstat (fd, &st) < 0 || !S_ISREG (st.st_mode)
      || st.st_uid != geteuid () || (st.st_mode & 022))
    {
      close (fd);
      errno = EPERM;
      return -1;
    }
  return fd;
}

int
mk_repo_solv_read (const struct mk_repo *rp, const char *key, char **data,
                   size_t *len)
{
  cleanup_close int fd = -1;
  cleanup_free char *buf = NULL, *want = NULL;
  mk_error_t e = NULL;
  size_t n = 0;
  const char *why = NULL;

  if (rp->solv_path == NULL || strlen (key) != 64)
    return 0;
  fd = solv_open (rp->solv_path);
  if (fd < 0)
    {
      if (errno != ENOENT)
        mk_debug ("repo %s: metadata cache `%s` ignored: %s", rp->conf->id,
                  rp->solv_path, errno == EPERM ? "not ours, or writable by "
                                                  "others" : strerror (errno));
      return 0;
    }
  if (mk_read_fd (fd, MAX_SOLV_BYTES, &buf, &n, &e, rp->solv_path) < 0)
    {
      mk_debug ("repo %s: metadata cache: %s", rp->conf->id, e->msg);
      mk_error_release (&e);
      return 0;
    }
  if (n <= SOLV_TRAILER_LEN)
    why = "truncated";
  else if ((want = solv_trailer (key, buf, n - SOLV_TRAILER_LEN),
            memcmp (buf + n - SOLV_TRAILER_LEN, want, SOLV_TRAILER_LEN) != 0))
    why = memcmp (buf + n - SOLV_TRAILER_LEN, want, SOLV_KEY_PART) == 0
              ? "damaged (sum mismatch)"
              : "written for other metadata";
  if (why)
    {
      mk_debug ("repo %s: metadata cache `%s` ignored: %s", rp->conf->id,
                rp->solv_path, why);
      return 0;
    }
  *len = n - SOLV_TRAILER_LEN;
  *data = steal_pointer (&buf);
  return 1;
}

void
mk_repo_solv_write (const struct mk_repo *rp, const char *key,
                    const char *data, size_t len)
{
  cleanup_free char *trailer = NULL, *tmp = NULL;
  mk_error_t e = NULL;
  int fd;

  if (rp->solv_path == NULL || strlen (key) != 64)
    return;
  trailer = solv_trailer (key, data, len);
  fd = mk_atomic_open (rp->solv_path, &tmp, &e);
  /* 0600 whatever the umask: solv_open refuses a file others can write. */
  if (fd >= 0
      && (fchmod (fd, 0600) < 0
          || mk_write_all (fd, data, len, &e, rp->solv_path) < 0
          || mk_write_all (fd, trailer, strlen (trailer), &e, rp->solv_path)
                 < 0))
    {
      mk_atomic_abort (fd, tmp);
      fd = -1;
    }
  if (fd < 0 || mk_atomic_commit (fd, tmp, rp->solv_path, &e) < 0)
    {
      mk_debug ("repo %s: metadata cache not written: %s", rp->conf->id,
                e ? e->msg : "?");
      mk_error_release (&e);
      return;
    }
  mk_debug ("repo %s: metadata cached in `%s`", rp->conf->id, rp->solv_path);
}

/* ---- remote metadata ------------------------------------------------------ */

static int
sync_md_file (struct mk_repo *rp, const char *repomd, const char *type,
              bool required, const struct mk_repo_opts *o, mk_error_t *err)
{
  struct mk_md_file md = { 0 };
  cleanup_free char *dest = NULL;
  bool found, ok;
  int r = -1;

  if (mk_repomd_lookup (repomd, type, &md, &found, err) < 0)
    return mk_error_wrap (err, "repo `%s`", rp->conf->id);
  if (!found)
    return required ? mk_make_error (err, 0, "repo `%s`: repomd.xml lists no "
                                             "%s metadata", rp->conf->id, type)
                    : 0;
  dest = xasprintf ("%s/%s", rp->dir, md.location);
  if (verify_cached (dest, md.checksum_type, md.checksum, &ok, err) < 0)
    goto done;
  if (!ok && o->offline)
    {
      mk_make_error (err, 0, "--offline: repo `%s`: %s is not in the cache "
                             "(%s)", rp->conf->id, md.location, dest);
      goto done;
    }
  if (!ok)
    {
      struct mk_fetch_item it = {
        .bases = rp->urls, .rel = md.location, .dest = dest, .size = md.size,
        .max_size = 1u << 30, .checksum_type = md.checksum_type,
        .checksum = md.checksum, .what = md.location };
      struct mk_fetch_opts fo = fetch_opts (rp, 1);
      cleanup_free char *dir = xstrndup (dest, (size_t) (strrchr (dest, '/')
                                                         - dest));
      if (mk_mkdir_p (dir, 0700, err) < 0 || mk_fetch_all (&it, 1, &fo, err) < 0)
        {
          mk_error_wrap (err, "repo `%s`", rp->conf->id);
          goto done;
        }
    }
  r = 0;
done:
  mk_md_file_clear (&md);
  return r;
}

/* Fetch repomd.xml (and its .asc) next to the cached one and keep it only
 * if it is not older than what we had: a mirror replaying an old
 * repomd.xml would freeze the image on packages with known holes
 * (checklist 36, "A Look in the Mirror"). */
static int
refresh_repomd (struct mk_repo *rp, const char *repomd, const char *asc,
                mk_error_t *err)
{
  const struct mk_repo_conf *c = rp->conf;
  cleanup_free char *fresh = xasprintf ("%s.new", repomd);
  uint64_t old_rev = 0, new_rev = 0;

  if (fetch_plain (rp->urls, "repodata/repomd.xml", fresh, MAX_REPOMD_BYTES,
                   rp, "repomd.xml", err) < 0)
    return mk_error_wrap (err, "repo `%s`", c->id);
  if (c->repo_gpgcheck
      && fetch_plain (rp->urls, "repodata/repomd.xml.asc", asc, MAX_KEY_BYTES,
                      rp, "repomd.xml.asc", err) < 0)
    {
      unlink (fresh);
      return mk_error_wrap (err, "repo `%s`: repo_gpgcheck", c->id);
    }
  if (mk_repomd_revision (fresh, &new_rev, err) < 0
      || (access (repomd, F_OK) == 0
          && mk_repomd_revision (repomd, &old_rev, err) < 0))
    {
      unlink (fresh);
      return mk_error_wrap (err, "repo `%s`", c->id);
    }
  if (new_rev < old_rev)
    {
      unlink (fresh);
      return mk_make_error (err, 0, "repo `%s`: the mirror's repomd.xml (revision "
                                    "%" PRIu64 ") is older than the one already "
                                    "seen (%" PRIu64 "): refusing a replayed or "
                                    "stale mirror", c->id, new_rev, old_rev);
    }
  if (rename (fresh, repomd) < 0)
    return mk_make_error (err, errno, "rename into `%s`", repomd);
  return 0;
}

static int
sync_remote (const struct mk_recipe *r, struct mk_repo *rp,
             const struct mk_repos *rs, const struct mk_repo_opts *o,
             mk_error_t *err)
{
  const struct mk_repo_conf *c = rp->conf;
  cleanup_free char *key = NULL, *cachedir = NULL, *repodata = NULL;
  cleanup_free char *repomd = NULL, *asc = NULL;
  struct mk_digest *d;

  if (c->mirrorlist && rp->urls == NULL)
    {
      /* The mirror list is cached under the mirrorlist URL's own hash. */
      cleanup_free char *ml = mk_recipe_expand (r, c->mirrorlist);
      cleanup_free char *h = NULL;
      d = mk_digest_new ("sha256");
      mk_digest_add (d, ml, strlen (ml));
      h = mk_digest_finish (d);
      cachedir = xasprintf ("%s/repos/%s-%.16s", rs->cache, c->id, h);
      if (mk_mkdir_p (cachedir, 0700, err) < 0
          || read_mirrorlist (r, rp, cachedir, o, err) < 0)
        return -1;
      if (rp->urls == NULL)
        return mk_make_error (err, 0, "repo `%s`: the mirrorlist names no "
                                      "mirror", c->id);
    }
  else
    {
      d = mk_digest_new ("sha256");
      mk_digest_add (d, rp->urls[0], strlen (rp->urls[0]));
      key = mk_digest_finish (d);
      cachedir = xasprintf ("%s/repos/%s-%.16s", rs->cache, c->id, key);
    }
  rp->dir = xstrdup (cachedir);
  set_solv_path (rs, rp, strrchr (cachedir, '-') + 1); /* its hash */
  repodata = xasprintf ("%s/repodata", cachedir);
  if (mk_mkdir_p (repodata, 0700, err) < 0)
    return -1;
  repomd = xasprintf ("%s/repomd.xml", repodata);
  asc = xasprintf ("%s/repomd.xml.asc", repodata);
  if (o->offline)
    {
      if (access (repomd, F_OK) < 0)
        return mk_make_error (err, 0, "--offline: repo `%s`: the cache has "
                                      "no metadata (%s)", c->id, repomd);
    }
  else if (!file_fresh (repomd, c->metadata_expire)
           && refresh_repomd (rp, repomd, asc, err) < 0)
    return -1;
  if (c->repo_gpgcheck
      && mk_rpm_verify_detached (rp->keyring, repomd, asc, err) < 0)
    {
      unlink (repomd);
      return mk_error_wrap (err, "repo `%s`: repo_gpgcheck", c->id);
    }
  if (sync_md_file (rp, repomd, "primary", true, o, err) < 0
      || sync_md_file (rp, repomd, "filelists", false, o, err) < 0)
    return -1;
  return 0;
}

/* ---- keys ---------------------------------------------------------------- */

static int
load_keys (const struct mk_recipe *r, struct mk_repo *rp,
           struct mk_repos *rs, const struct mk_repo_opts *o,
           mk_error_t *err)
{
  const struct mk_repo_conf *c = rp->conf;
  cleanup_strv char **files = NULL;

  if (!c->gpgcheck && !c->repo_gpgcheck)
    return 0;
  for (size_t i = 0; c->gpgkey[i]; i++)
    {
      cleanup_free char *k = mk_recipe_expand (r, c->gpgkey[i]);
      if (is_remote (k))
        {
          struct mk_digest *d = mk_digest_new ("sha256");
          cleanup_free char *h = NULL, *dir = NULL, *dest = NULL;
          char *slash = strrchr (k, '/');
          char *bases[] = { xstrndup (k, (size_t) (slash - k)), NULL };
          int rr = 0;
          mk_digest_add (d, k, strlen (k));
          h = mk_digest_finish (d);
          if (rs->cache == NULL && open_cache (rs, o, err) < 0)
            {
              free (bases[0]);
              return -1;
            }
          dir = xasprintf ("%s/keys", rs->cache);
          dest = xasprintf ("%s/%.32s.asc", dir, h);
          /* A key URL is fetched once; it is not metadata that expires. */
          if (mk_mkdir_p (dir, 0700, err) < 0)
            rr = -1;
          else if (access (dest, F_OK) < 0)
            rr = o->offline
                     ? mk_make_error (err, 0, "--offline: gpgkey %s is not in "
                                              "the cache", k)
                     : fetch_plain (bases, slash + 1, dest, MAX_KEY_BYTES, rp,
                                    "gpgkey", err);
          free (bases[0]);
          if (rr < 0)
            return mk_error_wrap (err, "repo `%s`", c->id);
          mk_strv_push (&files, steal_pointer (&dest));
        }
      else if (mk_str_has_prefix (k, "file://"))
        mk_strv_push (&files, xstrdup (k + 7));
      else
        mk_strv_push (&files, k[0] == '/' ? xstrdup (k)
                                          : xasprintf ("%s/%s", r->dir, k));
    }
  if (mk_rpm_keyring_new (files, &rp->keyring, err) < 0)
    return mk_error_wrap (err, "repo `%s`", c->id);
  return 0;
}

/* ---- the repositories ----------------------------------------------------- */

static int
open_cache (struct mk_repos *rs, const struct mk_repo_opts *o,
            mk_error_t *err)
{
  rs->cache = o->cache ? xstrdup (o->cache) : mk_cache_root ();
  if (rs->cache == NULL)
    return mk_make_error (err, 0, "no cache directory: use --cache DIR or "
                                  "set HOME");
  if (mk_mkdir_p (rs->cache, 0700, err) < 0)
    return -1;
  return check_cache_owner (rs->cache, err);
}

static int
open_local (const struct mk_recipe *r, struct mk_repo *rp, mk_error_t *err)
{
  struct stat st;
  if (stat (rp->dir, &st) < 0 || !S_ISDIR (st.st_mode))
    return mk_make_error_code (err, MK_EXIT_RECIPE, errno ? errno : ENOTDIR,
                               "%s:%d: [repo %s]: baseurl `%s`", r->path,
                               rp->conf->line, rp->conf->id, rp->dir);
  return 0;
}

int
mk_repos_open (const struct mk_recipe *r, const struct mk_repo_opts *o,
               struct mk_repos **out, mk_error_t *err)
{
  struct mk_repos *rs = xcalloc (1, sizeof *rs);
  rs->v = xcalloc (r->n_repos, sizeof *rs->v);
  for (size_t i = 0; i < r->n_repos; i++)
    {
      struct mk_repo *rp;
      if (!r->repos[i].enabled)
        continue;
      rp = &rs->v[rs->n++];
      rp->conf = &r->repos[i];
      if (repo_locate (r, rp, err) < 0)
        goto fail;
      if (rp->dir)
        {
          if (open_local (r, rp, err) < 0 || load_keys (r, rp, rs, o, err) < 0)
            goto fail;
          local_solv_path (rs, rp, o);
          continue;
        }
      if ((rs->cache == NULL && open_cache (rs, o, err) < 0)
          || load_keys (r, rp, rs, o, err) < 0
          || sync_remote (r, rp, rs, o, err) < 0)
        goto fail;
    }
  *out = rs;
  return 0;
fail:
  mk_repos_free (rs);
  return -1;
}

void
mk_repos_free (struct mk_repos *rs)
{
  if (rs == NULL)
    return;
  for (size_t i = 0; i < rs->n; i++)
    {
      free (rs->v[i].dir);
      free (rs->v[i].solv_path);
      mk_strv_free (rs->v[i].urls);
      mk_rpm_keyring_free (rs->v[i].keyring);
    }
  free (rs->v);
  free (rs->cache);
  free (rs);
}

struct mk_repo *
mk_repos_find (const struct mk_repos *rs, const char *id)
{
  for (size_t i = 0; rs && i < rs->n; i++)
    if (strcmp (rs->v[i].conf->id, id) == 0)
      return &rs->v[i];
  return NULL;
}

/* ---- packages -------------------------------------------------------------- */

/* A package from a remote repository: cached and verified, or queued. */
static int
plan_package (struct mk_repo *rp, struct mk_pkg *p, struct mk_fetch_item *it,
              size_t *n, const struct mk_repo_opts *o, mk_error_t *err)
{
  cleanup_free char *dest = xasprintf ("%s/%s", rp->dir, p->location);
  cleanup_free char *dir = NULL;
  bool ok = false;

  if (p->checksum == NULL)
    return mk_make_error (err, 0, "%s: repo `%s` states no checksum for it",
                          p->nevra, rp->conf->id);
  if (verify_cached (dest, p->checksum_type, p->checksum, &ok, err) < 0)
    return -1;
  free (p->path);
  p->path = xstrdup (dest);
  if (ok)
    return 0;
  if (o->offline)
    return mk_make_error (err, 0, "--offline: %s is not in the cache (%s)",
                          p->nevra, dest);
  dir = xstrndup (dest, (size_t) (strrchr (dest, '/') - dest));
  if (mk_mkdir_p (dir, 0700, err) < 0)
    return -1;
  it[(*n)++] = (struct mk_fetch_item){
    .bases = rp->urls, .rel = p->location, .dest = p->path,
    .size = p->download_size, .max_size = 4ull << 30,
    .checksum_type = p->checksum_type, .checksum = p->checksum,
    .what = p->nevra };
  return 0;
}

int
mk_repos_fetch (const struct mk_repos *rs, struct mk_pkglist *l,
                const struct mk_repo_opts *o, mk_error_t *err)
{
  cleanup_free struct mk_fetch_item *items = xcalloc (l->n, sizeof *items);
  struct mk_fetch_opts fo = { .parallel = MAX_PARALLEL, .retries = 0,
                              .timeout = 1 };
  size_t n = 0;

  for (size_t i = 0; i < l->n; i++)
    {
      struct mk_pkg *p = &l->pkgs[i];
      struct mk_repo *rp = mk_repos_find (rs, p->repo_id);
      if (rp == NULL)
        return mk_make_error (err, 0, "%s: no repository `%s` in the recipe",
                              p->nevra, p->repo_id);
      if (rp->urls == NULL)
        {
          if (p->path == NULL)
            p->path = xasprintf ("%s/%s", rp->dir, p->location);
          continue;
        }
      if (plan_package (rp, p, items, &n, o, err) < 0)
        return -1;
      /* One batch for all repositories: the most patient settings of the
       * remote ones involved apply. */
      fo.retries = rp->conf->retries > fo.retries ? rp->conf->retries
                                                  : fo.retries;
      fo.timeout = rp->conf->timeout > fo.timeout ? rp->conf->timeout
                                                  : fo.timeout;
    }
  if (n == 0)
    return 0;
  mk_info ("downloading %zu packages", n);
  return mk_fetch_all (items, n, &fo, err);
}
