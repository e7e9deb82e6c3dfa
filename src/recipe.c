/* recipe.c: parse recipes and profiles (INI) into struct mk_recipe and
 * struct mk_profile, and validate them.  Every error names file:line and
 * exits with MK_EXIT_RECIPE; unknown keys are errors, never ignored, since a
 * typo'd `exclude` silently ignored would ship the wrong image.
 *
 * The INI dialect is dnf's: `[section]`, `key = value`, `#`/`;` comments at
 * the start of a line, and indented lines continuing the previous value.
 * List keys (packages, exclude, remove, keep, langs) may repeat; their
 * values are split on white space and commas.  libc only. */
#define _GNU_SOURCE
#include "recipe.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <fcntl.h>

#include "arch.h"
#include "util.h"

#ifndef MK_DATADIR
#define MK_DATADIR "/usr/local/share/mkbase"
#endif
#ifndef MK_LIBEXEC_TO_DATA
#define MK_LIBEXEC_TO_DATA "../../share/mkbase"
#endif

#define MAX_CONFIG_BYTES (4u << 20)

/* ---- the INI reader ----------------------------------------------------- */

struct ini_ctx
{
  const char *file;
  int line;
  char *section;   /* "image", "repo demo", "profile" */
  void *data;
};

typedef int (*ini_handler) (struct ini_ctx *ctx, const char *key,
                            const char *value, mk_error_t *err);

static int
ini_error (struct ini_ctx *ctx, mk_error_t *err, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

static int
ini_error (struct ini_ctx *ctx, mk_error_t *err, const char *fmt, ...)
{
  va_list ap;
  cleanup_free char *what = NULL;
  va_start (ap, fmt);
  if (vasprintf (&what, fmt, ap) < 0)
    abort ();
  va_end (ap);
  return mk_make_error_code (err, MK_EXIT_RECIPE, 0, "%s:%d: %s", ctx->file,
                             ctx->line, what);
}

static char *
trim (char *s)
{
  char *e;
  while (isspace ((unsigned char) *s))
    s++;
  e = s + strlen (s);
  while (e > s && isspace ((unsigned char) e[-1]))
    *--e = '\0';
  return s;
}

/* Deliver one key once its continuation lines are collected. */
static int
ini_flush (struct ini_ctx *ctx, char **key, char **value, int key_line,
           ini_handler h, mk_error_t *err)
{
  int saved = ctx->line, r;
  if (*key == NULL)
    return 0;
  ctx->line = key_line;
  r = h (ctx, *key, *value, err);
  ctx->line = saved;
  free (*key);
  free (*value);
  *key = *value = NULL;
  return r;
}

static int
ini_parse_buffer (struct ini_ctx *ctx, char *buf, ini_handler h,
                  mk_error_t *err)
{
  cleanup_free char *key = NULL;
  cleanup_free char *value = NULL;
  int key_line = 0;
  char *save = NULL;

  ctx->line = 0;
  for (char *p = buf; p; p = save)
    {
      char *nl = strchr (p, '\n'), *s, *eq;
      save = nl ? nl + 1 : NULL;
      if (nl)
        *nl = '\0';
      ctx->line++;
      if (memchr (p, '\0', 0) != NULL || strchr (p, '\r'))
        *strchrnul (p, '\r') = '\0';
      s = trim (p);
      if (*s == '\0' || *s == '#' || *s == ';')
        continue;
      /* dnf's dialect: a `#` after a value belongs to it.  Copying a
       * commented example would silently change a value, so say so. */
      if (strstr (s, " #") || strstr (s, "\t#"))
        mk_warn ("%s:%d: a `#` after a value is part of the value; put "
                 "comments on a line of their own", ctx->file, ctx->line);
      if (isspace ((unsigned char) *p) && key != NULL)
        {
          char *joined = xasprintf ("%s %s", value, s);
          free (value);
          value = joined;
          continue;
        }
      if (ini_flush (ctx, &key, &value, key_line, h, err) < 0)
        return -1;
      if (*s == '[')
        {
          char *end = strchr (s, ']');
          if (end == NULL || end[1] != '\0')
            return ini_error (ctx, err, "malformed section header `%s`", s);
          *end = '\0';
          free (ctx->section);
          ctx->section = xstrdup (trim (s + 1));
          if (h (ctx, NULL, NULL, err) < 0)
            return -1;
          continue;
        }
      eq = strchr (s, '=');
      if (eq == NULL)
        return ini_error (ctx, err, "expected `key = value`, got `%s`", s);
      if (ctx->section == NULL)
        return ini_error (ctx, err, "`%s` before any [section]", s);
      *eq = '\0';
      key = xstrdup (trim (s));
      value = xstrdup (trim (eq + 1));
      key_line = ctx->line;
      if (*key == '\0')
        return ini_error (ctx, err, "empty key");
    }
  ctx->line++;
  return ini_flush (ctx, &key, &value, key_line, h, err);
}

static int
ini_parse_file (const char *path, ini_handler h, void *data, mk_error_t *err)
{
  cleanup_free char *buf = NULL;
  struct ini_ctx ctx = { .file = path, .data = data };
  size_t len;
  int r;

  if (mk_read_file_at (AT_FDCWD, path, MAX_CONFIG_BYTES, &buf, &len, err) < 0)
    {
      (*err)->exit_code = MK_EXIT_RECIPE;
      return -1;
    }
  if (strlen (buf) != len)
    {
      int line = 1;
      for (const char *q = buf; *q; q++)
        line += *q == '\n';
      return mk_make_error_code (err, MK_EXIT_RECIPE, 0,
                                 "%s:%d: contains a NUL byte", path, line);
    }
  r = ini_parse_buffer (&ctx, buf, h, err);
  free (ctx.section);
  return r;
}

/* ---- shared value parsers ---------------------------------------------- */

static void
split_words (const char *value, char ***out)
{
  cleanup_free char *copy = xstrdup (value);
  char *save = NULL;
  for (char *w = strtok_r (copy, " \t,", &save); w;
       w = strtok_r (NULL, " \t,", &save))
    mk_strv_push (out, xstrdup (w));
}

static int
parse_bool (struct ini_ctx *ctx, const char *key, const char *v, bool *out,
            mk_error_t *err)
{
  static const char *yes[] = { "1", "true", "yes", "on", "True" };
  static const char *no[] = { "0", "false", "no", "off", "False" };
  for (size_t i = 0; i < ARRAY_SIZE (yes); i++)
    if (strcmp (v, yes[i]) == 0)
      return *out = true, 0;
  for (size_t i = 0; i < ARRAY_SIZE (no); i++)
    if (strcmp (v, no[i]) == 0)
      return *out = false, 0;
  return ini_error (ctx, err, "%s: expected a boolean (true/false), got `%s`",
                    key, v);
}

static int
parse_int (struct ini_ctx *ctx, const char *key, const char *v, int lo,
           int hi, int *out, mk_error_t *err)
{
  char *end;
  long n;
  errno = 0;
  n = strtol (v, &end, 10);
  if (errno || end == v || *end || n < lo || n > hi)
    return ini_error (ctx, err, "%s: expected a number from %d to %d, got `%s`",
                      key, lo, hi, v);
  *out = (int) n;
  return 0;
}

static int
set_scalar (struct ini_ctx *ctx, const char *key, const char *v, char **slot,
            mk_error_t *err)
{
  if (*slot != NULL)
    return ini_error (ctx, err, "%s: set twice", key);
  if (*v == '\0')
    return ini_error (ctx, err, "%s: empty value", key);
  *slot = xstrdup (v);
  return 0;
}

/* Levenshtein distance, to suggest the key the user meant. */
static size_t
edit_distance (const char *a, const char *b)
{
  size_t la = strlen (a), lb = strlen (b), prev[64], cur[64];
  if (la >= 63 || lb >= 63)
    return SIZE_MAX;
  for (size_t j = 0; j <= lb; j++)
    prev[j] = j;
  for (size_t i = 1; i <= la; i++)
    {
      cur[0] = i;
      for (size_t j = 1; j <= lb; j++)
        {
          size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
          size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
          cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
        }
      memcpy (prev, cur, sizeof (size_t) * (lb + 1));
    }
  return prev[lb];
}

static int
unknown_key (struct ini_ctx *ctx, const char *key, const char *const *known,
             mk_error_t *err)
{
  const char *best = NULL;
  size_t bestd = 3;
  for (size_t i = 0; known[i]; i++)
    {
      size_t d = edit_distance (key, known[i]);
      if (d < bestd)
        bestd = d, best = known[i];
    }
  if (best)
    return ini_error (ctx, err, "unknown key `%s` in [%s] (did you mean `%s`?)",
                      key, ctx->section, best);
  return ini_error (ctx, err, "unknown key `%s` in [%s]", key, ctx->section);
}

/* rpmdb = none|manifest|sqlite, in a recipe or a profile. */
static int
parse_rpmdb (struct ini_ctx *ctx, const char *v, int *out, mk_error_t *err)
{
  static const char *const names[] = { "none", "manifest", "sqlite" };
  for (size_t i = 0; i < ARRAY_SIZE (names); i++)
    if (strcmp (v, names[i]) == 0)
      return *out = (int) i, 0;
  return ini_error (ctx, err, "rpmdb: expected `none`, `manifest` or "
                              "`sqlite`, got `%s`", v);
}

/* ---- recipes ------------------------------------------------------------ */

static const char *const image_keys[]
    = { "name",    "packages",  "exclude", "arch",   "releasever",
        "profile", "weak_deps", "output",  "lock",   "output_format",
        "labels",  "cmd",       "env",     "scriptlets", "rpmdb",
        "allow_broken", "remove", "keep", "entrypoint", "base", "layers", "layer_compression",
        NULL };
static const char *const repo_keys[]
    = { "baseurl",       "mirrorlist",      "priority", "enabled",
        "name",          "gpgcheck",        "gpgkey",   "repo_gpgcheck",
        "metadata_expire", "timeout",       "retries",  NULL };

/* Split "a b = 1.0 c>=2" into located specs, keeping a relation together:
 * "b = 1.0" and "c >= 2" are one package spec each. */
static bool
is_relop (const char *w)
{
  static const char *ops[] = { "=", "==", "<", "<=", ">", ">=" };
  for (size_t i = 0; i < ARRAY_SIZE (ops); i++)
    if (strcmp (w, ops[i]) == 0)
      return true;
  return false;
}

static int
add_packages (struct ini_ctx *ctx, struct mk_recipe *r, const char *value,
              mk_error_t *err)
{
  cleanup_strv char **words = NULL;
  cleanup_free char *spaced = NULL;
  size_t n, i;

  /* Put spaces around operators written without them ("c>=2"). */
  {
    size_t len = strlen (value);
    char *o = spaced = xmalloc (len * 3 + 1);
    for (const char *p = value; *p; p++)
      {
        if (strchr ("<>=", *p))
          {
            *o++ = ' ';
            *o++ = *p;
            if (p[1] == '=')
              *o++ = *++p;
            *o++ = ' ';
          }
        else
          *o++ = *p;
      }
    *o = '\0';
  }
  split_words (spaced, &words);
  n = mk_strv_len (words);
  for (i = 0; i < n; i++)
    {
      char *spec;
      if (is_relop (words[i]))
        return ini_error (ctx, err, "packages: `%s` without a package name",
                          words[i]);
      if (i + 2 < n + 1 && i + 1 < n && is_relop (words[i + 1]))
        {
          if (i + 2 >= n || is_relop (words[i + 2]))
            return ini_error (ctx, err, "packages: `%s %s` without a version",
                              words[i], words[i + 1]);
          spec = xasprintf ("%s %s %s", words[i],
                            strcmp (words[i + 1], "==") == 0 ? "="
                                                             : words[i + 1],
                            words[i + 2]);
          i += 2;
        }
      else
        spec = xstrdup (words[i]);
      r->packages = xreallocarray (r->packages, r->n_packages + 1,
                                   sizeof *r->packages);
      r->packages[r->n_packages++]
          = (struct mk_located){ .value = spec, .line = ctx->line };
    }
  return 0;
}

/* Every word of `words` must be KEY=VALUE with a non-empty KEY. */
static int
check_assignments (struct ini_ctx *ctx, const char *key, char *const *words,
                   mk_error_t *err)
{
  for (size_t i = 0; words && words[i]; i++)
    if (words[i][0] == '=' || strchr (words[i], '=') == NULL)
      return ini_error (ctx, err, "%s: expected KEY=VALUE, got `%s`", key,
                        words[i]);
  return 0;
}

/* The keys of docs/reproducible.md: the lock file, the output formats and
 * the OCI config. */
static int
image_key_repro (struct ini_ctx *ctx, struct mk_recipe *r, const char *key,
                 const char *v, mk_error_t *err)
{
  static const char *formats[] = { "tar", "oci", "oci-archive",
                                   "docker-archive" };
  size_t first;
  if (strcmp (key, "lock") == 0)
    return set_scalar (ctx, key, v, &r->lock, err);
  if (strcmp (key, "base") == 0)
    {
      r->base_line = ctx->line;
      return set_scalar (ctx, key, v, &r->base, err);
    }
  if (strcmp (key, "layer_compression") == 0)
    {
      if (strcmp (v, "none") && strcmp (v, "gzip") && strcmp (v, "zstd"))
        return ini_error (ctx, err, "layer_compression: expected none, gzip "
                                    "or zstd, got `%s`", v);
      return set_scalar (ctx, key, v, &r->layer_compression, err);
    }
  if (strcmp (key, "layers") == 0)
    {
      if (r->layers)
        return ini_error (ctx, err, "%s: set twice", key);
      return parse_int (ctx, key, v, 1, MK_MAX_LAYERS, &r->layers, err);
    }
  if (strcmp (key, "output_format") == 0)
    {
      first = mk_strv_len (r->output_formats);
      split_words (v, &r->output_formats);
      for (size_t i = first; r->output_formats && r->output_formats[i]; i++)
        {
          size_t j = 0;
          while (j < ARRAY_SIZE (formats)
                 && strcmp (formats[j], r->output_formats[i]) != 0)
            j++;
          if (j == ARRAY_SIZE (formats))
            return ini_error (ctx, err, "output_format: unknown format `%s` "
                              "(tar, oci, oci-archive, docker-archive)",
                              r->output_formats[i]);
        }
      return 0;
    }
  if (strcmp (key, "labels") == 0 || strcmp (key, "env") == 0)
    {
      char ***slot = key[0] == 'l' ? &r->labels : &r->env;
      first = mk_strv_len (*slot);
      split_words (v, slot);
      return check_assignments (ctx, key, *slot ? *slot + first : NULL, err);
    }
  if (strcmp (key, "cmd") == 0 || strcmp (key, "entrypoint") == 0)
    {
      char ***slot = key[0] == 'c' ? &r->cmd : &r->entrypoint;
      if (*slot != NULL)
        return ini_error (ctx, err, "%s: set twice", key);
      split_words (v, slot);
      return *slot ? 0 : ini_error (ctx, err, "%s: empty value", key);
    }
  return unknown_key (ctx, key, image_keys, err);
}

static bool
is_rule_key (const char *key)
{
  return strcmp (key, "remove") == 0 || strcmp (key, "keep") == 0;
}

/* remove = / keep = globs (key says which), in a profile or in [image]. */
static int
add_rules (struct ini_ctx *ctx, const char *key, struct mk_prune_rule **rules,
           size_t *n, bool from_recipe, const char *v, mk_error_t *err)
{
  enum mk_prune_kind kind = key[0] == 'k' ? MK_PRUNE_KEEP : MK_PRUNE_REMOVE;
  cleanup_strv char **words = NULL;
  split_words (v, &words);
  for (size_t i = 0; words && words[i]; i++)
    {
      if (words[i][0] != '/' && strchr (words[i], '/'))
        return ini_error (ctx, err, "`%s`: a glob is an absolute path "
                                    "(/usr/share/doc/*) or a file name "
                                    "(*.log)", words[i]);
      *rules = xreallocarray (*rules, *n + 1, sizeof **rules);
      (*rules)[(*n)++] = (struct mk_prune_rule){
        .kind = kind, .glob = xstrdup (words[i]), .line = ctx->line,
        .from_recipe = from_recipe };
    }
  return 0;
}

/* allow_broken: globs of the kind a profile's `remove` takes (an absolute
 * path whose '*' crosses directories, or a file name matched anywhere). */
static int
add_allow_broken (struct ini_ctx *ctx, struct mk_recipe *r, const char *v,
                  mk_error_t *err)
{
  size_t first = mk_strv_len (r->allow_broken);
  split_words (v, &r->allow_broken);
  if (mk_strv_len (r->allow_broken) == first)
    return ini_error (ctx, err, "allow_broken: empty value");
  for (size_t i = first; r->allow_broken[i]; i++)
    if (r->allow_broken[i][0] != '/' && strchr (r->allow_broken[i], '/'))
      return ini_error (ctx, err, "allow_broken: `%s`: a glob is an absolute "
                                  "path (/usr/bin/grep) or a file name "
                                  "(libpcre2-8.so*)", r->allow_broken[i]);
  return 0;
}

/* arch = x86_64 aarch64: every name known (arch.c), none twice. */
static int
set_arches (struct ini_ctx *ctx, struct mk_recipe *r, const char *v,
            mk_error_t *err)
{
  if (r->arches)
    return ini_error (ctx, err, "arch: set twice");
  split_words (v, &r->arches);
  if (r->arches == NULL)
    return ini_error (ctx, err, "arch: empty value");
  for (size_t i = 0; r->arches[i]; i++)
    {
      if (mk_arch_find (r->arches[i]) == NULL)
        return ini_error (ctx, err, "arch: unknown architecture `%s` (known: "
                          "%s)", r->arches[i], mk_arch_names ());
      for (size_t j = 0; j < i; j++)
        if (strcmp (r->arches[i], r->arches[j]) == 0)
          return ini_error (ctx, err, "arch: `%s` named twice",
                            r->arches[i]);
    }
  r->arch = xstrdup (r->arches[0]);
  return 0;
}

static int
image_key (struct ini_ctx *ctx, struct mk_recipe *r, const char *key,
           const char *v, mk_error_t *err)
{
  if (strcmp (key, "name") == 0)
    {
      if (set_scalar (ctx, key, v, &r->name, err) < 0)
        return -1;
      if (strchr (v, '/') || strcmp (v, ".") == 0 || strcmp (v, "..") == 0
          || strpbrk (v, " \t"))
        return ini_error (ctx, err, "name: `%s` must be a plain file name", v);
      return 0;
    }
  if (strcmp (key, "packages") == 0)
    return add_packages (ctx, r, v, err);
  if (strcmp (key, "exclude") == 0)
    return split_words (v, &r->excludes), 0;
  if (strcmp (key, "arch") == 0)
    return set_arches (ctx, r, v, err);
  if (strcmp (key, "releasever") == 0)
    return set_scalar (ctx, key, v, &r->releasever, err);
  if (strcmp (key, "profile") == 0)
    {
      r->profile_line = ctx->line;
      return set_scalar (ctx, key, v, &r->profile_name, err);
    }
  if (strcmp (key, "weak_deps") == 0)
    return parse_bool (ctx, key, v, &r->weak_deps, err);
  if (strcmp (key, "output") == 0)
    return set_scalar (ctx, key, v, &r->output, err);
  if (strcmp (key, "scriptlets") == 0)
    {
      if (strcmp (v, "run") != 0 && strcmp (v, "none") != 0)
        return ini_error (ctx, err, "scriptlets: expected `none` or `run`, "
                                    "got `%s`", v);
      r->scriptlets = strcmp (v, "run") == 0;
      return 0;
    }
  if (strcmp (key, "rpmdb") == 0)
    return parse_rpmdb (ctx, v, &r->rpmdb, err);
  if (strcmp (key, "allow_broken") == 0)
    return add_allow_broken (ctx, r, v, err);
  if (is_rule_key (key))
    return add_rules (ctx, key, &r->rules, &r->n_rules, true, v, err);
  return image_key_repro (ctx, r, key, v, err);
}

/* dnf's metadata_expire: seconds, or a number with s/m/h/d, or "never"
 * / -1. */
static int
parse_expire (struct ini_ctx *ctx, const char *v, long *out, mk_error_t *err)
{
  char *end;
  long n;
  if (strcmp (v, "never") == 0 || strcmp (v, "-1") == 0)
    return *out = -1, 0;
  errno = 0;
  n = strtol (v, &end, 10);
  if (errno || end == v || n < 0 || n > 100L * 365 * 86400)
    return ini_error (ctx, err, "metadata_expire: expected seconds, or a "
                                "number with s, m, h or d, or never; got `%s`",
                      v);
  if (*end == 'm')
    n *= 60, end++;
  else if (*end == 'h')
    n *= 3600, end++;
  else if (*end == 'd')
    n *= 86400, end++;
  else if (*end == 's')
    end++;
  if (*end)
    return ini_error (ctx, err, "metadata_expire: unknown unit in `%s`", v);
  *out = n;
  return 0;
}

static int
repo_key (struct ini_ctx *ctx, struct mk_repo_conf *repo, const char *key,
          const char *v, mk_error_t *err)
{
  if (strcmp (key, "baseurl") == 0)
    return set_scalar (ctx, key, v, &repo->baseurl, err);
  if (strcmp (key, "mirrorlist") == 0)
    return set_scalar (ctx, key, v, &repo->mirrorlist, err);
  if (strcmp (key, "gpgcheck") == 0)
    return parse_bool (ctx, key, v, &repo->gpgcheck, err);
  if (strcmp (key, "repo_gpgcheck") == 0)
    return parse_bool (ctx, key, v, &repo->repo_gpgcheck, err);
  if (strcmp (key, "gpgkey") == 0)
    return split_words (v, &repo->gpgkey), 0;
  if (strcmp (key, "metadata_expire") == 0)
    return parse_expire (ctx, v, &repo->metadata_expire, err);
  if (strcmp (key, "timeout") == 0)
    return parse_int (ctx, key, v, 1, 3600, &repo->timeout, err);
  if (strcmp (key, "retries") == 0)
    return parse_int (ctx, key, v, 0, 100, &repo->retries, err);
  if (strcmp (key, "priority") == 0)
    return parse_int (ctx, key, v, 1, 99, &repo->priority, err);
  if (strcmp (key, "enabled") == 0)
    return parse_bool (ctx, key, v, &repo->enabled, err);
  if (strcmp (key, "name") == 0)
    return 0; /* a human-readable label, as in .repo files */
  return unknown_key (ctx, key, repo_keys, err);
}

static bool
valid_repo_id (const char *id)
{
  if (*id == '\0')
    return false;
  for (const char *p = id; *p; p++)
    if (!isalnum ((unsigned char) *p) && !strchr ("-_.:", *p))
      return false;
  return true;
}

static int
recipe_section (struct ini_ctx *ctx, struct mk_recipe *r, mk_error_t *err)
{
  const char *s = ctx->section;
  if (strcmp (s, "image") == 0)
    return 0;
  if (strncmp (s, "repo", 4) == 0 && isspace ((unsigned char) s[4]))
    {
      const char *id = s + 5;
      while (isspace ((unsigned char) *id))
        id++;
      if (!valid_repo_id (id))
        return ini_error (ctx, err, "[repo %s]: a repo id is letters, digits "
                                    "and -_.: only", id);
      for (size_t i = 0; i < r->n_repos; i++)
        if (strcmp (r->repos[i].id, id) == 0)
          return ini_error (ctx, err, "[repo %s] defined twice (first at "
                                      "line %d)", id, r->repos[i].line);
      r->repos = xreallocarray (r->repos, r->n_repos + 1, sizeof *r->repos);
      r->repos[r->n_repos++] = (struct mk_repo_conf){
        .id = xstrdup (id), .priority = 99, .enabled = true,
        .metadata_expire = 48 * 3600, .timeout = 30, .retries = 4,
        .line = ctx->line };
      return 0;
    }
  if (strcmp (s, "repo") == 0)
    return ini_error (ctx, err, "[repo] needs an id: [repo ID]");
  return ini_error (ctx, err, "unknown section [%s] (expected [image] or "
                              "[repo ID])", s);
}

static int
recipe_handler (struct ini_ctx *ctx, const char *key, const char *value,
                mk_error_t *err)
{
  struct mk_recipe *r = ctx->data;
  if (key == NULL)
    return recipe_section (ctx, r, err);
  if (strcmp (ctx->section, "image") == 0)
    return image_key (ctx, r, key, value, err);
  return repo_key (ctx, &r->repos[r->n_repos - 1], key, value, err);
}

static int
recipe_validate (struct mk_recipe *r, mk_error_t *err)
{
  struct ini_ctx ctx = { .file = r->path, .line = 1 };
  if (r->name == NULL)
    return ini_error (&ctx, err, "[image] has no `name`");
  if (r->n_packages == 0)
    return ini_error (&ctx, err, "[image] has no `packages`");
  if (r->n_repos == 0)
    return ini_error (&ctx, err, "no [repo ID] section");
  for (size_t i = 0; i < r->n_repos; i++)
    {
      const struct mk_repo_conf *c = &r->repos[i];
      ctx.line = c->line;
      if (c->baseurl == NULL && c->mirrorlist == NULL)
        return ini_error (&ctx, err, "[repo %s] has no `baseurl` (or "
                                     "`mirrorlist`)", c->id);
      if ((c->gpgcheck || c->repo_gpgcheck) && c->gpgkey == NULL)
        return ini_error (&ctx, err, "[repo %s]: %s is on but no `gpgkey` "
                                     "is given", c->id,
                          c->gpgcheck ? "gpgcheck" : "repo_gpgcheck");
    }
  return 0;
}


void
mk_recipe_set_arch (struct mk_recipe *r, const char *arch)
{
  free (r->arch);
  r->arch = xstrdup (arch);
  mk_strv_free (r->installed);
  r->installed = NULL;
}

char *
mk_recipe_expand (const struct mk_recipe *r, const char *s)
{
  const char *arch = r->arch ? r->arch : mk_host_arch ();
  char *a = mk_str_replace_all (s, "$basearch", arch);
  char *b = mk_str_replace_all (a, "$arch", arch);
  char *c = mk_str_replace_all (b, "$releasever", r->releasever ? r->releasever : "");
  free (a);
  free (b);
  return c;
}

int
mk_recipe_load (const char *path, struct mk_recipe **out, mk_error_t *err)
{
  struct mk_recipe *r = xcalloc (1, sizeof *r);
  const char *slash = strrchr (path, '/');

  r->rpmdb = -1;

  r->path = xstrdup (path);
  r->dir = slash ? xstrndup (path, (size_t) (slash - path + (slash == path)))
                 : xstrdup (".");
  if (ini_parse_file (path, recipe_handler, r, err) < 0
      || recipe_validate (r, err) < 0)
    goto fail;
  if (r->profile_name == NULL)
    r->profile_name = xstrdup ("none");
  if (mk_profile_load (r->profile_name, r->dir, &r->profile, err) < 0)
    {
      if (r->profile_line)
        mk_error_wrap (err, "%s:%d", r->path, r->profile_line);
      goto fail;
    }
  /* The recipe's own rules join the profile's (prune.c ranks them). */
  if (r->n_rules)
    {
      struct mk_profile *p = r->profile;
      p->rules = xreallocarray (p->rules, p->n_rules + r->n_rules,
                                sizeof *p->rules);
      memcpy (p->rules + p->n_rules, r->rules, r->n_rules * sizeof *r->rules);
      p->n_rules += r->n_rules;
      free (steal_pointer (&r->rules));
      r->n_rules = 0;
    }
  /* The recipe's word wins over the profile's; sqlite by default. */
  if (r->rpmdb < 0)
    r->rpmdb = r->profile->rpmdb >= 0 ? r->profile->rpmdb : MK_RPMDB_SQLITE;
  *out = r;
  return 0;
fail:
  mk_recipe_free (r);
  return -1;
}

void
mk_recipe_free (struct mk_recipe *r)
{
  if (r == NULL)
    return;
  free (r->path);
  free (r->dir);
  free (r->name);
  for (size_t i = 0; i < r->n_packages; i++)
    free (r->packages[i].value);
  free (r->packages);
  mk_strv_free (r->excludes);
  free (r->arch);
  mk_strv_free (r->arches);
  free (r->releasever);
  free (r->profile_name);
  free (r->output);
  free (r->lock);
  free (r->base);
  free (r->layer_compression);
  mk_strv_free (r->installed);
  mk_strv_free (r->output_formats);
  mk_strv_free (r->labels);
  mk_strv_free (r->cmd);
  mk_strv_free (r->entrypoint);
  mk_strv_free (r->env);
  mk_strv_free (r->allow_broken);
  for (size_t i = 0; i < r->n_rules; i++)
    free (r->rules[i].glob);
  free (r->rules);
  for (size_t i = 0; i < r->n_repos; i++)
    {
      free (r->repos[i].id);
      free (r->repos[i].baseurl);
      free (r->repos[i].mirrorlist);
      mk_strv_free (r->repos[i].gpgkey);
    }
  free (r->repos);
  mk_profile_free (r->profile);
  free (r);
}

/* ---- profiles ----------------------------------------------------------- */

static const char *const profile_keys[]
    = { "description", "docs", "licenses", "langs", "remove", "keep",
        "rpmdb", NULL };

static int
parse_keepdrop (struct ini_ctx *ctx, const char *key, const char *v,
                bool *drop, mk_error_t *err)
{
  if (strcmp (v, "drop") == 0)
    return *drop = true, 0;
  if (strcmp (v, "keep") == 0)
    return *drop = false, 0;
  return ini_error (ctx, err, "%s: expected `keep` or `drop`, got `%s`", key,
                    v);
}

static int
profile_handler (struct ini_ctx *ctx, const char *key, const char *v,
                 mk_error_t *err)
{
  struct mk_profile *p = ctx->data;
  if (key == NULL)
    return strcmp (ctx->section, "profile") == 0
               ? 0
               : ini_error (ctx, err, "unknown section [%s] (expected "
                                      "[profile])", ctx->section);
  if (strcmp (key, "description") == 0)
    return 0;
  if (strcmp (key, "docs") == 0)
    return parse_keepdrop (ctx, key, v, &p->drop_docs, err);
  if (strcmp (key, "licenses") == 0)
    return parse_keepdrop (ctx, key, v, &p->drop_licenses, err);
  if (strcmp (key, "langs") == 0)
    {
      if (p->keep_langs == NULL)
        p->keep_langs = xcalloc (1, sizeof (char *));
      split_words (v, &p->keep_langs);
      return 0;
    }
  if (is_rule_key (key))
    return add_rules (ctx, key, &p->rules, &p->n_rules, false, v, err);
  if (strcmp (key, "rpmdb") == 0)
    return parse_rpmdb (ctx, v, &p->rpmdb, err);
  return unknown_key (ctx, key, profile_keys, err);
}

/* The built-in profiles of the running mkbase: in a build tree (the
 * executable in out/ or out/asan/) the tree's profiles/, in an install
 * <libexec>/../../share/mkbase/profiles found from the executable, so a
 * DESTDIR or moved install finds its own, then the configured DATADIR. */
static size_t
builtin_profile_dirs (char **dirs)
{
  cleanup_free char *self = mk_self_dir ();
  size_t n = 0;

  if (self)
    {
      if (mk_str_has_suffix (self, "/out"))
        dirs[n++] = xasprintf ("%s/../profiles", self);
      else if (mk_str_has_suffix (self, "/out/asan"))
        dirs[n++] = xasprintf ("%s/../../profiles", self);
      else
        dirs[n++] = xasprintf ("%s/%s/profiles", self, MK_LIBEXEC_TO_DATA);
    }
  dirs[n++] = xstrdup (MK_DATADIR "/profiles");
  return n;
}

/* The directories searched for `profile = NAME`, in order. */
static size_t
profile_dirs (const char *recipe_dir, char **dirs)
{
  const char *env = getenv ("MKBASE_PROFILES");
  size_t n = 0;

  if (env && *env)
    dirs[n++] = xstrdup (env);
  dirs[n++] = xasprintf ("%s/../profiles", recipe_dir);
  dirs[n++] = xasprintf ("%s/profiles", recipe_dir);
  return n + builtin_profile_dirs (dirs + n);
}

static char *
find_profile (const char *name, const char *recipe_dir, char **looked)
{
  char *dirs[5] = { 0 };
  char *found = NULL;
  size_t n = profile_dirs (recipe_dir, dirs);
  char *where = xstrdup ("");

  for (size_t i = 0; i < n; i++)
    {
      cleanup_free char *cand = xasprintf ("%s/%s.conf", dirs[i], name);
      if (found == NULL && access (cand, R_OK) == 0)
        found = steal_pointer (&cand);
      char *w = xasprintf ("%s%s%s", where, i ? ", " : "", dirs[i]);
      free (where);
      where = w;
      free (dirs[i]);
    }
  *looked = where;
  return found;
}

int
mk_profile_load (const char *name, const char *recipe_dir,
                 struct mk_profile **out, mk_error_t *err)
{
  struct mk_profile *p;
  char *path;

  if (strchr (name, '/'))
    path = name[0] == '/' ? xstrdup (name)
                          : xasprintf ("%s/%s", recipe_dir, name);
  else
    {
      cleanup_free char *looked = NULL;
      path = find_profile (name, recipe_dir, &looked);
      if (path == NULL && strcmp (name, "none") == 0)
        {
          /* "none" needs no file: it prunes nothing. */
          p = xcalloc (1, sizeof *p);
          p->name = xstrdup ("none");
          p->rpmdb = -1;
          *out = p;
          return 0;
        }
      if (path == NULL)
        return mk_make_error_code (err, MK_EXIT_RECIPE, 0,
                                   "profile `%s` not found (looked in %s)",
                                   name, looked);
    }
  p = xcalloc (1, sizeof *p);
  p->name = xstrdup (name);
  p->path = path;
  p->rpmdb = -1;
  if (ini_parse_file (path, profile_handler, p, err) < 0)
    {
      mk_profile_free (p);
      return -1;
    }
  *out = p;
  return 0;
}

void
mk_profile_free (struct mk_profile *p)
{
  if (p == NULL)
    return;
  free (p->name);
  free (p->path);
  mk_strv_free (p->keep_langs);
  for (size_t i = 0; i < p->n_rules; i++)
    free (p->rules[i].glob);
  free (p->rules);
  free (p);
}
