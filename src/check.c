/* check.c: the image check after pruning (check.h).  A profile can remove
 * what a program needs (a library, an interpreter, a symlink's target);
 * this finds it before the tar is written, so the build fails instead of
 * the image.
 *
 * Everything comes from the manifest (what is in the image, what was
 * pruned, what is a %ghost) and from the first bytes of files in the
 * staging tree, read through the root fd only.  Paths inside the image
 * are followed with mk_tree_resolve, in memory and clamped to the image
 * root, never through the host's file system.  Of a file only the first
 * bytes are read, and of an ELF file the headers, the dynamic section and
 * its strings (elfinfo.c, which treats the file as hostile input), so the
 * check costs a few milliseconds on a 2,000-entry image.
 *
 * What pruning removed is a problem, which fails the build unless a
 * recipe's allow_broken glob accepts it; what no package ever had is a
 * warning (see level_of).  A locale the image lacks is always a problem.
 *
 * Library lookup follows ld.so: DT_RPATH (when there is no DT_RUNPATH),
 * LD_LIBRARY_PATH from the recipe's env, DT_RUNPATH ($ORIGIN, $LIB and
 * $PLATFORM expanded), the image's /etc/ld.so.conf with its includes, then
 * the default directories with the multiarch ones; a library of another
 * ELF class or machine is skipped, as ld.so does.  libc only. */
#define _GNU_SOURCE
#include "check.h"

#include <ctype.h>
#include <elf.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>

#include "elfinfo.h"
#include "rpm.h"
#include "util.h"

#define HEAD_BYTES 256      /* Linux's BINPRM_BUF_SIZE: all of #! it reads */
#define HEAD_READ 1024      /* what is read of a file at once */
#define MAX_CONF_BYTES (1u << 20)
#define MAX_CONF_DEPTH 8
#define MAX_WARNINGS_SHOWN 20

static const char default_path[]
    = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/* ---- the report --------------------------------------------------------- */

/* Why a path is not in the image, in increasing order of interest. */
enum why
{
  WHY_ABSENT, /* no package has it */
  WHY_GHOST,  /* a %ghost: made at run time, never packed */
  WHY_PRUNED, /* the profile removed it, or a directory on its way */
};

static const char *
why_text (enum why w)
{
  switch (w)
    {
    case WHY_PRUNED:
      return "not in the image (pruned)";
    case WHY_GHOST:
      return "not in the image (a %ghost file)";
    case WHY_ABSENT:
    default:
      return "not in the image (no package has it)";
    }
}

/* Pruning is what the check guards against: what a profile removed fails
 * the build.  A file no package ever had (dependency metadata that lies,
 * an alternatives link the skipped scriptlets would have made) is broken
 * the same way under rpm -i, so it is reported but does not fail the
 * build; the same goes for a %ghost, which the package says is made at run
 * time. */
static enum mk_check_level
level_of (enum why w)
{
  return w == WHY_PRUNED ? MK_CHECK_PROBLEM : MK_CHECK_WARNING;
}

struct obj
{
  struct mk_entry *e;
  struct mk_elfinfo elf;
};

struct lib_memo
{
  char *name;
  bool is64;
  unsigned machine;
  struct mk_entry *found;
  enum why why;
};

struct check
{
  struct mk_tree *t;
  int rootfd;
  const struct mk_check_opts *o;
  struct mk_check_report *rep;
  struct mk_entry **sorted; /* the image, by path */
  size_t n_sorted;
  struct obj *objs;         /* the ELF files, by path */
  size_t n_objs;
  char **conf_dirs;         /* from the image's /etc/ld.so.conf */
  char **env_lib_dirs;      /* LD_LIBRARY_PATH of the recipe's env */
  char **path_dirs;         /* PATH of the recipe's env, or the usual */
  struct lib_memo *memo;    /* system-path lookups already made */
  size_t n_memo;
  char *dir;                /* the directory dirfd is open on */
  int dirfd;                /* O_PATH, opened through rootfd */
};

static void add_item (struct check *c, enum mk_check_level level,
                      const char *path, const char *missing,
                      const char *fmt, ...)
    __attribute__ ((format (printf, 5, 6)));

static void
add_item (struct check *c, enum mk_check_level level, const char *path,
          const char *missing, const char *fmt, ...)
{
  struct mk_check_report *r = c->rep;
  struct mk_check_item *it;
  va_list ap;

  r->items = xreallocarray (r->items, r->n + 1, sizeof *r->items);
  it = &r->items[r->n++];
  *it = (struct mk_check_item){ .level = level, .path = xstrdup (path),
                                .missing = missing ? xstrdup (missing) : NULL };
  va_start (ap, fmt);
  if (vasprintf (&it->reason, fmt, ap) < 0)
    abort ();
  va_end (ap);
}

static bool
live (const struct mk_entry *e)
{
  return e && !e->removed && !(e->flags & MK_RPMF_GHOST);
}

/* Why canon (a resolved path) is not a live entry. */
static enum why
absent_why (struct mk_tree *t, const char *canon)
{
  cleanup_free char *p = xstrdup (canon);
  struct mk_entry *e = mk_tree_lookup (t, p);
  enum why w = WHY_ABSENT;

  if (e && e->removed)
    return WHY_PRUNED;
  if (e && (e->flags & MK_RPMF_GHOST))
    w = WHY_GHOST;
  for (char *s = strrchr (p, '/'); s && s > p; s = strrchr (p, '/'))
    {
      *s = '\0';
      e = mk_tree_lookup (t, p);
      if (e && e->removed)
        return WHY_PRUNED;
    }
  return w;
}

/* The live entry path leads to inside the image, following its symlinks;
 * otherwise NULL, and *why (when given) is raised to the reason. */
static struct mk_entry *
lookup_live (struct check *c, const char *path, enum why *why)
{
  cleanup_free char *canon = NULL;
  mk_error_t e = NULL;
  struct mk_entry *x;

  if (mk_tree_resolve (c->t, path, true, &canon, &e) < 0)
    {
      mk_error_release (&e);
      return NULL;
    }
  x = mk_tree_lookup (c->t, canon);
  if (live (x))
    return x;
  if (why)
    {
      enum why w = absent_why (c->t, canon);
      if (w > *why)
        *why = w;
    }
  return NULL;
}

static const char *
base_name (const char *p)
{
  const char *s = strrchr (p, '/');
  return s ? s + 1 : p;
}

/* The convention of profile globs (prune.c): with a '/', the whole path,
 * '*' crossing directories; without, the last component anywhere. */
static bool
glob_match (const char *glob, const char *s)
{
  if (strchr (glob, '/'))
    return fnmatch (glob, s, 0) == 0;
  return fnmatch (glob, base_name (s), 0) == 0;
}

static const char *
env_get (char *const *env, const char *key)
{
  const char *v = NULL;
  size_t kl = strlen (key);
  for (size_t i = 0; env && env[i]; i++)
    if (strncmp (env[i], key, kl) == 0 && env[i][kl] == '=')
      v = env[i] + kl + 1; /* the last one wins, as in a shell */
  return v;
}

static void
split_list (const char *s, const char *seps, char ***out)
{
  cleanup_free char *copy = xstrdup (s);
  char *save = NULL;
  for (char *w = strtok_r (copy, seps, &save); w;
       w = strtok_r (NULL, seps, &save))
    if (!mk_strv_contains (*out, w))
      mk_strv_push (out, xstrdup (w));
}

/* ---- library lookup ----------------------------------------------------- */

static const struct obj *
find_obj (const struct check *c, const struct mk_entry *e)
{
  size_t lo = 0, hi = c->n_objs;
  while (lo < hi)
    {
      size_t mid = lo + (hi - lo) / 2;
      int cmp = strcmp (c->objs[mid].e->path, e->path);
      if (cmp == 0)
        return &c->objs[mid];
      if (cmp < 0)
        lo = mid + 1;
      else
        hi = mid;
    }
  return NULL;
}

/* Debian's multiarch directory names for an object's machine. */
static const char *
triplet (const struct mk_elfinfo *i)
{
  switch (i->machine)
    {
    case EM_X86_64:
      return i->is64 ? "x86_64-linux-gnu" : "x86_64-linux-gnux32";
    case EM_386:
      return "i386-linux-gnu";
    case EM_AARCH64:
      return "aarch64-linux-gnu";
    case EM_ARM:
      return "arm-linux-gnueabihf";
    case EM_PPC64:
      return i->big_endian ? "powerpc64-linux-gnu" : "powerpc64le-linux-gnu";
    case EM_S390:
      return "s390x-linux-gnu";
    case EM_RISCV:
      return "riscv64-linux-gnu";
    default:
      return NULL;
    }
}

static const char *
platform (const struct mk_elfinfo *i)
{
  switch (i->machine)
    {
    case EM_X86_64:
      return "x86_64";
    case EM_386:
      return "i686";
    case EM_AARCH64:
      return "aarch64";
    default:
      return "unknown";
    }
}

/* One DT_RPATH/DT_RUNPATH element with ld.so's tokens expanded; $LIB
 * stands for lib64 on RPM distributions and lib/<triplet> on Debian, so
 * both are tried. */
static void
expand_dir (const char *dir, const struct obj *o, char ***out)
{
  cleanup_free char *origin = xstrdup (o->e->path);
  cleanup_free char *deb = NULL;
  const char *libs[3] = { o->elf.is64 ? "lib64" : "lib", NULL, NULL };
  const char *trip = triplet (&o->elf);

  *strrchr (origin, '/') = '\0';
  if (trip)
    libs[1] = deb = xasprintf ("lib/%s", trip);
  for (size_t i = 0; libs[i]; i++)
    {
      char *a = mk_str_replace_all (dir, "${ORIGIN}", origin);
      char *b = mk_str_replace_all (a, "$ORIGIN", origin);
      char *c2 = mk_str_replace_all (b, "${LIB}", libs[i]);
      char *d = mk_str_replace_all (c2, "$LIB", libs[i]);
      char *e = mk_str_replace_all (d, "${PLATFORM}", platform (&o->elf));
      char *f = mk_str_replace_all (e, "$PLATFORM", platform (&o->elf));
      /* A relative element is relative to the process's cwd: unknowable. */
      if (f[0] == '/' && !mk_strv_contains (*out, f))
        mk_strv_push (out, steal_pointer (&f));
      free (a), free (b), free (c2), free (d), free (e), free (f);
      if (strstr (dir, "LIB") == NULL)
        break;
    }
}

/* A live regular file at dir/name of the object's class and machine. */
static struct mk_entry *
lib_in (struct check *c, const struct obj *o, const char *dir,
        const char *name, enum why *why)
{
  cleanup_free char *p = xasprintf ("%s/%s", dir, name);
  struct mk_entry *x = lookup_live (c, p, why);
  const struct obj *q;

  if (x == NULL || !S_ISREG (x->mode))
    return NULL;
  q = find_obj (c, x);
  if (q && (q->elf.is64 != o->elf.is64 || q->elf.machine != o->elf.machine))
    return NULL; /* ld.so skips it and searches on */
  return x;
}

static struct mk_entry *
lib_in_list (struct check *c, const struct obj *o, char *const *dirs,
             const char *name, enum why *why)
{
  for (size_t i = 0; dirs && dirs[i]; i++)
    {
      struct mk_entry *x = lib_in (c, o, dirs[i], name, why);
      if (x)
        return x;
    }
  return NULL;
}

static void
default_dirs (const struct obj *o, char ***dirs)
{
  const char *trip = triplet (&o->elf);
  if (trip)
    {
      mk_strv_push (dirs, xasprintf ("/lib/%s", trip));
      mk_strv_push (dirs, xasprintf ("/usr/lib/%s", trip));
    }
  if (o->elf.is64)
    {
      mk_strv_push (dirs, xstrdup ("/lib64"));
      mk_strv_push (dirs, xstrdup ("/usr/lib64"));
    }
  else
    {
      mk_strv_push (dirs, xstrdup ("/lib32"));
      mk_strv_push (dirs, xstrdup ("/usr/lib32"));
    }
  mk_strv_push (dirs, xstrdup ("/lib"));
  mk_strv_push (dirs, xstrdup ("/usr/lib"));
}

/* ld.so.conf's directories, then the defaults; the same for every object
 * of one class and machine, so each name is looked up once. */
static struct mk_entry *
lib_in_system (struct check *c, const struct obj *o, const char *name,
               enum why *why)
{
  cleanup_strv char **dirs = NULL;
  struct lib_memo *m;

  for (size_t i = 0; i < c->n_memo; i++)
    {
      m = &c->memo[i];
      if (m->is64 == o->elf.is64 && m->machine == o->elf.machine
          && strcmp (m->name, name) == 0)
        {
          if (m->why > *why)
            *why = m->why;
          return m->found;
        }
    }
  c->memo = xreallocarray (c->memo, c->n_memo + 1, sizeof *c->memo);
  m = &c->memo[c->n_memo++];
  *m = (struct lib_memo){ .name = xstrdup (name), .is64 = o->elf.is64,
                          .machine = o->elf.machine };
  default_dirs (o, &dirs);
  m->found = lib_in_list (c, o, c->conf_dirs, name, &m->why);
  if (m->found == NULL)
    m->found = lib_in_list (c, o, dirs, name, &m->why);
  if (m->why > *why)
    *why = m->why;
  return m->found;
}

static struct mk_entry *
find_library (struct check *c, const struct obj *o, const char *name,
              enum why *why)
{
  cleanup_strv char **rpath = NULL;
  cleanup_strv char **runpath = NULL;
  cleanup_strv char **words = NULL;
  struct mk_entry *x;

  if (name[0] == '/')
    {
      x = lookup_live (c, name, why);
      return x && S_ISREG (x->mode) ? x : NULL;
    }
  /* DT_RPATH counts only without DT_RUNPATH (ld.so(8)). */
  if (o->elf.rpath && !o->elf.runpath)
    split_list (o->elf.rpath, ":", &words);
  for (size_t i = 0; words && words[i]; i++)
    expand_dir (words[i], o, &rpath);
  mk_strv_free (steal_pointer (&words));
  if (o->elf.runpath)
    split_list (o->elf.runpath, ":", &words);
  for (size_t i = 0; words && words[i]; i++)
    expand_dir (words[i], o, &runpath);
  if ((x = lib_in_list (c, o, rpath, name, why))
      || (x = lib_in_list (c, o, c->env_lib_dirs, name, why))
      || (x = lib_in_list (c, o, runpath, name, why)))
    return x;
  return lib_in_system (c, o, name, why);
}

/* A library that is in the image but outside every directory searched:
 * ld.so finds it only when another object loaded it first (plugins). */
static const struct mk_entry *
elsewhere (const struct check *c, const char *name)
{
  for (size_t i = 0; i < c->n_sorted; i++)
    if (S_ISREG (c->sorted[i]->mode)
        && strcmp (base_name (c->sorted[i]->path), name) == 0)
      return c->sorted[i];
  return NULL;
}

static void
check_elf (struct check *c, const struct obj *o)
{
  const char *path = o->e->path;
  enum why why;

  if (o->elf.interp)
    {
      struct mk_entry *x;
      why = WHY_ABSENT;
      x = lookup_live (c, o->elf.interp, &why);
      if (x == NULL || !S_ISREG (x->mode))
        add_item (c, level_of (why), path, o->elf.interp,
                  "needs its ELF interpreter %s (PT_INTERP), %s",
                  o->elf.interp, why_text (why));
    }
  for (size_t i = 0; o->elf.needed && o->elf.needed[i]; i++)
    {
      const char *name = o->elf.needed[i];
      const struct mk_entry *other;
      why = WHY_ABSENT;
      if (strchr (name, '/') && name[0] != '/')
        continue; /* relative to the process's cwd */
      if (find_library (c, o, name, &why))
        continue;
      other = why == WHY_ABSENT ? elsewhere (c, name) : NULL;
      if (other)
        add_item (c, MK_CHECK_WARNING, path, name,
                  "needs %s (DT_NEEDED), found only at %s, outside the "
                  "library path", name, other->path);
      else
        add_item (c, level_of (why), path, name,
                  "needs %s (DT_NEEDED), %s", name, why_text (why));
    }
}

/* ---- ld.so.conf --------------------------------------------------------- */

/* Read a small file of the image (resolved in the manifest, read through
 * the root fd); *buf stays NULL when the image has none. */
static int
read_image_file (struct check *c, const char *path, char **buf,
                 mk_error_t *err)
{
  cleanup_close int fd = -1;
  struct mk_entry *x = lookup_live (c, path, NULL);

  if (x == NULL || !S_ISREG (x->mode))
    return 0;
  fd = mk_tree_open_content (c->t, c->rootfd, x);
  if (fd < 0)
    return mk_make_error (err, errno, "check: open `%s` in the image",
                          x->path);
  return mk_read_fd (fd, MAX_CONF_BYTES, buf, NULL, err, x->path);
}

static int read_ld_conf (struct check *c, const char *path, int depth,
                         mk_error_t *err);

/* `include GLOB`: the glob's last component is matched against the
 * manifest's entries in its directory, in sorted order as glob(3) gives
 * them to ldconfig. */
static int
ld_conf_include (struct check *c, const char *from, const char *pattern,
                 int depth, mk_error_t *err)
{
  cleanup_free char *full = NULL;
  cleanup_free char *canon = NULL;
  mk_error_t e = NULL;
  char *slash;
  size_t dl;

  if (pattern[0] == '/')
    full = xstrdup (pattern);
  else
    full = xasprintf ("%.*s/%s", (int) (strrchr (from, '/') - from), from,
                      pattern);
  slash = strrchr (full, '/');
  *slash = '\0';
  if (strpbrk (full, "*?[") != NULL)
    return 0; /* wildcards in directories: ldconfig-only, rare */
  if (mk_tree_resolve (c->t, *full ? full : "/", true, &canon, &e) < 0)
    {
      mk_error_release (&e);
      return 0;
    }
  dl = strcmp (canon, "/") == 0 ? 0 : strlen (canon);
  for (size_t i = 0; i < c->n_sorted; i++)
    {
      const char *p = c->sorted[i]->path;
      if (strncmp (p, canon, dl) == 0 && p[dl] == '/'
          && strchr (p + dl + 1, '/') == NULL
          && fnmatch (slash + 1, p + dl + 1, FNM_PERIOD) == 0
          && read_ld_conf (c, p, depth + 1, err) < 0)
        return -1;
    }
  return 0;
}

static int
read_ld_conf (struct check *c, const char *path, int depth, mk_error_t *err)
{
  cleanup_free char *buf = NULL;
  char *save = NULL;

  if (depth > MAX_CONF_DEPTH)
    return 0;
  if (read_image_file (c, path, &buf, err) < 0)
    return -1;
  for (char *line = buf ? strtok_r (buf, "\n", &save) : NULL; line;
       line = strtok_r (NULL, "\n", &save))
    {
      *strchrnul (line, '#') = '\0';
      while (isspace ((unsigned char) *line))
        line++;
      if (strncmp (line, "include", 7) == 0
          && isspace ((unsigned char) line[7]))
        {
          cleanup_strv char **pats = NULL;
          split_list (line + 8, " \t\r", &pats);
          for (size_t i = 0; pats && pats[i]; i++)
            if (ld_conf_include (c, path, pats[i], depth, err) < 0)
              return -1;
        }
      else if (strncmp (line, "hwcap", 5) != 0)
        {
          cleanup_strv char **dirs = NULL;
          split_list (line, " \t\r,:", &dirs);
          for (size_t i = 0; dirs && dirs[i]; i++)
            {
              *strchrnul (dirs[i], '=') = '\0'; /* old "dir=TYPE" */
              if (dirs[i][0] == '/' && !mk_strv_contains (c->conf_dirs,
                                                          dirs[i]))
                mk_strv_push (&c->conf_dirs, xstrdup (dirs[i]));
            }
        }
    }
  return 0;
}

/* ---- files: ELF and #! -------------------------------------------------- */

/* Files worth opening: executables, and shared objects, which Debian
 * ships 0644.  %doc files (example scripts) are not run by the system. */
static bool
worth_reading (const struct mk_entry *e)
{
  if (!S_ISREG (e->mode) || (e->flags & MK_RPMF_DOC)
      || mk_str_has_prefix (e->path, "/usr/lib/debug/"))
    return false;
  return (e->mode & 0111) || strstr (base_name (e->path), ".so") != NULL;
}

/* An executable in the PATH directories (`#!/usr/bin/env NAME`). */
static bool
in_path (struct check *c, const char *name, enum why *why)
{
  for (size_t i = 0; c->path_dirs && c->path_dirs[i]; i++)
    {
      cleanup_free char *p = xasprintf ("%s/%s", c->path_dirs[i], name);
      struct mk_entry *x = lookup_live (c, p, why);
      if (x && S_ISREG (x->mode) && (x->mode & 0111))
        return true;
    }
  return false;
}

/* The command of `#!/usr/bin/env [-S] [-i] [NAME=VALUE...] NAME`. */
static const char *
env_command (char *const *words)
{
  for (size_t i = 0; words && words[i]; i++)
    {
      if (mk_str_has_prefix (words[i], "-S") && words[i][2])
        return words[i] + 2;
      if (words[i][0] == '-' || strchr (words[i], '='))
        continue;
      return words[i];
    }
  return NULL;
}

static void
check_env_script (struct check *c, const struct mk_entry *e,
                  const char *interp, const char *args)
{
  cleanup_strv char **words = NULL;
  const char *name;
  enum why why = WHY_ABSENT;

  split_list (args, " \t", &words);
  name = env_command (words);
  if (name == NULL)
    return;
  if (strchr (name, '/'))
    {
      struct mk_entry *x = lookup_live (c, name, &why);
      if (x == NULL || !S_ISREG (x->mode))
        add_item (c, level_of (why), e->path, name,
                  "#!%s %s: %s is %s", interp, name, name, why_text (why));
      return;
    }
  if (!in_path (c, name, &why))
    add_item (c, level_of (why), e->path, name,
              "#!%s %s: %s is in no PATH directory of the image%s", interp,
              name, name, why == WHY_PRUNED ? " (pruned)" : "");
}

static void
check_script (struct check *c, const struct mk_entry *e, const char *head,
              size_t n)
{
  char line[HEAD_BYTES + 1];
  char *interp, *args, *end;
  struct mk_entry *x;
  enum why why = WHY_ABSENT;

  c->rep->n_scripts++;
  memcpy (line, head + 2, n - 2);
  line[n - 2] = '\0';
  *strchrnul (line, '\n') = '\0';
  interp = line + strspn (line, " \t");
  end = interp + strcspn (interp, " \t");
  args = *end ? end + 1 : end;
  *end = '\0';
  if (*interp == '\0')
    {
      add_item (c, MK_CHECK_WARNING, e->path, NULL, "empty #! line");
      return;
    }
  if (interp[0] != '/')
    return; /* relative to the cwd of whoever runs it */
  x = lookup_live (c, interp, &why);
  if (x == NULL || !S_ISREG (x->mode))
    add_item (c, level_of (why), e->path, interp, "#! interpreter %s: %s",
              interp, why_text (why));
  else if (!(x->mode & 0111))
    add_item (c, MK_CHECK_WARNING, e->path, interp,
              "#! interpreter %s is not executable", interp);
  else if (strcmp (base_name (interp), "env") == 0)
    check_env_script (c, e, interp, args);
}

/* Open a file of the staging tree.  Entries come in path order, so the
 * directory stays open across its files: one kernel walk from the root per
 * directory (mk_at_open, no symlinks), then an O_NOFOLLOW openat of the
 * last component. */
static int
open_staged (struct check *c, const char *path)
{
  const char *slash = strrchr (path, '/');
  size_t dl = (size_t) (slash - path);

  if (c->dir == NULL || strlen (c->dir) != dl
      || strncmp (c->dir, path, dl) != 0)
    {
      free (c->dir);
      if (c->dirfd >= 0)
        close (c->dirfd);
      c->dir = xstrndup (path, dl);
      c->dirfd = mk_at_open (c->rootfd, dl ? c->dir : "/",
                             O_PATH | O_DIRECTORY, 0);
      if (c->dirfd < 0)
        {
          int saved = errno;
          free (steal_pointer (&c->dir));
          errno = saved;
          return -1;
        }
    }
  return TEMP_FAILURE_RETRY (
      openat (c->dirfd, slash + 1, O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
}

static int
scan_file (struct check *c, struct mk_entry *e, mk_error_t *err)
{
  cleanup_close int fd = -1;
  unsigned char head[HEAD_READ];
  ssize_t n;
  struct mk_elfinfo elf = { 0 };
  mk_error_t bad = NULL;
  int r;

  fd = e->src ? mk_tree_open_content (c->t, c->rootfd, e)
              : open_staged (c, e->path);
  if (fd < 0)
    return mk_make_error (err, errno, "check: open `%s` in the staging tree",
                          e->path);
  n = TEMP_FAILURE_RETRY (pread (fd, head, sizeof head, 0));
  if (n < 0)
    return mk_make_error (err, errno, "check: read `%s`", e->path);
  if ((e->mode & 0111) && n >= 2 && head[0] == '#' && head[1] == '!')
    {
      check_script (c, e, (const char *) head,
                    n < HEAD_BYTES ? (size_t) n : HEAD_BYTES);
      return 0;
    }
  if (n < SELFMAG || memcmp (head, ELFMAG, SELFMAG) != 0)
    return 0;
  r = mk_elfinfo_read_head (fd, head, (size_t) n, &elf, &bad);
  if (r < 0)
    {
      add_item (c, MK_CHECK_WARNING, e->path, NULL, "%s", bad->msg);
      mk_error_release (&bad);
      return 0;
    }
  if (r == 0)
    return 0;
  c->objs = xreallocarray (c->objs, c->n_objs + 1, sizeof *c->objs);
  c->objs[c->n_objs++] = (struct obj){ .e = e, .elf = elf };
  c->rep->n_elf++;
  return 0;
}

/* ---- symlinks ----------------------------------------------------------- */

/* Kernel file systems and run-time state: mounted or made when the image
 * runs, never in a package. */
static bool
virtual_path (const char *p)
{
  static const char *const dirs[] = { "/proc", "/sys", "/dev", "/run" };
  for (size_t i = 0; i < ARRAY_SIZE (dirs); i++)
    {
      size_t l = strlen (dirs[i]);
      if (strncmp (p, dirs[i], l) == 0 && (p[l] == '\0' || p[l] == '/'))
        return true;
    }
  return false;
}

static void
check_symlink (struct check *c, const struct mk_entry *e)
{
  cleanup_free char *canon = NULL;
  mk_error_t bad = NULL;
  enum why why;

  c->rep->n_links++;
  if (mk_tree_resolve (c->t, e->path, true, &canon, &bad) < 0)
    {
      add_item (c, MK_CHECK_WARNING, e->path, e->linkto,
                "symlink to %s: cannot be followed: %s", e->linkto,
                strerror (bad->errnum));
      mk_error_release (&bad);
      return;
    }
  if (live (mk_tree_lookup (c->t, canon)))
    return;
  why = absent_why (c->t, canon);
  if (why == WHY_PRUNED)
    add_item (c, MK_CHECK_PROBLEM, e->path, canon,
              "symlink to %s: the target %s was pruned", e->linkto, canon);
  else if (why == WHY_ABSENT && !virtual_path (canon))
    add_item (c, MK_CHECK_WARNING, e->path, canon,
              "symlink to %s: dangling (no package has %s)", e->linkto,
              canon);
}

/* ---- locale ------------------------------------------------------------- */

char *
mk_check_locale_normalize (const char *name)
{
  const char *dot = strchr (name, '.');
  const char *at = strchr (name, '@');
  char *out, *o;
  bool digits = true;

  if (dot == NULL || (at && at < dot))
    return xstrdup (name);
  if (at == NULL)
    at = name + strlen (name);
  o = out = xmalloc (strlen (name) + 4);
  memcpy (o, name, (size_t) (dot - name) + 1);
  o += dot - name + 1;
  for (const char *p = dot + 1; p < at; p++)
    if (isalpha ((unsigned char) *p))
      digits = false;
  if (digits)
    o = stpcpy (o, "iso");
  for (const char *p = dot + 1; p < at; p++)
    if (isalnum ((unsigned char) *p))
      *o++ = (char) tolower ((unsigned char) *p);
  strcpy (o, at);
  return out;
}

static void
check_one_locale (struct check *c, const char *var, const char *value,
                  const char *source)
{
  cleanup_free char *norm = NULL;
  cleanup_free char *p1 = NULL;
  cleanup_free char *p2 = NULL;
  enum why why = WHY_ABSENT;

  if (*value == '\0' || strchr (value, '/'))
    return;
  norm = mk_check_locale_normalize (value);
  if (strcmp (value, "C") == 0 || strcmp (value, "POSIX") == 0
      || strcmp (norm, "C.utf8") == 0)
    return; /* built into glibc (2.35 and later for C.UTF-8) */
  p1 = xasprintf ("/usr/lib/locale/%s", value);
  p2 = xasprintf ("/usr/lib/locale/%s", norm);
  if (lookup_live (c, p1, &why) || lookup_live (c, p2, &why)
      || lookup_live (c, "/usr/lib/locale/locale-archive", &why))
    return;
  add_item (c, MK_CHECK_PROBLEM, p2, value,
            "%s=%s (%s): neither %s nor /usr/lib/locale/locale-archive is in "
            "the image%s", var, value, source, p2,
            why == WHY_PRUNED ? " (pruned)" : "");
}

/* LANG from a shell-like assignment file (locale.conf, default/locale). */
static char *
conf_lang (char *buf)
{
  char *save = NULL;
  for (char *line = strtok_r (buf, "\n", &save); line;
       line = strtok_r (NULL, "\n", &save))
    {
      char *v;
      size_t l;
      line += strspn (line, " \t");
      if (mk_str_has_prefix (line, "export "))
        line += 7;
      if (!mk_str_has_prefix (line, "LANG="))
        continue;
      v = line + 5;
      l = strcspn (v, "\r#");
      while (l && isspace ((unsigned char) v[l - 1]))
        l--;
      if (l >= 2 && (v[0] == '"' || v[0] == '\'') && v[l - 1] == v[0])
        v++, l -= 2;
      return xstrndup (v, l);
    }
  return NULL;
}

static int
check_locale (struct check *c, mk_error_t *err)
{
  static const char *const vars[] = { "LC_ALL", "LANG" };
  static const char *const files[] = { "/etc/locale.conf",
                                       "/etc/default/locale" };
  bool from_env = false;

  for (size_t i = 0; i < ARRAY_SIZE (vars); i++)
    {
      const char *v = env_get (c->o->env, vars[i]);
      if (v)
        {
          from_env = true;
          check_one_locale (c, vars[i], v, "the recipe's env");
        }
    }
  for (size_t i = 0; !from_env && i < ARRAY_SIZE (files); i++)
    {
      cleanup_free char *buf = NULL;
      cleanup_free char *lang = NULL;
      if (read_image_file (c, files[i], &buf, err) < 0)
        return -1;
      if (buf == NULL)
        continue;
      lang = conf_lang (buf);
      if (lang)
        check_one_locale (c, "LANG", lang, files[i]);
      break; /* the first file the image has decides */
    }
  return 0;
}

/* ---- the whole check ---------------------------------------------------- */

static const char *
allowed_by (char *const *globs, const struct mk_check_item *it)
{
  for (size_t i = 0; globs && globs[i]; i++)
    if (glob_match (globs[i], it->path)
        || (it->missing && glob_match (globs[i], it->missing)))
      return globs[i];
  return NULL;
}

static int
compare_items (const void *a, const void *b)
{
  const struct mk_check_item *x = a, *y = b;
  int r = strcmp (x->path, y->path);
  return r ? r : strcmp (x->reason, y->reason);
}

static void
finish_report (struct check *c)
{
  struct mk_check_report *r = c->rep;
  for (size_t i = 0; i < r->n; i++)
    {
      struct mk_check_item *it = &r->items[i];
      const char *g = it->level == MK_CHECK_PROBLEM
                          ? allowed_by (c->o->allow_broken, it)
                          : NULL;
      if (g)
        {
          it->level = MK_CHECK_WARNING;
          it->allowed_by = xstrdup (g);
        }
      if (it->level == MK_CHECK_PROBLEM)
        r->n_problems++;
      else
        r->n_warnings++;
    }
  if (r->n)
    qsort (r->items, r->n, sizeof *r->items, compare_items);
}

static int
run_checks (struct check *c, mk_error_t *err)
{
  const char *v;

  if ((v = env_get (c->o->env, "LD_LIBRARY_PATH")))
    split_list (v, ":", &c->env_lib_dirs);
  v = env_get (c->o->env, "PATH");
  split_list (v ? v : default_path, ":", &c->path_dirs);
  if (read_ld_conf (c, "/etc/ld.so.conf", 0, err) < 0)
    return -1;
  for (size_t i = 0; i < c->n_sorted; i++)
    {
      struct mk_entry *e = c->sorted[i];
      if (S_ISLNK (e->mode))
        check_symlink (c, e);
      else if (worth_reading (e) && scan_file (c, e, err) < 0)
        return -1;
    }
  /* Libraries are checked once every object's class is known. */
  for (size_t i = 0; i < c->n_objs; i++)
    check_elf (c, &c->objs[i]);
  return check_locale (c, err);
}

int
mk_check_image (struct mk_tree *t, int rootfd, const struct mk_check_opts *o,
                struct mk_check_report **out, mk_error_t *err)
{
  static const struct mk_check_opts none = { 0 };
  struct check c = { .t = t, .rootfd = rootfd, .o = o ? o : &none,
                     .dirfd = -1 };
  int r;

  c.rep = xcalloc (1, sizeof *c.rep);
  c.sorted = mk_tree_sorted (t, &c.n_sorted);
  r = run_checks (&c, err);
  if (r == 0)
    {
      finish_report (&c);
      *out = steal_pointer (&c.rep);
    }
  mk_check_report_free (c.rep);
  free (c.sorted);
  for (size_t i = 0; i < c.n_objs; i++)
    mk_elfinfo_clear (&c.objs[i].elf);
  free (c.objs);
  for (size_t i = 0; i < c.n_memo; i++)
    free (c.memo[i].name);
  free (c.memo);
  mk_strv_free (c.conf_dirs);
  mk_strv_free (c.env_lib_dirs);
  mk_strv_free (c.path_dirs);
  free (c.dir);
  if (c.dirfd >= 0)
    close (c.dirfd);
  return r;
}

void
mk_check_report_free (struct mk_check_report *r)
{
  if (r == NULL)
    return;
  for (size_t i = 0; i < r->n; i++)
    {
      free (r->items[i].path);
      free (r->items[i].missing);
      free (r->items[i].reason);
      free (r->items[i].allowed_by);
    }
  free (r->items);
  free (r);
}

void
mk_check_report_print (const struct mk_check_report *r)
{
  size_t shown = 0;

  for (size_t i = 0; i < r->n; i++)
    {
      const struct mk_check_item *it = &r->items[i];
      if (it->level != MK_CHECK_WARNING)
        continue;
      if (shown++ >= MAX_WARNINGS_SHOWN && mk_verbosity < 2)
        continue;
      if (it->allowed_by)
        mk_warn ("check: %s: %s (allowed by allow_broken = %s)", it->path,
                 it->reason, it->allowed_by);
      else
        mk_warn ("check: %s: %s", it->path, it->reason);
    }
  if (shown > MAX_WARNINGS_SHOWN && mk_verbosity < 2)
    mk_warn ("check: %zu more warnings (-v lists them)",
             shown - MAX_WARNINGS_SHOWN);
  for (size_t i = 0; i < r->n; i++)
    if (r->items[i].level == MK_CHECK_PROBLEM)
      mk_error_detail ("check: %s: %s", r->items[i].path,
                       r->items[i].reason);
}
