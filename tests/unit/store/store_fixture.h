/* store_fixture: a manual clock, vocabulary, a small table and a store for the store tests. */
#ifndef SC_TEST_STORE_FIXTURE_H
#define SC_TEST_STORE_FIXTURE_H

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "session_core/store.h"

#define SF_UNUSED __attribute__((unused))
#define SF_T0_WALL 1795780800000000LL /* 2026-11-27T12:00:00Z */

static const char *SF_TABLE =
    "version: 1\n"
    "name: store\n"
    "initial: Idle\n"
    "states:\n"
    "  Idle: {}\n"
    "  Ringing: {}\n"
    "  Active: {}\n"
    "  Terminated: {terminal: true}\n"
    "  Failed: {terminal: true}\n"
    "transitions:\n"
    "  - {role: uas, from: Idle, event: IncomingCall, to: Ringing}\n"
    "  - {role: uac, from: Idle, event: MakeCall, to: Ringing}\n"
    "  - {role: uas, from: Ringing, event: AcceptCall, to: Active}\n"
    "  - {role: uas, from: Ringing, event: RejectCall, to: Failed}\n"
    "  - {role: uac, from: Ringing, event: Dialog200OK, to: Active}\n"
    "  - {role: any, from: Active, event: HoldCall, guards: [HasSdp], actions: [{SendReInvite: {direction: sendonly}}]}\n"
    "  - {role: any, from: '*', event: HangupCall, to: Terminated}\n"
    "  - {role: any, from: '*', event: DialogBYE, to: Terminated}\n"
    "  - {role: any, from: '*', event: DialogError, to: Failed}\n";

typedef struct sf {
    sc_manual_clock *clk;
    sc_vocab *vocab;
    sc_table *table;
    sc_store *store;
} sf;

static SF_UNUSED sf *sf_new(size_t history_capacity)
{
    sf *f = calloc(1, sizeof *f);
    assert_non_null(f);
    assert_int_equal(sc_manual_clock_new(&f->clk, 5000000, SF_T0_WALL), 0);
    assert_int_equal(sc_vocab_new(&f->vocab), 0);
    assert_int_equal(sc_table_load_buffer(&f->table, "store.yaml", SF_TABLE, strlen(SF_TABLE), f->vocab, NULL), 0);
    sc_store_config cfg = {.clock = sc_manual_clock_get(f->clk), .history_capacity = history_capacity};
    assert_int_equal(sc_store_new(&f->store, &cfg), 0);
    return f;
}

static SF_UNUSED void sf_free(sf *f)
{
    sc_store_free(f->store);
    sc_table_unref(f->table);
    sc_vocab_free(f->vocab);
    sc_manual_clock_free(f->clk);
    free(f);
}

static SF_UNUSED sc_session *sf_create(sf *f, sc_role role, const char *id)
{
    sc_session *s = NULL;
    assert_int_equal(sc_store_create(f->store, f->table, role, id, &s), 0);
    return s;
}

#endif
