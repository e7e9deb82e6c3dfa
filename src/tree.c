/* tree.c: the in-memory image manifest (see tree.h): a hash of canonical
 * paths, in-memory symlink resolution that never leaves the image root,
 * the sorted view the tar writer walks, and owner-name mapping through the
 * image's own passwd/group files.  libc only. */
#define _GNU_SOURCE
#include "tree.h"

#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rpm.h"
#include "util.h"

#define MAX_LINK_HOPS 40
#define MAX_PATH_LEN 4095

static uint64_t
hash_str (const char *s)
{
  uint64_t h = 1469598103934665603ULL;
  for (; *s; s++)
    h = (h ^ (unsigned char) *s) * 1099511628211ULL;
  return h;
}

struct mk_tree *
mk_tree_new (void)
{
  struct mk_tree *t = xcalloc (1, sizeof *t);
  struct mk_entry *root;
  t->n_slots = 1024;
  t->slots = xcalloc (t->n_slots, sizeof *t->slots);
  t->next_inode = 1;
  root = mk_tree_add (t, "/");
  root->mode = S_IFDIR | 0755;
  root->flags = MK_ENTRY_IMPLIED;
  root->mtime = -1;
  return t;
}

static void
entry_free (struct mk_entry *e)
{
  free (e->path);
  free (e->user);
  free (e->group);
  free (e->lang);
  free (e->caps);
  free (e->linkto);
  free (e->src_name);
  free (e->digest);
  free (e);
}

void
mk_tree_free (struct mk_tree *t)
{
  if (t == NULL)
    return;
  for (size_t i = 0; i < t->n; i++)
    entry_free (t->entries[i]);
  free (t->entries);
  free (t->slots);
  for (size_t i = 0; i < t->n_pkgs; i++)
    free (t->pkgs[i]);
  free (t->pkgs);
  for (size_t i = 0; i < t->n_src; i++)
    close (t->src_fds[i]);
  free (t->src_fds);
  free (t);
}

int
mk_tree_add_source (struct mk_tree *t, int fd)
{
  t->src_fds = xreallocarray (t->src_fds, t->n_src + 1, sizeof *t->src_fds);
  t->src_fds[t->n_src++] = fd;
  return (int) t->n_src;
}

void
mk_tree_set_source (struct mk_entry *e, int src, const char *name)
{
  free (e->src_name);
  e->src = src;
  e->src_name = name ? xstrdup (name) : NULL;
}

int
mk_tree_open_content (const struct mk_tree *t, int rootfd,
                      const struct mk_entry *e)
{
  if (e->src <= 0)
    return mk_at_open (rootfd, e->path, O_RDONLY, 0);
  if ((size_t) e->src > t->n_src)
    return errno = EBADF, -1;
  if (e->src_name == NULL)
    return memfd_create ("empty", MFD_CLOEXEC);
  return TEMP_FAILURE_RETRY (openat (t->src_fds[e->src - 1], e->src_name,
                                     O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
}

static size_t *
find_slot (struct mk_tree *t, const char *path)
{
  size_t mask = t->n_slots - 1;
  size_t i = (size_t) hash_str (path) & mask;
  for (;; i = (i + 1) & mask)
    {
      size_t v = t->slots[i];
      if (v == 0 || strcmp (t->entries[v - 1]->path, path) == 0)
        return &t->slots[i];
    }
}

static void
grow (struct mk_tree *t)
{
  size_t old_n = t->n_slots;
  size_t *old = t->slots;
  t->n_slots *= 2;
  t->slots = xcalloc (t->n_slots, sizeof *t->slots);
  for (size_t i = 0; i < old_n; i++)
    if (old[i])
      *find_slot (t, t->entries[old[i] - 1]->path) = old[i];
  free (old);
}

struct mk_entry *
mk_tree_lookup (struct mk_tree *t, const char *path)
{
  size_t v = *find_slot (t, path);
  return v ? t->entries[v - 1] : NULL;
}

struct mk_entry *
mk_tree_add (struct mk_tree *t, const char *path)
{
  struct mk_entry *e;
  size_t *slot;
  if ((t->n + 1) * 2 > t->n_slots)
    grow (t);
  slot = find_slot (t, path);
  if (*slot)
    abort (); /* callers look up first; a duplicate is a bug */
  if (t->n == t->cap)
    {
      t->cap = t->cap ? t->cap * 2 : 256;
      t->entries = xreallocarray (t->entries, t->cap, sizeof *t->entries);
    }
  e = xcalloc (1, sizeof *e);
  e->path = xstrdup (path);
  e->pkg = -1;
  t->entries[t->n++] = e;
  *slot = t->n;
  return e;
}

int
mk_tree_add_pkg (struct mk_tree *t, const char *name)
{
  t->pkgs = xreallocarray (t->pkgs, t->n_pkgs + 1, sizeof *t->pkgs);
  t->pkgs[t->n_pkgs] = xstrdup (name);
  return (int) t->n_pkgs++;
}

char *
mk_tree_normalize (const char *path)
{
  size_t len = strlen (path);
  char *out, *o;
  const char *p = path;

  if (path[0] != '/')
    return errno = EINVAL, NULL;
  if (len > MAX_PATH_LEN)
    return errno = ENAMETOOLONG, NULL;
  o = out = xmalloc (len + 2);
  while (*p)
    {
      const char *c;
      size_t cl;
      while (*p == '/')
        p++;
      if (*p == '\0')
        break;
      c = p;
      while (*p && *p != '/')
        p++;
      cl = (size_t) (p - c);
      if (cl == 1 && c[0] == '.')
        continue;
      if (cl == 2 && c[0] == '.' && c[1] == '.')
        {
          free (out);
          return errno = EINVAL, NULL;
        }
      if (cl > NAME_MAX)
        {
          free (out);
          return errno = ENAMETOOLONG, NULL;
        }
      *o++ = '/';
      memcpy (o, c, cl);
      o += cl;
    }
  if (o == out)
    *o++ = '/';
  *o = '\0';
  return out;
}

/* Resolution state: the canonical prefix resolved so far, and the
 * components still to walk. */
static void
push_component (char **cur, const char *c, size_t cl)
{
  size_t l = strlen (*cur);
  char *n = xmalloc (l + cl + 2);
  memcpy (n, *cur, l);
  if (l > 1)
    n[l++] = '/';
  else
    l = 1;
  memcpy (n + l, c, cl);
  n[l + cl] = '\0';
  free (*cur);
  *cur = n;
}

static void
pop_component (char *cur)
{
  char *s = strrchr (cur, '/');
  if (s == cur)
    cur[1] = '\0';
  else if (s)
    *s = '\0';
}

int
mk_tree_resolve (struct mk_tree *t, const char *path, bool follow_last,
                 char **canon, mk_error_t *err)
{
  cleanup_free char *cur = xstrdup ("/");
  cleanup_free char *rest = xstrdup (path);
  int hops = 0;
  size_t pos = 0;

  while (rest[pos])
    {
      const char *c;
      size_t cl;
      bool last;
      struct mk_entry *e;

      while (rest[pos] == '/')
        pos++;
      if (rest[pos] == '\0')
        break;
      c = rest + pos;
      while (rest[pos] && rest[pos] != '/')
        pos++;
      cl = (size_t) (rest + pos - c);
      last = rest[pos + strspn (rest + pos, "/")] == '\0';
      if (cl == 1 && c[0] == '.')
        continue;
      if (cl == 2 && c[0] == '.' && c[1] == '.')
        {
          pop_component (cur); /* ".." at the root stays at the root */
          continue;
        }
      push_component (&cur, c, cl);
      e = mk_tree_lookup (t, cur);
      if (e == NULL || (e->flags & MK_RPMF_GHOST) || e->removed)
        continue;
      if (S_ISLNK (e->mode) && (!last || follow_last))
        {
          char *n;
          if (++hops > MAX_LINK_HOPS)
            return mk_make_error (err, ELOOP, "resolve `%s`", path);
          /* Splice the target in front of what is left to walk. */
          n = xasprintf ("%s/%s", e->linkto, rest + pos);
          if (e->linkto[0] == '/')
            strcpy (cur, "/");
          else
            pop_component (cur);
          free (rest);
          rest = n;
          pos = 0;
          continue;
        }
      if (!last && !S_ISDIR (e->mode))
        return mk_make_error (err, ENOTDIR, "resolve `%s`: `%s`", path, cur);
    }
  if (strlen (cur) > MAX_PATH_LEN)
    return mk_make_error (err, ENAMETOOLONG, "resolve `%s`", path);
  *canon = steal_pointer (&cur);
  return 0;
}

static int
compare_entries (const void *a, const void *b)
{
  const struct mk_entry *x = *(struct mk_entry *const *) a;
  const struct mk_entry *y = *(struct mk_entry *const *) b;
  return strcmp (x->path, y->path);
}

struct mk_entry **
mk_tree_sorted (struct mk_tree *t, size_t *n)
{
  struct mk_entry **v = xcalloc (t->n, sizeof *v);
  size_t k = 0;
  for (size_t i = 0; i < t->n; i++)
    {
      struct mk_entry *e = t->entries[i];
      if (!e->removed && !(e->flags & MK_RPMF_GHOST))
        v[k++] = e;
    }
  qsort (v, k, sizeof *v, compare_entries);
  *n = k;
  return v;
}

/* ---- owners ------------------------------------------------------------- */

void
mk_idmap_free (struct mk_idmap *m)
{
  mk_strv_free (m->names);
  free (m->ids);
}

/* Parse "name:x:id:..." lines; malformed lines are skipped, as getpwent
 * does. */
void
mk_idmap_parse (struct mk_idmap *m, char *buf)
{
  char *save = NULL;
  for (char *line = strtok_r (buf, "\n", &save); line;
       line = strtok_r (NULL, "\n", &save))
    {
      char *f[4] = { 0 }, *s = line, *end;
      unsigned long id;
      for (int i = 0; i < 3 && s; i++)
        {
          f[i] = s;
          s = strchr (s, ':');
          if (s)
            *s++ = '\0';
        }
      if (f[2] == NULL || *f[0] == '\0' || *f[2] == '\0')
        continue;
      errno = 0;
      id = strtoul (f[2], &end, 10);
      if (errno || *end || id > UINT32_MAX - 1)
        continue;
      if (mk_strv_contains (m->names, f[0]))
        continue; /* first entry wins, as with getpwnam */
      mk_strv_push (&m->names, xstrdup (f[0]));
      m->ids = xreallocarray (m->ids, m->n + 1, sizeof *m->ids);
      m->ids[m->n++] = (uint32_t) id;
    }
}

static int
idmap_load (struct mk_tree *t, int rootfd, const char *file,
            struct mk_idmap *m, mk_error_t *err)
{
  cleanup_free char *canon = NULL;
  cleanup_free char *buf = NULL;
  cleanup_close int fd = -1;
  struct mk_entry *e;

  if (mk_tree_resolve (t, file, true, &canon, err) < 0)
    return -1;
  e = mk_tree_lookup (t, canon);
  if (e == NULL || e->removed || !S_ISREG (e->mode))
    {
      mk_warn ("the image has no %s: owners other than root map to 0", file);
      return 0;
    }
  fd = mk_tree_open_content (t, rootfd, e);
  if (fd < 0)
    return mk_make_error (err, errno, "open image `%s`", canon);
  if (mk_read_fd (fd, 64u << 20, &buf, NULL, err, canon) < 0)
    return -1;
  mk_idmap_parse (m, buf);
  return 0;
}

bool
mk_idmap_get (const struct mk_idmap *m, const char *name, uint32_t *id)
{
  if (strcmp (name, "root") == 0)
    return *id = 0, true;
  for (size_t i = 0; i < m->n; i++)
    if (strcmp (m->names[i], name) == 0)
      return *id = m->ids[i], true;
  return false;
}

int
mk_tree_map_owners (struct mk_tree *t, int rootfd, mk_error_t *err)
{
  struct mk_idmap users = { 0 }, groups = { 0 };
  size_t warned = 0, unknown = 0;
  int r = -1;

  if (idmap_load (t, rootfd, "/etc/passwd", &users, err) < 0
      || idmap_load (t, rootfd, "/etc/group", &groups, err) < 0)
    goto done;
  for (size_t i = 0; i < t->n; i++)
    {
      struct mk_entry *e = t->entries[i];
      const char *pkg = e->pkg >= 0 ? t->pkgs[e->pkg] : "(implied)";
      if (e->user && !mk_idmap_get (&users, e->user, &e->uid))
        {
          unknown++;
          if (warned++ < 20)
            mk_warn ("%s: %s: unknown user `%s`, using 0", pkg, e->path,
                     e->user);
          e->uid = 0;
        }
      if (e->group && !mk_idmap_get (&groups, e->group, &e->gid))
        {
          unknown++;
          if (warned++ < 20)
            mk_warn ("%s: %s: unknown group `%s`, using 0", pkg, e->path,
                     e->group);
          e->gid = 0;
        }
    }
  if (warned > 20)
    mk_warn ("%zu more unknown owner names mapped to 0", warned - 20);
  r = 0;
done:
  mk_idmap_free (&users);
  mk_idmap_free (&groups);
  return r;
}
