/* record_text: the persisted documents of a session (snapshot, creation and transition event
 * records) written straight to compact JSON text in a reusable buffer, for the recorder's hot
 * path. Same documents as sc_session_snapshot_json / _created_json / _event_json. */
#ifndef SC_STORE_RECORD_TEXT_H
#define SC_STORE_RECORD_TEXT_H

#include "session_core/store.h"

/* A growing text buffer; zero-initialise it, reuse it (sc_text_reset), free with sc_text_free. */
typedef struct sc_text {
    char *p;    /* NUL-terminated when len > 0; owned */
    size_t len;
    size_t cap;
    bool oom;   /* an allocation failed: the content is incomplete */
} sc_text;

void sc_text_reset(sc_text *b);
void sc_text_free(sc_text *b);

/* Each replaces b's content with the document and returns 0 or -ENOMEM. */
/* The snapshot (keys of sc_session_snapshot_json), plus "node" when node is not NULL. */
int sc_session_snapshot_text(const sc_session *s, const char *node, sc_text *b);
/* The creation record (seq 0). */
int sc_session_created_text(const sc_session *s, sc_text *b);
/* The record of history entry rec (fields: the dirty ones, null when cleared). */
int sc_session_event_text(const sc_session *s, const sc_history_record *rec, sc_text *b);

#endif
