/* sqlite.c: the only file that includes sqlite3.h.  librpm writes the
 * image's rpm database in WAL mode and leaves the -wal and -shm files
 * next to it for unprivileged readers; their content (wal-index salts) is
 * random.  Here the database is turned into one deterministic file that
 * every rpm >= 4.16 reads (rpm switches it back to WAL the first time it
 * writes). */
#define _GNU_SOURCE
#include "sqlite.h"

#include <sqlite3.h>
#include <stdio.h>
#include <unistd.h>

#include "util.h"

/* The connection librpm opened last in this process, while it is open
 * (its close is traced), for mk_sqlite_batch_*. */
static sqlite3 *batch_conn;

static int
on_close (unsigned type, void *ctx, void *p, void *x)
{
  (void) ctx, (void) x;
  if (type == SQLITE_TRACE_CLOSE && p == batch_conn)
    batch_conn = NULL;
  return 0;
}

static int
remember (sqlite3 *db, const char **msg, const void *api)
{
  (void) msg, (void) api;
  batch_conn = db;
  sqlite3_trace_v2 (db, SQLITE_TRACE_CLOSE, on_close, NULL);
  return SQLITE_OK;
}

void
mk_sqlite_unshared (void)
{
  /* The cast is sqlite's own convention for entry points. */
  sqlite3_auto_extension ((void (*) (void)) remember);
  /* "unix-excl" takes the file lock once and keeps it, and keeps the
   * WAL index in the heap: the same database, without the lock and unlock
   * librpm's sqlite would make around each of its transactions (3,800
   * fcntl calls for 32 packages, measured).  "unix-none" would drop
   * locking altogether, but without WAL the file comes out with other
   * bytes. */
  sqlite3_vfs *v = sqlite3_vfs_find ("unix-excl");
  if (v)
    sqlite3_vfs_register (v, 1);
}

/* librpm commits once per package it adds to the database (a savepoint
 * per package and per index table, released at once): in WAL mode every
 * commit appends each page it touched to the log, 27 MB written for a 1 MB
 * database of 32 packages.  Inside one transaction of ours those
 * savepoints nest and nothing is written until the end.  The database's
 * content is the same, and mk_sqlite_normalize's VACUUM writes it in the
 * same canonical form.  The savepoints nested in it need a statement
 * journal, a temporary file sqlite puts in /var/tmp (4 MB in about 2,000
 * writes for 32 packages, measured; on the host's disk, not the build's
 * directory); temp_store = MEMORY keeps it, and VACUUM's copy, in memory.
 * Neither reaches the database file. */
void
mk_sqlite_batch_begin (void)
{
  if (batch_conn && sqlite3_get_autocommit (batch_conn))
    sqlite3_exec (batch_conn, "PRAGMA temp_store = MEMORY; BEGIN", NULL,
                  NULL, NULL);
}

int
mk_sqlite_batch_commit (char *why, size_t len)
{
  if (batch_conn == NULL || sqlite3_get_autocommit (batch_conn))
    return 0;
  if (sqlite3_exec (batch_conn, "COMMIT", NULL, NULL, NULL) == SQLITE_OK)
    return 0;
  snprintf (why, len, "rpm database: sqlite: %s",
            sqlite3_errmsg (batch_conn));
  return -1;
}

int
mk_sqlite_normalize (const char *path, mk_error_t *err)
{
  sqlite3 *db = NULL;
  char *msg = NULL;
  int rc = sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE, NULL);

  if (rc == SQLITE_OK)
    rc = sqlite3_exec (db, "PRAGMA temp_store = MEMORY; "
                       "PRAGMA journal_mode = DELETE; VACUUM;", NULL,
                       NULL, &msg);
  if (rc != SQLITE_OK)
    {
      mk_make_error (err, 0, "`%s`: sqlite: %s", path,
                     msg ? msg : db ? sqlite3_errmsg (db)
                                    : sqlite3_errstr (rc));
      sqlite3_free (msg);
      sqlite3_close (db);
      return -1;
    }
  if (sqlite3_close (db) != SQLITE_OK)
    return mk_make_error (err, 0, "`%s`: sqlite: cannot close", path);
  /* Closing the last connection in rollback mode leaves no -wal/-shm,
   * but the persisted ones librpm left are ours to remove. */
  {
    cleanup_free char *wal = xasprintf ("%s-wal", path);
    cleanup_free char *shm = xasprintf ("%s-shm", path);
    unlink (wal);
    unlink (shm);
  }
  return 0;
}
