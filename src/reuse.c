/* reuse.c: whole-image reuse (reuse.h).  An entry is a small text file
 * <dir>/<key>:
 *
 *   mkbase-reuse 1
 *   SHA256 DEV INO SIZE MTIME_NS CTIME_NS PATH     (one line per output)
 *
 * the image first.  The identity fields let a rebuild skip hashing files
 * nobody wrote since they were recorded: any write, truncation, chmod,
 * rename over or copy changes the inode, the size, the mtime or the
 * ctime, and the ctime cannot be set back from user space.  A file whose
 * identity differs is hashed again before it is trusted. */
#define _GNU_SOURCE
#include "reuse.h"

#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <sys/stat.h>

#include "digest.h"
#include "util.h"

#define MAGIC "mkbase-reuse 1\n"
#define MAX_ENTRY (64u << 10)

struct mk_reuse_key
{
  struct mk_digest *d;
};

struct mk_reuse_key *
mk_reuse_key_new (void)
{
  struct mk_reuse_key *k = xcalloc (1, sizeof *k);
  k->d = mk_digest_new ("sha256");
  mk_reuse_key_add (k, "key", "mkbase-reuse 1");
  return k;
}

void
mk_reuse_key_free (struct mk_reuse_key *k)
{
  if (k == NULL)
    return;
  mk_digest_free (k->d);
  free (k);
}

/* Length-prefixed, so no value can forge the next label. */
void
mk_reuse_key_add (struct mk_reuse_key *k, const char *label,
                  const char *value)
{
  char head[64];
  const char *v = value ? value : "";
  int n = snprintf (head, sizeof head, "%zu:%zu:%s", strlen (label),
                    value ? strlen (v) : (size_t) -1, label);
  if (n < 0 || (size_t) n >= sizeof head)
    abort (); /* labels are short literals */
  mk_digest_add (k->d, head, (size_t) n);
  mk_digest_add (k->d, v, strlen (v));
}

int
mk_reuse_key_add_file (struct mk_reuse_key *k, const char *label,
                       const char *path, mk_error_t *err)
{
  cleanup_free char *hex = NULL;
  if (path == NULL)
    {
      mk_reuse_key_add (k, label, NULL);
      return 0;
    }
  if (mk_digest_path (path, "sha256", &hex, err) < 0)
    return -1;
  mk_reuse_key_add (k, label, hex);
  return 0;
}

char *
mk_reuse_key_finish (struct mk_reuse_key *k)
{
  char *hex = mk_digest_finish (k->d);
  free (k);
  return hex;
}

static char *
entry_line (const char *sha256, const struct mk_file_id *id, const char *path)
{
  return xasprintf ("%s %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRId64
                    " %" PRId64 " %s\n", sha256, id->dev, id->ino, id->size,
                    id->mtime_ns, id->ctime_ns, path);
}

static void
append (char **text, const char *more)
{
  char *t = xasprintf ("%s%s", *text, more);
  free (*text);
  *text = t;
}

static bool
is_hex64 (const char *s)
{
  for (int i = 0; i < 64; i++)
    if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
      return false;
  return s[64] == ' ';
}

/* One recorded output: still what it was?  *rehashed says its identity
 * changed (and the bytes did not). */
static bool
check_output (char *line, char **sha256, char **path, struct mk_file_id *now,
              bool *rehashed)
{
  struct mk_file_id was;
  int used = 0;
  cleanup_free char *hex = NULL;

  if (!is_hex64 (line))
    return false;
  line[64] = '\0';
  if (sscanf (line + 65, "%" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNd64
              " %" SCNd64 " %n", &was.dev, &was.ino, &was.size,
              &was.mtime_ns, &was.ctime_ns, &used) != 5
      || used == 0 || line[65 + used] != '/')
    return false;
  *sha256 = line;
  *path = line + 65 + used;
  if (!mk_file_id_of (*path, false, now) || now->size != was.size)
    return false;
  if (memcmp (now, &was, sizeof was) == 0)
    return true;
  {
    mk_error_t err = NULL;
    if (mk_digest_path (*path, "sha256", &hex, &err) < 0)
      {
        mk_error_release (&err);
        return false;
      }
  }
  *rehashed = true;
  return strcmp (hex, *sha256) == 0;
}

bool
mk_reuse_find (const char *dir, const char *key, char **sha256)
{
  cleanup_free char *path = xasprintf ("%s/%s", dir, key);
  cleanup_free char *buf = NULL;
  cleanup_free char *fresh = xstrdup (MAGIC);
  cleanup_free char *image = NULL;
  mk_error_t err = NULL;
  bool rehashed = false;
  char *save = NULL;

  if (mk_read_file_at (AT_FDCWD, path, MAX_ENTRY, &buf, NULL, &err) < 0)
    {
      mk_error_release (&err);
      return false;
    }
  if (!mk_str_has_prefix (buf, MAGIC))
    return false;
  for (char *line = strtok_r (buf + strlen (MAGIC), "\n", &save); line;
       line = strtok_r (NULL, "\n", &save))
    {
      char *hex, *file, *more;
      struct mk_file_id now;
      if (!check_output (line, &hex, &file, &now, &rehashed))
        return false;
      if (image == NULL)
        image = xstrdup (hex);
      more = entry_line (hex, &now, file);
      append (&fresh, more);
      free (more);
    }
  if (image == NULL)
    return false;
  /* Copied or restored outputs (a CI cache): the next lookup need not
   * hash them again. */
  if (rehashed && mk_write_file_atomic (path, fresh, strlen (fresh), &err) < 0)
    mk_error_release (&err);
  *sha256 = steal_pointer (&image);
  return true;
}

int
mk_reuse_store (const char *dir, const char *key, const char *sha256,
                char *const *outputs, mk_error_t *err)
{
  cleanup_free char *path = xasprintf ("%s/%s", dir, key);
  cleanup_free char *text = xstrdup (MAGIC);

  for (size_t i = 0; outputs[i]; i++)
    {
      cleanup_free char *hex = NULL;
      cleanup_free char *abs = realpath (outputs[i], NULL);
      struct mk_file_id id;
      char *line;
      if (abs == NULL || !mk_file_id_of (abs, false, &id))
        return mk_make_error (err, errno ? errno : EINVAL,
                              "reuse: `%s`", outputs[i]);
      if (i > 0 && mk_digest_path (abs, "sha256", &hex, err) < 0)
        return -1;
      line = entry_line (i == 0 ? sha256 : hex, &id, abs);
      append (&text, line);
      free (line);
    }
  return mk_write_file_atomic (path, text, strlen (text), err);
}
