/* Tests for the SQLite WAL checkpointer (src/persist/sqlite_ckpt.c): a writer committing back to
 * back keeps its WAL bounded, because past the hard bound its own connection resets the WAL
 * between transactions (a soak at 40 calls/s grew it by ~480 MB a minute when only the
 * checkpointer thread tried, with a RESTART that starved on the write lock). */
#include "persist/persist_int.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

static long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : 0;
}

static void test_wal_bounded_under_back_to_back_commits(void **state)
{
    (void)state;
    char dir[] = "/tmp/sc-wal-XXXXXX", db_path[64], wal_path[80];
    assert_non_null(mkdtemp(dir));
    snprintf(db_path, sizeof db_path, "%s/w.db", dir);
    snprintf(wal_path, sizeof wal_path, "%s-wal", db_path);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(db_path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db,
                                  "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                                  "PRAGMA journal_size_limit=0; CREATE TABLE t(v BLOB)",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sc_persist__ckpt *c = NULL;
    assert_int_equal(sc_persist__ckpt_new(&c, db_path), 0);
    sc_persist__ckpt_set_hard(c, 256); /* 1 MiB of 4 KiB pages instead of 256 MiB */
    sc_persist__ckpt_attach(c, db);
    sqlite3_stmt *ins = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, "INSERT INTO t(v) VALUES (zeroblob(8000))", -1, &ins, NULL), SQLITE_OK);
    long most = 0;
    for (int i = 0; i < 3000; i++) { /* ~24 MB written, one transaction each */
        assert_int_equal(sqlite3_step(ins), SQLITE_DONE);
        sqlite3_reset(ins);
        long n = file_size(wal_path);
        most = n > most ? n : most;
    }
    assert_true(sc_persist__ckpt_resets(c) >= 1);
    /* bounded by the hard bound and one transaction (1 MiB here; the checkpointer thread alone,
     * PASSIVE, let it reach ~50 MB in this loop: it never catches up between two commits) */
    assert_true(most < 2L * 1024 * 1024);
    sqlite3_finalize(ins);
    sc_persist__ckpt_free(c);
    sqlite3_close(db);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

/* The checkpointer thread copies the WAL back into the database file by itself (PASSIVE,
 * below the hard bound): its own connection must know the database is in WAL mode (a fresh
 * connection's checkpoint did nothing, and the WAL grew to the hard bound, 256 MiB, which the
 * committing connection then copied in one go). */
static void test_checkpointer_copies_frames(void **state)
{
    (void)state;
    char dir[] = "/tmp/sc-wal-XXXXXX", db_path[64];
    assert_non_null(mkdtemp(dir));
    snprintf(db_path, sizeof db_path, "%s/c.db", dir);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(db_path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; CREATE TABLE t(v BLOB)",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sc_persist__ckpt *c = NULL;
    assert_int_equal(sc_persist__ckpt_new(&c, db_path), 0);
    sc_persist__ckpt_attach(c, db);
    sqlite3_stmt *ins = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, "INSERT INTO t(v) VALUES (zeroblob(8000))", -1, &ins, NULL), SQLITE_OK);
    for (int i = 0; i < 4000; i++) { /* ~12,000 frames: past the 8,192 that wake the thread */
        assert_int_equal(sqlite3_step(ins), SQLITE_DONE);
        sqlite3_reset(ins);
    }
    long db_size = 0;
    for (int i = 0; i < 500 && db_size < 2L * 1024 * 1024; i++) { /* up to 5 s */
        usleep(10000);
        db_size = file_size(db_path);
    }
    assert_true(db_size >= 2L * 1024 * 1024); /* the thread copied frames (of ~32 MB of rows) */
    assert_int_equal(sc_persist__ckpt_resets(c), 0);
    sqlite3_finalize(ins);
    sc_persist__ckpt_free(c);
    sqlite3_close(db);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wal_bounded_under_back_to_back_commits),
        cmocka_unit_test(test_checkpointer_copies_frames),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
