/* test_json.c: unit tests for json.c's reader and record.c: values of
 * every type, escapes, rejection of malformed documents and of runaway
 * nesting, and a build record written and read back unchanged. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json.h"
#include "record.h"
#include "util.h"

#include "tap.h"

static void
test_values (void)
{
  mk_error_t err = NULL;
  struct mk_json *v = NULL;
  const char *doc = " {\"a\": [1, 2.5, -3, true, false, null],\n"
                    "  \"s\": \"x\\\"y\\\\z\\n\\u00e9\\u0041\", \"big\": "
                    "18446744073709551615, \"o\": {}} ";
  ok (mk_json_parse (doc, "doc", &v, &err) == 0, "a document parses");
  if (v == NULL)
    return;
  is_int (v->type, MK_JSON_OBJECT, "an object");
  is_int (mk_json_get (v, "a")->n, 6, "the array has 6 items");
  is_int (mk_json_get (v, "a")->items[0]->u64, 1, "an integer");
  ok (mk_json_get (v, "a")->items[1]->number == 2.5, "a fraction");
  ok (mk_json_get (v, "a")->items[2]->number == -3, "a negative number");
  ok (mk_json_get (v, "a")->items[3]->boolean, "true");
  is_int (mk_json_get (v, "a")->items[5]->type, MK_JSON_NULL, "null");
  is_str (mk_json_get_str (v, "s"), "x\"y\\z\n\xc3\xa9" "A", "escapes");
  ok (mk_json_get_u64 (v, "big") == UINT64_MAX, "a 64-bit count, exactly");
  is_int (mk_json_get (v, "o")->n, 0, "an empty object");
  is_str (mk_json_get_str (v, "missing"), "", "a missing key reads as \"\"");
  is_int (mk_json_get_u64 (v, "s"), 0, "a string read as a number is 0");
  mk_json_free (v);
}

static void
test_invalid (void)
{
  static const char *bad[] = { "", "{", "[1,]", "{\"a\" 1}", "\"abc",
                               "[1] x", "{\"a\":01x}", "tru", "\"\\q\"",
                               "\"a\nb\"", "[-]" };
  char deep[200];
  for (size_t i = 0; i < ARRAY_SIZE (bad); i++)
    {
      mk_error_t err = NULL;
      struct mk_json *v = NULL;
      ok (mk_json_parse (bad[i], "bad", &v, &err) < 0 && v == NULL,
          "rejects bad document %zu", i);
      if (err)
        ok (strstr (err->msg, "bad: invalid JSON near byte") != NULL,
            "with the offset: %s", err->msg);
      mk_error_release (&err);
    }
  memset (deep, '[', sizeof deep - 1);
  deep[sizeof deep - 1] = '\0';
  {
    mk_error_t err = NULL;
    struct mk_json *v = NULL;
    ok (mk_json_parse (deep, "deep", &v, &err) < 0, "rejects 199 levels");
    mk_error_release (&err);
  }
}

static void
test_record (void)
{
  mk_error_t err = NULL;
  char dir[] = "/tmp/test_json.XXXXXX";
  struct mk_record_pkg pkgs[] = {
    { .nevra = (char *) "a-1-1.x86_64", .sha256 = (char *) "00ff",
      .entries = 3, .bytes = 100, .pruned_entries = 2, .pruned_bytes = 7 },
    { .nevra = (char *) "b\"q-2-1.noarch", .sha256 = (char *) "",
      .entries = 1, .bytes = 0 } };
  struct mk_record_rule rules[] = { { (char *) "%doc files", 2, 7 } };
  struct mk_record rec = { .name = (char *) "n", .profile = (char *) "zero",
                           .image = (char *) "n.tar", .sha256 = (char *) "ab",
                           .source_date_epoch = 1700000000, .pkgs = pkgs,
                           .n_pkgs = 2, .rules = rules, .n_rules = 1,
                           .entries = 5, .bytes = 100, .implied_entries = 1,
                           .pruned_entries = 2, .pruned_bytes = 7 };
  struct mk_record *back = NULL;
  cleanup_free char *path = NULL;

  if (mkdtemp (dir) == NULL)
    return;
  path = xasprintf ("%s/n.record.json", dir);
  ok (mk_record_write (&rec, path, &err) == 0, "a record is written");
  ok (mk_record_read (path, &back, &err) == 0, "and read back");
  if (back)
    {
      is_str (back->profile, "zero", "profile");
      is_int (back->source_date_epoch, 1700000000, "source_date_epoch");
      is_int (back->n_pkgs, 2, "two packages");
      is_str (back->pkgs[1].nevra, "b\"q-2-1.noarch", "an escaped name");
      is_int (back->pkgs[0].pruned_bytes, 7, "pruned bytes");
      is_str (back->rules[0].label, "%doc files", "the rule's label");
      is_int (back->implied_entries, 1, "totals");
    }
  mk_record_free (back);
  {
    cleanup_free char *rp = mk_record_path ("out/x.tar.zst");
    is_str (rp, "out/x.record.json", "the record of out/x.tar.zst");
  }
  unlink (path);
  rmdir (dir);
}

int
main (void)
{
  test_values ();
  test_invalid ();
  test_record ();
  return tap_done ();
}
