/* sqlite.h: the one thing mkbase does to an sqlite file itself. */
#ifndef MK_SQLITE_H
#define MK_SQLITE_H

#include "error.h"

/* Make an sqlite database file self-contained and reproducible: switch it
 * from WAL to a rollback journal (so readers need no -wal/-shm files and
 * none ship in the image) and VACUUM it (pages in a canonical order, no
 * free pages). */
/* For a process that is the only user of the databases it opens (the
 * rpmdb child): make sqlite lock each file once, not around every
 * transaction.  Before anything opens a database. */
void mk_sqlite_unshared (void);

/* One transaction around what librpm writes to the database it has open
 * (see sqlite.c): begin once the database is open (a no-op before, or
 * when a transaction is already open), commit before librpm closes it.
 * commit returns -1 with why filled. */
void mk_sqlite_batch_begin (void);
int mk_sqlite_batch_commit (char *why, size_t len);
int mk_sqlite_normalize (const char *path, mk_error_t *err);

#endif
