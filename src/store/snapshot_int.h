/* snapshot_int: JSON helpers shared by the snapshot and event-record files of src/store. */
#ifndef SC_STORE_SNAPSHOT_INT_H
#define SC_STORE_SNAPSHOT_INT_H

#include "store/store_int.h"

/* Integer member key of o into *out: 0 or -EINVAL (absent or not an integer). */
int sc_store__get_i64(const json_t *o, const char *key, int64_t *out);
/* String member key of o (borrowed), or NULL. */
const char *sc_store__get_str(const json_t *o, const char *key);
/* A JSON string of bytes from SIP (a field), as lossless text (sc_text_escape); NULL: null. */
json_t *sc_store__json_text(const char *s);
/* State id of name in s's table: 0 or -EINVAL. */
int sc_store__state_id(const sc_session *s, const char *name, sc_id *out);
/* Add the fields of mask to obj as name -> value (unset: null when nulls, else skipped). */
int sc_store__fields_json(const sc_session *s, uint32_t mask, bool nulls, json_t *obj);
/* Set the fields of obj (name -> string or null); table_hash is ignored. */
int sc_store__load_fields(sc_session *s, const json_t *obj);

#endif
