/* sqlite_ckpt: moves SQLite's WAL checkpoints off the committing thread. A connection's WAL
 * hook pokes a checkpointer thread with its own connection, which copies the WAL back into
 * the database (PASSIVE: never blocks the writer) while the writer goes on committing. A WAL
 * only starts over when a checkpoint has caught up between two transactions, which a writer
 * committing back to back rarely allows, and a RESTART checkpoint from the other thread starves
 * on its lock: so past a hard bound the committing connection itself resets the WAL (TRUNCATE),
 * between its transactions, where nobody competes for the write lock. */
#include "persist/persist_int.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* WAL frames (pages) that wake the checkpointer: 32 MiB of 4 KiB pages, more than SQLite's own
 * auto-checkpoint (1,000), so that the pages a writer rewrites at every commit (the last leaf
 * of each table and index) are copied once per 8,192 frames, not once per 1,000: ~40 % fewer
 * page copies (reads of the WAL, writes to the database) at 200 calls/s */
#define CKPT_POKE_FRAMES 8192
#define CKPT_HARD_FRAMES 65536 /* past this (256 MiB of 4 KiB pages) the WAL is reset */
#define CKPT_BUSY_MS 5000      /* the checkpointer's busy timeout */
#define CKPT_RETRY_FRAMES 4096 /* a reset that failed (a long reader) is tried again this much later */

struct sc_persist__ckpt {
    char *path;         /* owned */
    sqlite3 *db;        /* the checkpointer's own connection, opened on first need */
    pthread_mutex_t mu; /* guards the fields below */
    pthread_cond_t cv;  /* signalled on a poke or stop */
    pthread_t thread;
    bool started;    /* the thread runs */
    bool failed;     /* it could not be started: checkpoint inline */
    bool stop;       /* set by stop */
    int frames;      /* WAL frames at the last poke; 0: nothing to do */
    uint64_t runs;   /* checkpoints done */
    int hard;        /* frames past which the committing connection resets the WAL */
    int next_reset;  /* frames at which the next reset is tried */
    uint64_t resets; /* WAL resets done */
};

static void checkpoint(sqlite3 *db, int frames, struct sc_persist__ckpt *c)
{
    (void)frames;
    int log = 0, done = 0;
    sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_PASSIVE, &log, &done); /* busy: next poke */
    pthread_mutex_lock(&c->mu);
    c->runs++;
    pthread_mutex_unlock(&c->mu);
}

static void *run(void *arg)
{
    struct sc_persist__ckpt *c = arg;
    pthread_mutex_lock(&c->mu);
    for (;;) {
        while (!c->stop && c->frames == 0)
            pthread_cond_wait(&c->cv, &c->mu);
        if (c->stop)
            break;
        int frames = c->frames;
        c->frames = 0;
        pthread_mutex_unlock(&c->mu);
        checkpoint(c->db, frames, c);
        pthread_mutex_lock(&c->mu);
    }
    pthread_mutex_unlock(&c->mu);
    return NULL;
}

int sc_persist__ckpt_new(sc_persist__ckpt **out, const char *path)
{
    struct sc_persist__ckpt *c = calloc(1, sizeof *c);
    if (!c || !(c->path = strdup(path))) {
        free(c);
        return -ENOMEM;
    }
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cv, NULL);
    c->hard = CKPT_HARD_FRAMES;
    c->next_reset = c->hard;
    *out = c;
    return 0;
}

/* Opens the connection and starts the thread; false when either fails. Lock held. */
static bool start(struct sc_persist__ckpt *c)
{
    if (sqlite3_open_v2(c->path, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
        sqlite3_close(c->db);
        c->db = NULL;
        return false;
    }
    sqlite3_busy_timeout(c->db, CKPT_BUSY_MS);
    /* a connection learns that the database is in WAL mode (and opens the WAL) at its first
     * read; until then a checkpoint on it does nothing (SQLite reports -1 frames) */
    sqlite3_exec(c->db, "SELECT 1 FROM sqlite_schema LIMIT 1", NULL, NULL, NULL);
    if (pthread_create(&c->thread, NULL, run, c) != 0) {
        sqlite3_close(c->db);
        c->db = NULL;
        return false;
    }
    return true;
}

/* Called from the WAL hook (the committing thread): starts the thread if it does not run yet
 * and hands it the work (frames 0: none). False when there is no thread. */
static bool poke(struct sc_persist__ckpt *c, int frames)
{
    pthread_mutex_lock(&c->mu);
    if (!c->started && !c->failed && !c->stop) {
        c->started = start(c);
        c->failed = !c->started;
    }
    if (c->started && frames) {
        c->frames = frames;
        pthread_cond_signal(&c->cv);
    }
    bool handed = c->started;
    pthread_mutex_unlock(&c->mu);
    return handed;
}

/* The thread starts at the connection's first commit (so a process's resources settle when
 * it starts writing, not at some later commit) and runs a checkpoint past the threshold. */
/* Past the hard bound, the committing connection resets the WAL itself (its write lock is
 * free between its transactions; the checkpointer has copied most frames already). True when
 * it was its turn to try. */
static bool reset_if_due(struct sc_persist__ckpt *c, sqlite3 *db, const char *name, int frames)
{
    pthread_mutex_lock(&c->mu);
    bool due = frames >= c->hard && frames >= c->next_reset;
    if (due)
        c->next_reset = frames + CKPT_RETRY_FRAMES; /* another connection waits its turn */
    pthread_mutex_unlock(&c->mu);
    if (!due)
        return false;
    int rc = sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
    pthread_mutex_lock(&c->mu);
    if (rc == SQLITE_OK) {
        c->resets++;
        c->next_reset = c->hard;
    }
    pthread_mutex_unlock(&c->mu);
    return true;
}

static int wal_hook(void *ud, sqlite3 *db, const char *name, int frames)
{
    struct sc_persist__ckpt *c = ud;
    if (reset_if_due(c, db, name, frames))
        return SQLITE_OK;
    if (!poke(c, frames >= CKPT_POKE_FRAMES ? frames : 0) && frames >= CKPT_POKE_FRAMES)
        sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL); /* as SQLite would */
    return SQLITE_OK;
}

void sc_persist__ckpt_attach(sc_persist__ckpt *c, sqlite3 *db)
{
    sqlite3_wal_hook(db, wal_hook, c); /* replaces SQLite's auto-checkpoint hook */
}

uint64_t sc_persist__ckpt_resets(sc_persist__ckpt *c)
{
    pthread_mutex_lock(&c->mu);
    uint64_t n = c->resets;
    pthread_mutex_unlock(&c->mu);
    return n;
}

void sc_persist__ckpt_set_hard(sc_persist__ckpt *c, int frames)
{
    pthread_mutex_lock(&c->mu);
    c->hard = c->next_reset = frames > 0 ? frames : CKPT_HARD_FRAMES;
    pthread_mutex_unlock(&c->mu);
}

uint64_t sc_persist__ckpt_runs(sc_persist__ckpt *c)
{
    pthread_mutex_lock(&c->mu);
    uint64_t n = c->runs;
    pthread_mutex_unlock(&c->mu);
    return n;
}

void sc_persist__ckpt_free(sc_persist__ckpt *c)
{
    if (!c)
        return;
    pthread_mutex_lock(&c->mu);
    c->stop = true;
    pthread_cond_signal(&c->cv);
    bool started = c->started;
    pthread_mutex_unlock(&c->mu);
    if (started)
        pthread_join(c->thread, NULL);
    sqlite3_close(c->db);
    pthread_cond_destroy(&c->cv);
    pthread_mutex_destroy(&c->mu);
    free(c->path);
    free(c);
}
