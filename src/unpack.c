/* unpack.c: unpack packages into the staging root and record every path in
 * the manifest (tree.c).
 *
 * Safety: a path from a package is normalised (absolute, no ".."), its
 * parent is resolved against the image's symlinks in memory, clamped to the
 * image root, and every disk operation then goes through mk_at_open*
 * (openat2 RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS), so a symlink shipped by
 * one package (`/opt/x -> /tmp`) redirects another package's file to
 * <staging>/tmp, never to the host's /tmp, and a symlink swapped in on
 * disk behind our back makes the operation fail instead of escaping.
 *
 * Only directories, regular files, symlinks and hardlinks are created on
 * disk, with private modes (0700/0600); owners, modes, device numbers,
 * fifos and file capabilities live in the manifest and reach only the tar,
 * so nothing privileged is ever created on the host and the build works
 * the same as root and as an ordinary user.  libc only (librpm is behind
 * rpm.h). */
#define _GNU_SOURCE
#include "unpack.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "util.h"

#define MAX_CONFLICTS_SHOWN 20

struct mk_unpacker
{
  struct mk_tree *tree;
  int rootfd;
  struct mk_dircache *dirs; /* parent fds, valid while one package unpacks */
  char **conflicts;
};

/* Per-package state while unpacking it. */
struct pkg_state
{
  struct mk_rpm *rpm;
  int pkg;
  char **canon;    /* canonical path of each file, NULL when skipped */
  bool *writable;  /* we created it and its content goes in */
  int *inode;      /* tree inode of each hardlink set, by link_set index */
  bool deferred;   /* contents come extracted (move_contents) */
  bool source;     /* and stay where they are (MK_CONTENT_SOURCE) */
};

struct mk_unpacker *
mk_unpacker_new (struct mk_tree *t, int rootfd)
{
  struct mk_unpacker *u = xcalloc (1, sizeof *u);
  u->tree = t;
  u->rootfd = rootfd;
  u->dirs = mk_dircache_new (rootfd);
  return u;
}

void
mk_unpacker_free (struct mk_unpacker *u)
{
  if (u == NULL)
    return;
  mk_strv_free (u->conflicts);
  mk_dircache_free (u->dirs);
  free (u);
}

static const char *
type_name (mode_t m)
{
  switch (m & S_IFMT)
    {
    case S_IFDIR:
      return "directory";
    case S_IFREG:
      return "file";
    case S_IFLNK:
      return "symlink";
    case S_IFCHR:
      return "char device";
    case S_IFBLK:
      return "block device";
    case S_IFIFO:
      return "fifo";
    case S_IFSOCK:
      return "socket";
    default:
      return "unknown type";
    }
}

/* Create a directory on disk beneath the root; EEXIST is fine. */
static int
disk_mkdir (struct mk_unpacker *u, const char *canon, mk_error_t *err)
{
  const char *base;
  int pfd = mk_dircache_parent (u->dirs, canon, &base);
  if (pfd < 0)
    return mk_make_error (err, errno, "staging: open parent of `%s`", canon);
  if (mkdirat (pfd, base, 0700) < 0 && errno != EEXIST)
    return mk_make_error (err, errno, "staging: mkdir `%s`", canon);
  return 0;
}

/* Make sure every directory of canon (a resolved directory path) exists,
 * adding implied entries for the ones no package declared (yet). */
static int
ensure_dirs (struct mk_unpacker *u, const char *canon, mk_error_t *err)
{
  cleanup_free char *cur = xstrdup (canon);
  for (char *p = cur + 1; *cur && p && *p;)
    {
      char *slash = strchr (p, '/');
      struct mk_entry *e;
      if (slash)
        *slash = '\0';
      e = mk_tree_lookup (u->tree, cur);
      if (e == NULL || (e->flags & MK_RPMF_GHOST))
        {
          if (e == NULL)
            e = mk_tree_add (u->tree, cur);
          e->mode = S_IFDIR | 0755;
          e->flags = MK_ENTRY_IMPLIED;
          e->mtime = -1;
          if (disk_mkdir (u, cur, err) < 0)
            return -1;
        }
      else if (!S_ISDIR (e->mode))
        return mk_make_error (err, ENOTDIR, "`%s` (a %s) used as a directory",
                              cur, type_name (e->mode));
      if (slash == NULL)
        break;
      *slash = '/';
      p = slash + 1;
    }
  return 0;
}

static void
set_entry (struct mk_entry *e, const struct mk_rpm_file *f, int pkg,
           int inode)
{
  free (e->user);
  free (e->group);
  free (e->lang);
  free (e->caps);
  free (e->linkto);
  free (e->digest);
  e->mode = f->mode;
  e->user = xstrdup (f->user);
  e->group = xstrdup (f->group);
  e->size = S_ISREG (f->mode) ? f->size : 0;
  e->mtime = f->mtime;
  e->flags = f->flags;
  e->lang = f->lang[0] ? xstrdup (f->lang) : NULL;
  e->caps = f->caps[0] ? xstrdup (f->caps) : NULL;
  e->linkto = S_ISLNK (f->mode) ? xstrdup (f->linkto) : NULL;
  e->rdev = f->rdev;
  e->digest = f->digest[0] ? xstrdup (f->digest) : NULL;
  e->inode = inode;
  e->pkg = pkg;
  e->removed = false;
  mk_tree_set_source (e, 0, NULL);
}

static void
add_conflict (struct mk_unpacker *u, const char *path, const char *what,
              int old_pkg, const char *new_pkg)
{
  const char *old = old_pkg >= 0 ? u->tree->pkgs[old_pkg] : "(implied)";
  mk_strv_push (&u->conflicts,
                xasprintf ("%s (%s: %s vs %s)", path, what, old, new_pkg));
}

enum action
{
  ACT_CREATE,   /* new path: create it */
  ACT_REPLACE,  /* replace a %ghost or implied entry / update a directory */
  ACT_SKIP,     /* identical or compatible: the earlier one stays */
  ACT_CONFLICT,
};

/* Decide what a file does to an existing entry, as rpm's file conflict
 * rules do: directories are shared (the later metadata wins, as when rpm
 * installs them in order), identical files and links are shared, ghosts
 * never conflict, and a directory shipped where the image already has a
 * symlink to a directory keeps the symlink (the /bin -> usr/bin case). */
static enum action
decide (struct mk_unpacker *u, struct mk_entry *e, const struct mk_rpm_file *f,
        const char **why)
{
  if (e == NULL)
    return ACT_CREATE;
  if (f->flags & MK_RPMF_GHOST)
    return ACT_SKIP;
  if (e->flags & (MK_RPMF_GHOST | MK_ENTRY_IMPLIED) || e->removed)
    return (e->flags & MK_ENTRY_IMPLIED) && !S_ISDIR (f->mode)
               ? (*why = "directory vs non-directory", ACT_CONFLICT)
               : ACT_REPLACE;
  if (S_ISDIR (f->mode) && S_ISDIR (e->mode))
    return ACT_REPLACE;
  if (S_ISDIR (f->mode) && S_ISLNK (e->mode))
    {
      cleanup_free char *target = NULL;
      mk_error_t ignored = NULL;
      struct mk_entry *t;
      if (mk_tree_resolve (u->tree, e->path, true, &target, &ignored) == 0
          && (t = mk_tree_lookup (u->tree, target)) && S_ISDIR (t->mode))
        return ACT_SKIP;
      mk_error_release (&ignored);
    }
  if ((f->mode & S_IFMT) != (e->mode & S_IFMT))
    return *why = "different file types", ACT_CONFLICT;
  if (!S_ISLNK (f->mode) && f->mode != e->mode)
    return *why = "different modes", ACT_CONFLICT;
  if (strcmp (f->user, e->user) || strcmp (f->group, e->group))
    return *why = "different owners", ACT_CONFLICT;
  if (S_ISLNK (f->mode))
    return strcmp (f->linkto, e->linkto) == 0
               ? ACT_SKIP
               : (*why = "different link targets", ACT_CONFLICT);
  if (S_ISREG (f->mode))
    return f->size == e->size
                   && strcmp (f->digest, e->digest ? e->digest : "") == 0
               ? ACT_SKIP
               : (*why = "different content", ACT_CONFLICT);
  if (S_ISCHR (f->mode) || S_ISBLK (f->mode))
    return f->rdev == e->rdev ? ACT_SKIP
                              : (*why = "different devices", ACT_CONFLICT);
  return ACT_SKIP;
}

/* An empty regular file `base` in the directory pfd (canon names it in
 * errors); excl: O_EXCL or 0. */
static int
create_empty (int pfd, const char *base, int excl, const char *canon,
              mk_error_t *err)
{
  int fd = TEMP_FAILURE_RETRY (openat (pfd, base,
                                       O_WRONLY | O_CREAT | excl | O_NOFOLLOW
                                           | O_CLOEXEC,
                                       0600));
  if (fd < 0)
    return mk_make_error (err, errno, "staging: create `%s`", canon);
  close (fd);
  return 0;
}

/* Nothing of this file goes on disk now: only remove what an earlier
 * package left at its path.  fresh: the path is new to the manifest, so
 * nothing is there (every disk write follows the manifest). */
static int
clear_path (struct mk_unpacker *u, const char *canon, bool fresh,
            mk_error_t *err)
{
  const char *base;
  int pfd;

  if (fresh)
    return 0;
  pfd = mk_dircache_parent (u->dirs, canon, &base);
  if (pfd < 0)
    return mk_make_error (err, errno, "staging: open parent of `%s`", canon);
  unlinkat (pfd, base, 0);
  return 0;
}

/* fresh: as for clear_path. */
static int
create_regular (struct mk_unpacker *u, struct pkg_state *st, size_t i,
                const char *canon, bool fresh, mk_error_t *err)
{
  const struct mk_rpm_file *f = mk_rpm_file (st->rpm, i);

  /* Content read from where it was extracted: nothing on disk, not
   * even for a hardlink set (the tar links its members by inode). */
  if (st->source)
    return clear_path (u, canon, fresh, err);
  /* Later members of a hardlink set become links to the first one. */
  if (f->link_set >= 0 && (size_t) f->link_set != i
      && st->canon[f->link_set] && st->writable[f->link_set])
    {
      const char *b1, *b2;
      int p1 = mk_dircache_parent (u->dirs, st->canon[f->link_set], &b1);
      int p2 = p1 < 0 ? -1 : mk_dircache_parent (u->dirs, canon, &b2);
      if (p1 < 0 || p2 < 0)
        return mk_make_error (err, errno, "staging: open parent of `%s`",
                              canon);
      if (!fresh)
        unlinkat (p2, b2, 0);
      if (linkat (p1, b1, p2, b2, 0) < 0)
        return mk_make_error (err, errno, "staging: link `%s`", canon);
      return 0;
    }
  /* Extracted content arrives by rename or link (move_contents), which
   * makes the file: an empty one made now would cost an inode creation
   * and a deletion, the slowest operations on a journal-less ext4. */
  if (st->deferred && f->link_set < 0)
    return clear_path (u, canon, fresh, err);
  {
    const char *base;
    int pfd = mk_dircache_parent (u->dirs, canon, &base);
    if (pfd < 0)
      return mk_make_error (err, errno, "staging: open parent of `%s`", canon);
    /* A %ghost or an identical earlier file may sit there: replace it. */
    if (!fresh)
      unlinkat (pfd, base, 0);
    return create_empty (pfd, base, O_EXCL, canon, err);
  }
}

/* fresh: as for create_regular; dir_exists: a directory of the manifest
 * (so on disk) is already there, and is only given new metadata. */
static int
create_on_disk (struct mk_unpacker *u, struct pkg_state *st, size_t i,
                const char *canon, bool fresh, bool dir_exists,
                mk_error_t *err)
{
  const struct mk_rpm_file *f = mk_rpm_file (st->rpm, i);
  if (f->flags & MK_RPMF_GHOST)
    return 0;
  if (S_ISDIR (f->mode))
    return strcmp (canon, "/") == 0 || dir_exists ? 0
                                                   : disk_mkdir (u, canon, err);
  if (S_ISREG (f->mode))
    {
      if (create_regular (u, st, i, canon, fresh, err) < 0)
        return -1;
      st->writable[i] = true;
      return 0;
    }
  if (S_ISLNK (f->mode))
    {
      const char *base;
      int pfd = mk_dircache_parent (u->dirs, canon, &base);
      if (pfd < 0)
        return mk_make_error (err, errno, "staging: open parent of `%s`",
                              canon);
      if (!fresh)
        unlinkat (pfd, base, 0);
      if (symlinkat (f->linkto, pfd, base) < 0)
        return mk_make_error (err, errno, "staging: symlink `%s`", canon);
      return 0;
    }
  /* Devices, fifos and sockets exist only in the manifest and the tar. */
  return 0;
}

static int
place_file (struct mk_unpacker *u, struct pkg_state *st, size_t i,
            mk_error_t *err)
{
  const struct mk_rpm_file *f = mk_rpm_file (st->rpm, i);
  const char *nevra = mk_rpm_nevra (st->rpm);
  cleanup_free char *norm = mk_tree_normalize (f->path);
  cleanup_free char *cparent = NULL;
  cleanup_free char *canon = NULL;
  const char *why = NULL, *base;
  struct mk_entry *e;
  int inode = 0;
  enum action act;
  bool dir_exists;

  if (norm == NULL)
    return mk_make_error (err, errno, "%s: refusing file path `%s`", nevra,
                          f->path);
  if (strcmp (norm, "/") == 0)
    canon = xstrdup ("/");
  else
    {
      cleanup_free char *parent = xstrndup (norm, (size_t) (strrchr (norm, '/')
                                                            - norm));
      base = strrchr (norm, '/') + 1;
      if (mk_tree_resolve (u->tree, parent[0] ? parent : "/", true, &cparent,
                           err) < 0)
        return mk_error_wrap (err, "%s", nevra);
      canon = strcmp (cparent, "/") == 0 ? xasprintf ("/%s", base)
                                         : xasprintf ("%s/%s", cparent, base);
      if (ensure_dirs (u, cparent, err) < 0)
        return mk_error_wrap (err, "%s", nevra);
    }
  e = mk_tree_lookup (u->tree, canon);
  if (e && e->pkg == st->pkg && !(e->flags & MK_RPMF_GHOST))
    return mk_make_error (err, 0, "%s: `%s` is in the package twice", nevra,
                          canon);
  /* A directory entry that is neither %ghost nor pruned is on disk. */
  dir_exists = e && S_ISDIR (e->mode) && !(e->flags & MK_RPMF_GHOST)
               && !e->removed;
  switch (act = decide (u, e, f, &why))
    {
    case ACT_CONFLICT:
      add_conflict (u, canon, why, e->pkg, nevra);
      return 0;
    case ACT_SKIP:
      return 0;
    case ACT_CREATE:
      e = mk_tree_add (u->tree, canon);
      break;
    case ACT_REPLACE:
    default:
      break;
    }
  if (f->link_set >= 0)
    {
      if (st->inode[f->link_set] == 0)
        st->inode[f->link_set] = u->tree->next_inode++;
      inode = st->inode[f->link_set];
    }
  set_entry (e, f, st->pkg, inode);
  st->canon[i] = steal_pointer (&canon);
  return create_on_disk (u, st, i, st->canon[i], act == ACT_CREATE,
                         dir_exists, err);
}

/* One inode has one mode and owner.  When a package gives the members of
 * a hardlink set different metadata, rpm applies each path's metadata to
 * the shared inode in turn, so the last path's wins; give every member
 * that metadata so any tar extractor ends with what rpm -i would. */
static void
unify_hardlinks (struct mk_unpacker *u, struct pkg_state *st, size_t n)
{
  for (size_t i = 0; i < n; i++)
    {
      const struct mk_rpm_file *f = mk_rpm_file (st->rpm, i);
      struct mk_entry *last = NULL;
      if (f->link_set != (int) i || st->canon[i] == NULL)
        continue;
      for (size_t j = i; j < n; j++)
        if (mk_rpm_file (st->rpm, j)->link_set == (int) i && st->canon[j])
          last = mk_tree_lookup (u->tree, st->canon[j]);
      for (size_t j = i; last && j < n; j++)
        {
          struct mk_entry *e;
          if (mk_rpm_file (st->rpm, j)->link_set != (int) i || !st->canon[j])
            continue;
          e = mk_tree_lookup (u->tree, st->canon[j]);
          if (e == last)
            continue;
          if (e->mode != last->mode)
            mk_debug ("%s: hardlinked %s takes %s's mode %o", mk_rpm_nevra (st->rpm),
                      e->path, last->path, (unsigned) (last->mode & 07777));
          e->mode = last->mode;
          free (e->user);
          free (e->group);
          free (e->caps);
          e->user = xstrdup (last->user);
          e->group = xstrdup (last->group);
          e->caps = last->caps ? xstrdup (last->caps) : NULL;
        }
    }
}

static int
write_contents (struct mk_unpacker *u, struct pkg_state *st, mk_error_t *err)
{
  size_t idx;
  bool has_content;
  int r;
  while ((r = mk_rpm_payload_next (st->rpm, &idx, &has_content, err)) > 0)
    {
      cleanup_close int fd = -1;
      const char *base;
      int pfd;
      if (mk_check_interrupt (err) < 0)
        return -1;
      if (!has_content || !st->writable[idx])
        continue; /* shared with an earlier package, or no data */
      pfd = mk_dircache_parent (u->dirs, st->canon[idx], &base);
      /* No O_TRUNC: create_regular made the file empty in this package.
       * On ext4 an O_TRUNC, even of an empty file, arms auto_da_alloc,
       * which allocates the blocks at close instead of leaving them to
       * delayed allocation, so a file pruned or removed soon after still
       * costs a block free (and a discard) on unlink. */
      if (pfd >= 0)
        fd = TEMP_FAILURE_RETRY (openat (pfd, base, O_WRONLY | O_NOFOLLOW
                                                       | O_CLOEXEC));
      if (fd < 0)
        return mk_make_error (err, errno, "staging: open `%s`",
                              st->canon[idx]);
      if (mk_rpm_payload_copy (st->rpm, fd, NULL, err) < 0)
        return -1;
    }
  return r;
}

/* Copy file `name` of dirfd into the staging file canon, creating it
 * when needed (a hardlink set's shared inode is written in place).  No
 * such file (ENOENT): this index has no content there; nothing to do. */
static int
copy_content (struct mk_unpacker *u, const char *canon, int dirfd,
              const char *name, mk_error_t *err)
{
  cleanup_close int in = TEMP_FAILURE_RETRY (
      openat (dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  cleanup_close int out = -1;

  if (in < 0)
    return errno == ENOENT ? 0
                           : mk_make_error (err, errno, "open `%s`", name);
  out = mk_at_open (u->rootfd, canon, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (out < 0)
    return mk_make_error (err, errno, "staging: open `%s`", canon);
  return mk_copy_fd (in, out, NULL, err, canon);
}

/* Put one file's content in place: a scratch file is renamed over the
 * empty file place_file made, a cache file is hardlinked (the cache keeps
 * it), and either is copied when asked to, or across filesystems. */
static int
take_content (struct mk_unpacker *u, const char *canon,
              const struct mk_extracted *w, const char *name, bool copy,
              mk_error_t *err)
{
  const char *base;
  int pfd = mk_dircache_parent (u->dirs, canon, &base); /* borrowed */
  struct stat st;

  if (pfd < 0)
    return mk_make_error (err, errno, "staging: open parent of `%s`", canon);
  if (fstatat (w->dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    {
      if (errno != ENOENT)
        return mk_make_error (err, errno, "open `%s`", name);
      /* No content under this index (a hardlink set's other members):
       * the file must still exist. */
      return create_empty (pfd, base, 0, canon, err);
    }
  if (copy)
    return copy_content (u, canon, w->dirfd, name, err);
  if (!w->from_cache && renameat (w->dirfd, name, pfd, base) == 0)
    return 0;
  if (w->from_cache)
    {
      unlinkat (pfd, base, 0);
      if (linkat (w->dirfd, name, pfd, base, 0) == 0)
        return 0;
    }
  if (errno != EXDEV && errno != EMLINK)
    return mk_make_error (err, errno, "staging: put `%s` in place", canon);
  return copy_content (u, canon, w->dirfd, name, err);
}

/* Content a worker extracted and checked, or the unpacked cache kept
 * (extract.c), for the files this package puts in: <prefix><file index>.
 * A hardlink set's content is copied into the inode its members share;
 * with copy, everything is copied (scriptlets will write to the staging
 * tree, which must not share inodes with the cache). */
static int
move_contents (struct mk_unpacker *u, struct pkg_state *st, size_t n,
               const struct mk_extracted *w, bool copy, mk_error_t *err)
{
  for (size_t idx = 0; idx < n; idx++)
    {
      char name[64];
      if (!st->writable[idx])
        continue;
      if (mk_check_interrupt (err) < 0)
        return -1;
      snprintf (name, sizeof name, "%s%zu", w->prefix, idx);
      if (take_content (u, st->canon[idx], w, name,
                        copy || mk_rpm_file (st->rpm, idx)->link_set >= 0,
                        err) < 0)
        return -1;
    }
  return 0;
}

/* The name of a hardlink set's content: the last member's file that
 * exists (as move_contents copies each into the shared inode in turn);
 * NULL when none does. */
static char *
set_content (struct pkg_state *st, size_t n, const struct mk_extracted *w,
             int set)
{
  char *found = NULL;
  for (size_t j = 0; j < n; j++)
    {
      char name[64];
      struct stat sb;
      if (mk_rpm_file (st->rpm, j)->link_set != set)
        continue;
      snprintf (name, sizeof name, "%s%zu", w->prefix, j);
      if (fstatat (w->dirfd, name, &sb, AT_SYMLINK_NOFOLLOW) == 0)
        {
          free (found);
          found = xstrdup (name);
        }
    }
  return found;
}

/* MK_CONTENT_SOURCE: every file this package puts in reads its content
 * from w (a copy of its dirfd becomes one of the tree's sources).  A file
 * with content is <prefix><index>; an empty one needs none. */
static int
record_sources (struct mk_unpacker *u, struct pkg_state *st, size_t n,
                const struct mk_extracted *w, mk_error_t *err)
{
  /* A hardlink set's content name, found once per set (link_set is the
   * index of its first member). */
  cleanup_free char **set_names = NULL;
  bool *set_done = NULL;
  int src = 0, r = -1;

  for (size_t idx = 0; idx < n; idx++)
    {
      const struct mk_rpm_file *f = mk_rpm_file (st->rpm, idx);
      struct mk_entry *e;
      cleanup_free char *name = NULL;
      if (!st->writable[idx])
        continue;
      if (src == 0)
        {
          int fd = fcntl (w->dirfd, F_DUPFD_CLOEXEC, 0);
          if (fd < 0)
            {
              mk_make_error (err, errno, "unpacked content: dup");
              goto done;
            }
          src = mk_tree_add_source (u->tree, fd);
        }
      e = mk_tree_lookup (u->tree, st->canon[idx]);
      if (f->link_set >= 0 && (size_t) f->link_set < n)
        {
          if (set_names == NULL)
            {
              set_names = xcalloc (n, sizeof *set_names);
              set_done = xcalloc (n, sizeof *set_done);
            }
          if (!set_done[f->link_set])
            {
              set_names[f->link_set] = set_content (st, n, w, f->link_set);
              set_done[f->link_set] = true;
            }
          mk_tree_set_source (e, src, set_names[f->link_set]);
          continue;
        }
      if (e->size > 0)
        name = xasprintf ("%s%zu", w->prefix, idx);
      mk_tree_set_source (e, src, name);
    }
  r = 0;
done:
  for (size_t i = 0; set_names && i < n; i++)
    free (set_names[i]);
  free (set_done);
  return r;
}

static int
add_package (struct mk_unpacker *u, struct mk_rpm *p,
             const struct mk_extracted *w, enum mk_content_mode mode,
             mk_error_t *err)
{
  bool copy = mode == MK_CONTENT_COPY;
  size_t n = mk_rpm_file_count (p);
  struct pkg_state st = { .rpm = p };
  int r = -1;

  st.deferred = w != NULL;
  st.source = w != NULL && mode == MK_CONTENT_SOURCE;
  /* Whatever ran since the last package (scriptlets) may have changed
   * the tree on disk: no parent fd is kept across packages. */
  mk_dircache_clear (u->dirs);
  st.pkg = mk_tree_add_pkg (u->tree, mk_rpm_nevra (p));
  st.canon = xcalloc (n, sizeof (char *));
  st.writable = xcalloc (n, sizeof (bool));
  st.inode = xcalloc (n, sizeof (int));
  for (size_t i = 0; i < n; i++)
    if (place_file (u, &st, i, err) < 0)
      goto done;
  unify_hardlinks (u, &st, n);
  r = w == NULL    ? write_contents (u, &st, err)
      : st.source ? record_sources (u, &st, n, w, err)
                  : move_contents (u, &st, n, w, copy, err);
done:
  mk_dircache_clear (u->dirs);
  for (size_t i = 0; i < n; i++)
    free (st.canon[i]);
  free (st.canon);
  free (st.writable);
  free (st.inode);
  return r < 0 ? -1 : 0;
}

int
mk_unpacker_add (struct mk_unpacker *u, struct mk_rpm *p, mk_error_t *err)
{
  return add_package (u, p, NULL, MK_CONTENT_MOVE, err);
}

int
mk_unpacker_add_extracted (struct mk_unpacker *u, struct mk_rpm *p,
                           const struct mk_extracted *w,
                           enum mk_content_mode mode, mk_error_t *err)
{
  return add_package (u, p, w, mode, err);
}

int
mk_unpacker_finish (struct mk_unpacker *u, mk_error_t *err)
{
  size_t n = mk_strv_len (u->conflicts);
  char *msg;
  if (n == 0)
    return 0;
  msg = xasprintf ("%zu file conflict%s between packages:", n,
                   n == 1 ? "" : "s");
  for (size_t i = 0; i < n && i < MAX_CONFLICTS_SHOWN; i++)
    {
      char *m = xasprintf ("%s%s %s", msg, i ? ";" : "", u->conflicts[i]);
      free (msg);
      msg = m;
    }
  if (n > MAX_CONFLICTS_SHOWN)
    {
      char *m = xasprintf ("%s; and %zu more", msg, n - MAX_CONFLICTS_SHOWN);
      free (msg);
      msg = m;
    }
  mk_make_error (err, 0, "%s", msg);
  free (msg);
  return -1;
}

/* A file mkbase makes itself (the rpm database, the package manifest):
 * its parents resolve against the image's symlinks like a package's
 * would, missing ones become implied directories, and the content is
 * copied from src_fd.  The entry belongs to no package, is root-owned and
 * dated mtime.  A package's file at that path is replaced. */
int
mk_unpacker_put_file (struct mk_unpacker *u, const char *path, mode_t mode,
                      int src_fd, int64_t mtime, struct mk_entry **out,
                      mk_error_t *err)
{
  cleanup_free char *norm = mk_tree_normalize (path);
  cleanup_free char *parent = NULL, *cparent = NULL, *canon = NULL;
  cleanup_close int pfd = -1, fd = -1;
  struct mk_entry *e;
  const char *base;
  uint64_t size = 0;

  if (norm == NULL || strcmp (norm, "/") == 0)
    return mk_make_error (err, EINVAL, "staging: bad path `%s`", path);
  parent = xstrndup (norm, (size_t) (strrchr (norm, '/') - norm));
  if (mk_tree_resolve (u->tree, parent[0] ? parent : "/", true, &cparent,
                       err) < 0
      || ensure_dirs (u, cparent, err) < 0)
    return -1;
  canon = xasprintf ("%s/%s", strcmp (cparent, "/") ? cparent : "",
                     strrchr (norm, '/') + 1);
  pfd = mk_at_open_parent (u->rootfd, canon, &base);
  if (pfd < 0)
    return mk_make_error (err, errno, "staging: open parent of `%s`", canon);
  unlinkat (pfd, base, 0);
  fd = TEMP_FAILURE_RETRY (openat (pfd, base, O_WRONLY | O_CREAT | O_EXCL
                                                  | O_NOFOLLOW | O_CLOEXEC,
                                   0600));
  if (fd < 0)
    return mk_make_error (err, errno, "staging: create `%s`", canon);
  if (mk_copy_fd (src_fd, fd, &size, err, canon) < 0)
    return -1;
  e = mk_tree_lookup (u->tree, canon);
  if (e == NULL)
    e = mk_tree_add (u->tree, canon);
  free (e->user), free (e->group), free (e->lang), free (e->caps);
  free (e->linkto), free (e->digest), free (e->src_name);
  *e = (struct mk_entry){ .path = e->path, .mode = S_IFREG | (mode & 07777),
                          .user = xstrdup ("root"), .group = xstrdup ("root"),
                          .size = size, .mtime = mtime, .pkg = -1 };
  if (out)
    *out = e;
  return 0;
}
