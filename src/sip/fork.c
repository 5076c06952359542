/* fork: our initial INVITE sent in parallel to several Request-URIs (a registered user's
 * contacts, sc_sip_invite_opts.targets): one INVITE client transaction per branch (same
 * Call-ID, From tag and CSeq, a new Via branch each, To the callee's URI); provisionals are
 * reported and the first one with a tag is the call's early dialog; the first 2xx wins and is
 * the call's dialog while the other branches are CANCELled (a 2xx crossing that CANCEL is ACKed
 * and hung up: end_fork in call.c); when every branch failed the call ends with the best final
 * response, chosen as a proxy would (RFC 3261 16.7). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sip/sip_int.h"

typedef struct sip_fork_branch {
    sip_tx *ict;      /* its INVITE client transaction while it lives (NULL once ended) */
    bool provisional; /* a 1xx came: a CANCEL may go */
    bool cancel_sent;
    bool done; /* a final response, a timeout or a transport error */
} sip_fork_branch;

struct sip_fork {
    size_t n;
    bool won;             /* a 2xx came: the call's dialog is that branch's */
    int best_status;      /* the best final status so far (0: none) */
    osip_message_t *best; /* its response, or NULL for a timeout or transport error */
    bool best_error;      /* the best is a transport error */
    sip_fork_branch b[];  /* n of them */
};

static sip_fork_branch *branch_of(sc_sip_call *call, const sip_tx *tx)
{
    for (size_t i = 0; call->fork && i < call->fork->n; i++)
        if (call->fork->b[i].ict == tx)
            return &call->fork->b[i];
    return NULL;
}

/* One branch's INVITE to target (Request-URI) through (tp, dst): the call's dialog fields with
 * the target as remote target, a new Via branch. */
static int start_branch(sc_sip_call *call, sip_fork_branch *b, const char *target, sc_sip_transport tp,
                        const struct sockaddr_storage *dst, const char *extra, const char *sdp)
{
    sc_sip_dialog_state *d = &call->d;
    char saved[SC_SIP_URI_MAX];
    memcpy(saved, d->remote_target, sizeof saved);
    struct sockaddr_storage saved_addr = d->remote_addr;
    sc_sip_transport saved_tp = d->transport;
    snprintf(d->remote_target, sizeof d->remote_target, "%s", target);
    d->remote_addr = *dst;
    d->transport = tp;
    osip_message_t *req = NULL;
    int rc = sip_build_in_dialog(call, "INVITE", call->invite_cseq, &req);
    memcpy(d->remote_target, saved, sizeof saved);
    d->remote_addr = saved_addr;
    d->transport = saved_tp;
    if (rc == 0 && ((rc = sip_add_headers(req, extra)) != 0 || (rc = sip_set_body(req, NULL, sdp)) != 0)) {
        osip_message_free(req);
        return rc;
    }
    if (rc != 0)
        return rc;
    sip_st_uac_invite(call, req); /* RFC 4028 (session_timer.c) */
    rc = sip_tx_client(call->sip, &b->ict, req, tp, dst, call, TXP_INVITE);
    if (rc != 0)
        osip_message_free(req);
    return rc;
}

int sip_fork_start(sc_sip_call *call, const char *const *targets, size_t n, bool proxied, const char *extra,
                   const char *sdp)
{
    if (!n)
        return -EINVAL;
    struct sip_fork *f = calloc(1, sizeof *f + n * sizeof f->b[0]);
    if (!f)
        return -ENOMEM;
    f->n = n;
    call->fork = f;
    int started = 0, rc = 0;
    for (size_t i = 0; i < n; i++) {
        char uri[SC_SIP_URI_MAX];
        sip_uri_text(uri, sizeof uri, targets[i]);
        sc_sip_transport tp = call->d.transport;
        struct sockaddr_storage dst = call->d.remote_addr; /* through the proxy: its address */
        if (!proxied && sip_uri_dest(uri, &tp, &dst) != 0)
            rc = -EINVAL;
        else
            rc = start_branch(call, &f->b[i], uri, tp, &dst, extra, sdp);
        if (rc != 0) {
            f->b[i].done = true;
            sc_log(call->sip->cfg.logger, SC_LOG_WARN, SIP_MODULE, "call %s: fork branch to %s not started: %s",
                   call->d.call_id, uri, sc_strerror(rc));
        } else {
            started++;
        }
    }
    return started ? 0 : rc;
}

void sip_fork_free(sc_sip_call *call)
{
    if (!call->fork)
        return;
    if (call->fork->best)
        osip_message_free(call->fork->best);
    free(call->fork);
    call->fork = NULL;
}

void sip_fork_tx_gone(sc_sip_call *call, const sip_tx *tx)
{
    sip_fork_branch *b = branch_of(call, tx);
    if (b)
        b->ict = NULL;
}

/* CANCEL b's INVITE; the first CANCEL of a call being cancelled starts its 64*T1 guard. */
static void cancel_branch(sc_sip_call *call, sip_fork_branch *b)
{
    if (b->cancel_sent || b->done || !b->ict || !b->provisional)
        return;
    if (sip_send_cancel_tx(call, b->ict) != 0)
        return;
    b->cancel_sent = true;
    if (!call->fork->won && !call->cancel_sent) {
        call->cancel_sent = true;
        sip_timer_start(call->sip, &call->t_cancel, 64u * call->sip->t1);
    }
}

void sip_fork_provisional(sc_sip_call *call, const sip_tx *tx)
{
    sip_fork_branch *b = branch_of(call, tx);
    if (!b)
        return;
    b->provisional = true;
    if (call->cancel_pending || call->fork->won) /* cancelled, or another branch answered */
        cancel_branch(call, b);
}

void sip_fork_won(sc_sip_call *call, const sip_tx *tx)
{
    struct sip_fork *f = call->fork;
    sip_fork_branch *w = branch_of(call, tx);
    f->won = true;
    if (w)
        w->done = true;
    size_t cancelled = 0;
    for (size_t i = 0; i < f->n; i++) {
        sip_fork_branch *b = &f->b[i];
        if (b == w || b->done)
            continue;
        cancel_branch(call, b); /* without a provisional yet: when it comes */
        cancelled++;
    }
    if (cancelled)
        sc_log(call->sip->cfg.logger, SC_LOG_INFO, SIP_MODULE, "call %s: answered on one fork branch, %zu cancelled",
               call->d.call_id, cancelled);
}

int sip_fork_cancel(sc_sip_call *call)
{
    call->cancel_pending = true; /* branches without a provisional: at their first one */
    for (size_t i = 0; i < call->fork->n; i++)
        cancel_branch(call, &call->fork->b[i]);
    return 0;
}

void sip_fork_terminate(sc_sip_call *call)
{
    for (size_t i = 0; i < call->fork->n; i++) {
        sip_fork_branch *b = &call->fork->b[i];
        b->done = true;
        if (b->ict)
            sip_tx_terminate(b->ict); /* clears b->ict (sip_fork_tx_gone) */
    }
}

/* RFC 3261 16.7 (6): a 6xx first, else the lowest class; a real response before a timeout or
 * transport error; the first one on a tie. Lower ranks are better. */
static int rank(int status, bool real)
{
    int cls = status / 100;
    int r = cls == 6 ? 0 : cls;
    return r * 2 + (real ? 0 : 1);
}

bool sip_fork_failed(sc_sip_call *call, const sip_tx *tx, int status, const osip_message_t *resp, bool error)
{
    struct sip_fork *f = call->fork;
    sip_fork_branch *b = branch_of(call, tx);
    if (!b || b->done)
        return false;
    b->done = true;
    if (!f->best_status || rank(status, resp != NULL) < rank(f->best_status, f->best != NULL)) {
        if (f->best)
            osip_message_free(f->best);
        f->best = NULL;
        if (resp)
            osip_message_clone(resp, &f->best);
        f->best_status = status;
        f->best_error = error;
    }
    for (size_t i = 0; i < f->n; i++)
        if (!f->b[i].done)
            return false;
    return !f->won;
}

void sip_fork_report(sc_sip_call *call)
{
    struct sip_fork *f = call->fork;
    sc_log(call->sip->cfg.logger, SC_LOG_INFO, SIP_MODULE, "call %s: every fork branch failed, best %d",
           call->d.call_id, f->best_status);
    if (f->best)
        sip_call_emit(call, sip_final_event(f->best_status), f->best_status, "INVITE", f->best, NULL);
    else
        sip_call_emit(call, f->best_error ? SC_EV_DialogError : SC_EV_DialogTimeout, 0, "INVITE", NULL, NULL);
}
