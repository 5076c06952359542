/* sqlite_walbuf: a VFS over SQLite's default one that gathers the writes to a WAL file (SQLite
 * writes each frame with two calls: its 24-byte header, then the page) in memory and hands
 * them to the file as one write when SQLite syncs the WAL. It is used only with
 * synchronous=FULL (strict durability), where SQLite syncs the WAL at every commit after
 * writing its frames and before it publishes the new wal-index header in shared memory:
 * so the commit's sync covers its frames, and no reader (which finds frames through that
 * header) can see a commit whose frames are not in the file yet. Any other access to the
 * WAL (read, size, truncate, file control, close) writes the gathered bytes first, and so
 * does a write that does not append to them (SQLite rewriting a frame of the open
 * transaction). Other files (the database, its shared memory) are the default VFS's own,
 * untouched. */
#include "persist/persist_int.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#define WB_NAME "sc-walbuf"
#define WB_MAX (1 << 20) /* gathered bytes written out when a write would pass this */
/* The largest write handed to the default VFS: the unix VFS writes at most 128 KiB - 1 bytes
 * per call (SQLite itself never asks for more than a page), so the gathered bytes go in
 * pieces of this size. */
#define WB_CHUNK (120 * 1024)

typedef struct wb_file {
    sqlite3_file base;  /* pMethods: wb_methods[...] */
    sqlite3_file *real; /* the default VFS's file, in the memory right after this struct */
    char *buf;          /* gathered bytes, for offsets [off, off + len) */
    size_t len, cap;
    sqlite3_int64 off;
} wb_file;

static sqlite3_vfs wb_vfs;
static sqlite3_vfs *wb_real; /* the default VFS at registration */
static sqlite3_io_methods wb_methods[3];
static pthread_once_t wb_once = PTHREAD_ONCE_INIT;
static bool wb_ok;
static uint64_t wb_writes, wb_flushes; /* counters (atomic): SQLite's WAL writes, ours */

static int wb_flush(wb_file *f)
{
    if (!f->len)
        return SQLITE_OK;
    int rc = SQLITE_OK;
    for (size_t at = 0; at < f->len && rc == SQLITE_OK; at += WB_CHUNK) {
        size_t n = f->len - at < WB_CHUNK ? f->len - at : WB_CHUNK;
        rc = f->real->pMethods->xWrite(f->real, f->buf + at, (int)n, f->off + (sqlite3_int64)at);
    }
    f->len = 0; /* written, or the commit fails and SQLite writes its frames again */
    __atomic_fetch_add(&wb_flushes, 1, __ATOMIC_RELAXED);
    return rc;
}

static int wb_close(sqlite3_file *file)
{
    wb_file *f = (wb_file *)file;
    int rc = wb_flush(f);
    int rc2 = f->real->pMethods->xClose(f->real);
    free(f->buf);
    f->buf = NULL;
    return rc != SQLITE_OK ? rc : rc2;
}

static int wb_read(sqlite3_file *file, void *out, int amt, sqlite3_int64 off)
{
    wb_file *f = (wb_file *)file;
    int rc = wb_flush(f);
    return rc != SQLITE_OK ? rc : f->real->pMethods->xRead(f->real, out, amt, off);
}

/* Appends to the gathered bytes when the write continues them, else writes them out first. */
static int wb_write(sqlite3_file *file, const void *data, int amt, sqlite3_int64 off)
{
    wb_file *f = (wb_file *)file;
    __atomic_fetch_add(&wb_writes, 1, __ATOMIC_RELAXED);
    size_t n = (size_t)amt;
    if (f->len && (off != f->off + (sqlite3_int64)f->len || f->len + n > WB_MAX)) {
        int rc = wb_flush(f);
        if (rc != SQLITE_OK)
            return rc;
    }
    if (n > WB_MAX)
        return f->real->pMethods->xWrite(f->real, data, amt, off);
    if (f->len + n > f->cap) {
        size_t cap = f->cap ? f->cap : 64 * 1024;
        while (cap < f->len + n)
            cap *= 2;
        char *nb = realloc(f->buf, cap);
        if (!nb) { /* no memory to gather: write through */
            int rc = wb_flush(f);
            return rc != SQLITE_OK ? rc : f->real->pMethods->xWrite(f->real, data, amt, off);
        }
        f->buf = nb;
        f->cap = cap;
    }
    if (!f->len)
        f->off = off;
    memcpy(f->buf + f->len, data, n);
    f->len += n;
    return SQLITE_OK;
}

static int wb_truncate(sqlite3_file *file, sqlite3_int64 size)
{
    wb_file *f = (wb_file *)file;
    int rc = wb_flush(f);
    return rc != SQLITE_OK ? rc : f->real->pMethods->xTruncate(f->real, size);
}

static int wb_sync(sqlite3_file *file, int flags)
{
    wb_file *f = (wb_file *)file;
    int rc = wb_flush(f);
    return rc != SQLITE_OK ? rc : f->real->pMethods->xSync(f->real, flags);
}

static int wb_file_size(sqlite3_file *file, sqlite3_int64 *size)
{
    wb_file *f = (wb_file *)file;
    int rc = wb_flush(f);
    return rc != SQLITE_OK ? rc : f->real->pMethods->xFileSize(f->real, size);
}

static int wb_lock(sqlite3_file *file, int lock)
{
    wb_file *f = (wb_file *)file;
    return f->real->pMethods->xLock(f->real, lock);
}

static int wb_unlock(sqlite3_file *file, int lock)
{
    wb_file *f = (wb_file *)file;
    return f->real->pMethods->xUnlock(f->real, lock);
}

static int wb_check_reserved(sqlite3_file *file, int *out)
{
    wb_file *f = (wb_file *)file;
    return f->real->pMethods->xCheckReservedLock(f->real, out);
}

static int wb_file_control(sqlite3_file *file, int op, void *arg)
{
    wb_file *f = (wb_file *)file;
    int rc = wb_flush(f);
    return rc != SQLITE_OK ? rc : f->real->pMethods->xFileControl(f->real, op, arg);
}

static int wb_sector_size(sqlite3_file *file)
{
    wb_file *f = (wb_file *)file;
    return f->real->pMethods->xSectorSize(f->real);
}

static int wb_device_characteristics(sqlite3_file *file)
{
    wb_file *f = (wb_file *)file;
    return f->real->pMethods->xDeviceCharacteristics(f->real);
}

static int wb_shm_map(sqlite3_file *file, int pg, int pgsz, int extend, void volatile **out)
{
    wb_file *f = (wb_file *)file;
    return f->real->pMethods->xShmMap(f->real, pg, pgsz, extend, out);
}

static int wb_shm_lock(sqlite3_file *file, int offset, int n, int flags)
{
    wb_file *f = (wb_file *)file;
    return f->real->pMethods->xShmLock(f->real, offset, n, flags);
}

static void wb_shm_barrier(sqlite3_file *file)
{
    wb_file *f = (wb_file *)file;
    f->real->pMethods->xShmBarrier(f->real);
}

static int wb_shm_unmap(sqlite3_file *file, int del)
{
    wb_file *f = (wb_file *)file;
    return f->real->pMethods->xShmUnmap(f->real, del);
}

static int wb_fetch(sqlite3_file *file, sqlite3_int64 off, int amt, void **out)
{
    wb_file *f = (wb_file *)file;
    int rc = wb_flush(f);
    return rc != SQLITE_OK ? rc : f->real->pMethods->xFetch(f->real, off, amt, out);
}

static int wb_unfetch(sqlite3_file *file, sqlite3_int64 off, void *p)
{
    wb_file *f = (wb_file *)file;
    return f->real->pMethods->xUnfetch(f->real, off, p);
}

/* A WAL file is wrapped; any other file is opened in place as the default VFS's own. */
static int wb_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *file, int flags, int *out_flags)
{
    (void)vfs;
    if (!(flags & SQLITE_OPEN_WAL))
        return wb_real->xOpen(wb_real, name, file, flags, out_flags);
    wb_file *f = (wb_file *)file;
    memset(f, 0, sizeof *f);
    f->real = (sqlite3_file *)(f + 1);
    int rc = wb_real->xOpen(wb_real, name, f->real, flags, out_flags);
    if (rc != SQLITE_OK) {
        if (f->real->pMethods)
            f->real->pMethods->xClose(f->real);
        f->base.pMethods = NULL;
        return rc;
    }
    int v = f->real->pMethods->iVersion;
    f->base.pMethods = &wb_methods[(v < 1 ? 1 : v > 3 ? 3 : v) - 1];
    return SQLITE_OK;
}

static int wb_delete(sqlite3_vfs *vfs, const char *name, int sync_dir)
{
    (void)vfs;
    return wb_real->xDelete(wb_real, name, sync_dir);
}

static int wb_access(sqlite3_vfs *vfs, const char *name, int flags, int *out)
{
    (void)vfs;
    return wb_real->xAccess(wb_real, name, flags, out);
}

static int wb_full_pathname(sqlite3_vfs *vfs, const char *name, int n, char *out)
{
    (void)vfs;
    return wb_real->xFullPathname(wb_real, name, n, out);
}

static void *wb_dl_open(sqlite3_vfs *vfs, const char *name)
{
    (void)vfs;
    return wb_real->xDlOpen(wb_real, name);
}

static void wb_dl_error(sqlite3_vfs *vfs, int n, char *msg)
{
    (void)vfs;
    wb_real->xDlError(wb_real, n, msg);
}

static void (*wb_dl_sym(sqlite3_vfs *vfs, void *h, const char *sym))(void)
{
    (void)vfs;
    return wb_real->xDlSym(wb_real, h, sym);
}

static void wb_dl_close(sqlite3_vfs *vfs, void *h)
{
    (void)vfs;
    wb_real->xDlClose(wb_real, h);
}

static int wb_randomness(sqlite3_vfs *vfs, int n, char *out)
{
    (void)vfs;
    return wb_real->xRandomness(wb_real, n, out);
}

static int wb_sleep(sqlite3_vfs *vfs, int us)
{
    (void)vfs;
    return wb_real->xSleep(wb_real, us);
}

static int wb_current_time(sqlite3_vfs *vfs, double *out)
{
    (void)vfs;
    return wb_real->xCurrentTime(wb_real, out);
}

static int wb_last_error(sqlite3_vfs *vfs, int n, char *out)
{
    (void)vfs;
    return wb_real->xGetLastError ? wb_real->xGetLastError(wb_real, n, out) : 0;
}

static int wb_current_time64(sqlite3_vfs *vfs, sqlite3_int64 *out)
{
    (void)vfs;
    if (wb_real->iVersion >= 2 && wb_real->xCurrentTimeInt64)
        return wb_real->xCurrentTimeInt64(wb_real, out);
    double d = 0;
    int rc = wb_real->xCurrentTime(wb_real, &d);
    *out = (sqlite3_int64)(d * 86400000.0);
    return rc;
}

static void wb_register(void)
{
    wb_real = sqlite3_vfs_find(NULL);
    if (!wb_real || wb_real->iVersion < 1)
        return;
    static const sqlite3_io_methods m = {
        3,
        wb_close,
        wb_read,
        wb_write,
        wb_truncate,
        wb_sync,
        wb_file_size,
        wb_lock,
        wb_unlock,
        wb_check_reserved,
        wb_file_control,
        wb_sector_size,
        wb_device_characteristics,
        wb_shm_map,
        wb_shm_lock,
        wb_shm_barrier,
        wb_shm_unmap,
        wb_fetch,
        wb_unfetch,
    };
    for (int i = 0; i < 3; i++) {
        wb_methods[i] = m;
        wb_methods[i].iVersion = i + 1;
    }
    int sz = (int)sizeof(wb_file) + wb_real->szOsFile;
    wb_vfs = (sqlite3_vfs){
        .iVersion = 2,
        .szOsFile = sz > wb_real->szOsFile ? sz : wb_real->szOsFile,
        .mxPathname = wb_real->mxPathname,
        .zName = WB_NAME,
        .xOpen = wb_open,
        .xDelete = wb_delete,
        .xAccess = wb_access,
        .xFullPathname = wb_full_pathname,
        .xDlOpen = wb_dl_open,
        .xDlError = wb_dl_error,
        .xDlSym = wb_dl_sym,
        .xDlClose = wb_dl_close,
        .xRandomness = wb_randomness,
        .xSleep = wb_sleep,
        .xCurrentTime = wb_current_time,
        .xGetLastError = wb_last_error,
        .xCurrentTimeInt64 = wb_current_time64,
    };
    wb_ok = sqlite3_vfs_register(&wb_vfs, 0) == SQLITE_OK;
}

const char *sc_persist__walbuf_vfs(void)
{
    pthread_once(&wb_once, wb_register);
    return wb_ok ? WB_NAME : NULL;
}

void sc_persist__walbuf_counts(uint64_t *writes, uint64_t *flushes)
{
    *writes = __atomic_load_n(&wb_writes, __ATOMIC_RELAXED);
    *flushes = __atomic_load_n(&wb_flushes, __ATOMIC_RELAXED);
}
