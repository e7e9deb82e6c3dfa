/* tree.h: the image manifest: every path of the staging tree with the
 * metadata the tar needs (owners, modes, caps, device numbers) that the
 * staging files themselves never carry, so the build works unprivileged
 * and the output does not depend on who ran it. */
#ifndef MK_TREE_H
#define MK_TREE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"

enum
{
  MK_ENTRY_IMPLIED = 1 << 8, /* a parent directory no package declared */
  MK_ENTRY_SCRIPTED = 1 << 9, /* made or changed by an install scriptlet;
                                 user/group NULL: uid/gid are numbers */
  MK_ENTRY_PENDING = 1 << 10, /* content still being made (pkgdb.c): an
                                 empty placeholder until pack.c's fill
                                 hook runs */
};

struct mk_entry
{
  char *path;     /* canonical, absolute: "/", "/usr", "/usr/bin/bash" */
  mode_t mode;    /* type and permission bits as the package states them */
  char *user;     /* owner names from the header */
  char *group;
  uint32_t uid;   /* filled by mk_tree_map_owners from the image's files */
  uint32_t gid;
  uint64_t size;
  int64_t mtime;
  unsigned flags; /* MK_RPMF_* | MK_ENTRY_* */
  char *lang;
  char *caps;     /* text form, NULL when none */
  char *linkto;   /* symlink target */
  uint64_t rdev;
  char *digest;
  int inode;      /* hardlink group, 0 when not hardlinked */
  int pkg;        /* index into mk_tree.pkgs, -1 when implied */
  bool removed;   /* pruned */
  bool has_child; /* scratch for prune.c */
  uint64_t layers; /* layers.c: bit k set when layer k carries the entry */
  /* Where a regular file's content is when it is not in the staging tree
   * (a rebuild from the unpacked cache writes no staging file):
   * src_name in the directory mk_tree_add_source returned src for.
   * src 0: the staging tree; src_name NULL with src set: empty. */
  int src;
  char *src_name;
};

struct mk_tree
{
  struct mk_entry **entries;
  size_t n, cap;
  size_t *slots;  /* open-addressing hash: index+1, 0 = empty */
  size_t n_slots;
  char **pkgs;    /* package names (NEVRA), by index */
  size_t n_pkgs;
  int next_inode;
  int *src_fds;   /* directories content is read from (entry src - 1) */
  size_t n_src;
};

struct mk_tree *mk_tree_new (void);
void mk_tree_free (struct mk_tree *t);
static inline void
cleanup_treep (struct mk_tree **t)
{
  mk_tree_free (*t);
}
#define cleanup_tree __attribute__ ((cleanup (cleanup_treep)))

struct mk_entry *mk_tree_lookup (struct mk_tree *t, const char *path);
/* Add a new entry (path must not exist yet); fields zeroed, pkg = -1. */
struct mk_entry *mk_tree_add (struct mk_tree *t, const char *path);
int mk_tree_add_pkg (struct mk_tree *t, const char *name);

/* Own fd (a directory of content files) as a source; returns the value
 * for mk_entry.src. */
int mk_tree_add_source (struct mk_tree *t, int fd);
/* Point e's content at file name (NULL: empty) of source src. */
void mk_tree_set_source (struct mk_entry *e, int src, const char *name);
/* Open a regular file's content for reading: its source, or the file at
 * its path in the staging tree (mk_at_open through rootfd). */
int mk_tree_open_content (const struct mk_tree *t, int rootfd,
                          const struct mk_entry *e);

/* Check a path from a package: absolute, no "..", no NUL-less oddities
 * that could escape, not too long.  Returns a normalised copy ("//a/./b"
 * -> "/a/b") or NULL with errno set (EINVAL, ENAMETOOLONG). */
char *mk_tree_normalize (const char *path);

/* Resolve a normalised path against the image's own symlinks, entirely in
 * memory and clamped to the image root (an absolute target or a ".." at
 * the root stays inside, like RESOLVE_IN_ROOT).  The final component is
 * followed only when follow_last.  Components that do not exist yet are
 * kept as they are (they become implied directories).  Fails with ELOOP
 * after 40 links and ENOTDIR when a non-directory is used as a directory. */
int mk_tree_resolve (struct mk_tree *t, const char *path, bool follow_last,
                     char **canon, mk_error_t *err);

/* Entries that go into the image (not removed, not %ghost), sorted by path
 * bytewise, so a directory always precedes its contents.  The array is
 * the caller's; the entries are borrowed. */
struct mk_entry **mk_tree_sorted (struct mk_tree *t, size_t *n);

/* Map owner names to numbers through the image's /etc/passwd and
 * /etc/group (read through rootfd), never the host's.  Unknown names
 * become 0 with a warning naming the package and file. */
int mk_tree_map_owners (struct mk_tree *t, int rootfd, mk_error_t *err);

/* Owner names -> numbers from the text of a passwd or group file (the
 * first entry of a name wins; malformed lines are skipped, as getpwent
 * does); "root" is always 0.  mkbase verify maps names as the build did. */
struct mk_idmap
{
  char **names;
  uint32_t *ids;
  size_t n;
};
void mk_idmap_parse (struct mk_idmap *m, char *buf); /* modifies buf */
bool mk_idmap_get (const struct mk_idmap *m, const char *name, uint32_t *id);
void mk_idmap_free (struct mk_idmap *m);

#endif
