/* why.c: `mkbase why RECIPE PACKAGE`.  Someone who finds a package in
 * their image they did not ask for wants the chain that brought it:
 * "libpcre2-8-0 <- grep requires libpcre2-8.so.0()(64bit); grep is asked
 * for at recipe.conf:5".  solve.c reads the chain out of libsolv's
 * decision reasons (mk_solve_why); this file loads the recipe and its
 * repositories the way the build does and prints the chain.  libc only. */
#define _GNU_SOURCE
#include "why.h"

#include <stdio.h>

#include "json.h"
#include "recipe.h"
#include "repo.h"
#include "solve.h"
#include "util.h"

static void
print_text (const struct mk_recipe *r, const struct mk_why *w)
{
  const struct mk_why_link *last = &w->links[w->n - 1];
  for (size_t i = 0; i + 1 < w->n; i++)
    printf ("%*s%s is needed: %s %s %s\n", (int) (2 * i), "",
            w->links[i].nevra, w->links[i + 1].name, w->links[i].relation,
            w->links[i].dep);
  printf ("%*s%s is requested directly (%s:%d: `%s`)\n", (int) (2 * (w->n - 1)),
          "", last->nevra, r->path, last->line, last->spec);
}

static void
print_json (const struct mk_recipe *r, const struct mk_why *w)
{
  const struct mk_why_link *last = &w->links[w->n - 1];
  fputs ("{\"package\": ", stdout);
  mk_json_string (stdout, w->links[0].nevra);
  fputs (", \"chain\": [", stdout);
  for (size_t i = 0; i < w->n; i++)
    {
      const struct mk_why_link *l = &w->links[i];
      fputs (i ? ",\n  {\"nevra\": " : "\n  {\"nevra\": ", stdout);
      mk_json_string (stdout, l->nevra);
      fputs (", \"name\": ", stdout);
      mk_json_string (stdout, l->name);
      if (i + 1 < w->n)
        {
          fputs (", \"needed_by\": ", stdout);
          mk_json_string (stdout, w->links[i + 1].nevra);
          fputs (", \"relation\": ", stdout);
          mk_json_string (stdout, l->relation);
          fputs (", \"dependency\": ", stdout);
          mk_json_string (stdout, l->dep);
        }
      fputs ("}", stdout);
    }
  fputs ("],\n \"requested\": {\"file\": ", stdout);
  mk_json_string (stdout, r->path);
  printf (", \"line\": %d, \"spec\": ", last->line);
  mk_json_string (stdout, last->spec);
  printf ("}, \"depth\": %zu}\n", w->n - 1);
}

int
mk_why_explain (const char *recipe, const char *name,
                const struct mk_build_opts *o, mk_error_t *err)
{
  cleanup_recipe struct mk_recipe *r = NULL;
  cleanup_repos struct mk_repos *repos = NULL;
  cleanup_why struct mk_why *w = NULL;
  struct mk_repo_opts ro = { .cache = o->cache, .offline = o->offline };

  if (mk_recipe_load (recipe, &r, err) < 0
      || mk_build_pin_base (r, &ro, o->locked, err) < 0
      || mk_repos_open (r, &ro, &repos, err) < 0
      || mk_solve_why (r, repos, name, &w, err) < 0)
    return -1;
  if (o->json)
    print_json (r, w);
  else
    print_text (r, w);
  fflush (stdout);
  return 0;
}
