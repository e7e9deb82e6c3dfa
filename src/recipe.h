/* recipe.h: the parsed recipe (INI) and the profile it selects. */
#ifndef MK_RECIPE_H
#define MK_RECIPE_H

#include <stdbool.h>
#include <stddef.h>

#include "arch.h"
#include "error.h"

/* A string from a config file with the place it came from, so that later
 * stages (the solver) can still say "recipe.conf:7: no package 'x'". */
struct mk_located
{
  char *value;
  int line;
};

struct mk_repo_conf
{
  char *id;
  char *baseurl;   /* as written (one or more URLs), not yet expanded */
  char *mirrorlist; /* URL or path of a file listing base URLs */
  int priority;    /* dnf's convention: lower wins, default 99 */
  bool enabled;
  bool gpgcheck;       /* verify package signatures against gpgkey */
  bool repo_gpgcheck;  /* verify repomd.xml.asc against gpgkey */
  char **gpgkey;       /* paths (relative to the recipe) or URLs */
  long metadata_expire; /* seconds; -1 never expires; default 48 h */
  int timeout;     /* seconds without progress before a transfer fails */
  int retries;     /* attempts per mirror on transient errors */
  int line;        /* of the [repo ID] header */
};

/* What the image keeps of the package database (docs/design.md). */
enum mk_rpmdb_kind
{
  MK_RPMDB_NONE,
  MK_RPMDB_MANIFEST, /* /var/lib/rpmmanifest/container-manifest-2 only */
  MK_RPMDB_SQLITE,   /* /var/lib/rpm/rpmdb.sqlite (rpm >= 4.16) */
};

enum mk_prune_kind
{
  MK_PRUNE_REMOVE, /* remove = GLOB */
  MK_PRUNE_KEEP,   /* keep = GLOB (exception to every removal) */
};

struct mk_prune_rule
{
  enum mk_prune_kind kind;
  char *glob;
  int line;
  bool from_recipe; /* `remove`/`keep` in [image]: they outrank the
                       profile's rules (prune.c) */
};

struct mk_profile
{
  char *name;
  char *path;
  bool drop_docs;       /* %doc files that are not %license */
  bool drop_licenses;   /* %license files */
  char **keep_langs;    /* %lang(xx) kept; NULL keeps every language */
  struct mk_prune_rule *rules;
  size_t n_rules;
  int rpmdb;            /* MK_RPMDB_*, -1 when the profile does not say */
};

struct mk_recipe
{
  char *path;
  char *dir;          /* directory of the recipe; relative paths start here */
  char *name;
  struct mk_located *packages;
  size_t n_packages;
  char **excludes;
  char *arch;         /* the one this build is for; NULL: the host's */
  char **arches;      /* `arch = x86_64 aarch64` (or --arch): one image
                         each; NULL: the host's.  arch is the first. */
  char *releasever;
  char *profile_name; /* default "none" */
  int profile_line;
  bool weak_deps;
  char *output;       /* NULL: out/<name>.tar (relative to the cwd) */
  struct mk_repo_conf *repos;
  size_t n_repos;
  struct mk_profile *profile;
  /* Reproducible builds and image formats (docs/reproducible.md). */
  char *lock;            /* `lock = FILE` as written (relative to dir) */
  char **output_formats; /* tar, oci, oci-archive, docker-archive */
  char **labels;         /* KEY=VALUE, the OCI config's Labels */
  char **cmd;            /* the OCI config's Cmd; NULL: /bin/sh, or none
                            when there is an entrypoint */
  char **entrypoint;     /* the OCI config's Entrypoint; NULL: none */
  char **env;            /* KEY=VALUE, the OCI config's Env; NULL: PATH */
  /* Install scripts and the package database (docs/scriptlets.md). */
  bool scriptlets;       /* `scriptlets = run` */
  int rpmdb;             /* MK_RPMDB_*, -1 until resolved: recipe, else
                            profile, else sqlite */
  char **allow_broken;   /* globs the image check accepts (check.h) */
  struct mk_prune_rule *rules; /* [image] remove/keep; appended to the
                                  profile's rules once it is loaded */
  size_t n_rules;
  /* Layered images (docs/layers.md). */
  char *base;            /* `base = RECIPE` as written (relative to dir) */
  int base_line;
  int layers;            /* `layers = N`; 0: one layer (above the base's) */
  char *layer_compression; /* none (NULL), gzip, zstd: the OCI blobs */
  char **installed;      /* NEVRAs the solver must keep as they are: the
                            base image's packages (set by build.c) */
};

/* The most layers an image may be spread over (`layers = N`). */
#define MK_MAX_LAYERS 32

/* Parse and validate a recipe and load its profile.  Errors name file:line
 * and carry MK_EXIT_RECIPE. */
int mk_recipe_load (const char *path, struct mk_recipe **out,
                    mk_error_t *err);
void mk_recipe_free (struct mk_recipe *r);
static inline void
cleanup_recipep (struct mk_recipe **r)
{
  mk_recipe_free (*r);
}
#define cleanup_recipe __attribute__ ((cleanup (cleanup_recipep)))

/* Load a profile by name (searched in $MKBASE_PROFILES, <recipe dir>/../
 * profiles, <recipe dir>/profiles and the installed data dir) or by path. */
int mk_profile_load (const char *name, const char *recipe_dir,
                     struct mk_profile **out, mk_error_t *err);
void mk_profile_free (struct mk_profile *p);

/* Make r the recipe of one architecture of its list: r->arch, and no
 * base packages pinned yet (those are the base's for that arch). */
void mk_recipe_set_arch (struct mk_recipe *r, const char *arch);

/* Expand $basearch, $arch and $releasever in s. */
char *mk_recipe_expand (const struct mk_recipe *r, const char *s);


#endif
