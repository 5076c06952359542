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
#include <strings.h>

#include "sip/sip_int.h"

typedef struct sip_fork_branch {
    sc_sip_call *call;
    sip_tx *ict; /* its INVITE client transaction while it lives (NULL once ended) */
    sip_hop hop; /* where it goes: the target, or the proxy (RFC 3263, uac.c) */
    char ruri[SC_SIP_URI_MAX];
    bool provisional; /* a 1xx came: a CANCEL may go */
    bool cancel_sent;
    bool done; /* a final response, a timeout, a transport or DNS error */
} sip_fork_branch;

struct sip_fork {
    size_t n;
    bool won;             /* a 2xx came: the call's dialog is that branch's */
    int best_status;      /* the best final status so far (0: none) */
    osip_message_t *best; /* its response, or NULL for a timeout or transport error */
    bool best_error;      /* the best is a transport or DNS error */
    char why[256];        /* a DNS failure's reason */
    sip_timer t_check;    /* a branch failed outside a response: report if it was the last */
    sip_fork_branch b[];  /* n of them */
};

static void branch_failed(sc_sip_call *call, sip_fork_branch *b, int status, const osip_message_t *resp, bool error);

static sip_fork_branch *branch_of(sc_sip_call *call, const sip_tx *tx)
{
    for (size_t i = 0; call->fork && i < call->fork->n; i++)
        if (call->fork->b[i].ict == tx)
            return &call->fork->b[i];
    return NULL;
}

/* b's INVITE to its next target: the call's dialog fields as the branch needs them for the
 * build (uac.c), then as they were. */
static int send_branch(sc_sip_call *call, sip_fork_branch *b)
{
    sip_dialog saved;
    sip_dlg_init(&saved);
    if (sip_dlg_copy(&saved, &call->d) != 0)
        return -ENOMEM;
    int rc = sip_uac_send(call, &b->hop, b->ruri, false, &b->ict);
    /* what the build changed put back; the identity block stays where it is (sip_dialog) */
    const char *v[SIP_DF__COUNT] = {[SIP_DF_REMOTE_TAG] = saved.remote_tag,
                                    [SIP_DF_REMOTE_TARGET] = saved.remote_target,
                                    [SIP_DF_ROUTE_SET] = saved.route_set};
    if (sip_dlg_setv(&call->d, v) == 0) {
        call->d.transport = saved.transport;
        call->d.remote_addr = saved.remote_addr;
        call->d.local_addr = saved.local_addr;
        sip_dlg_free(&saved);
    } else { /* out of memory: the saved state whole */
        sip_dlg_free(&call->d);
        call->d = saved;
    }
    return rc;
}

static bool all_done(const struct sip_fork *f)
{
    for (size_t i = 0; i < f->n; i++)
        if (!f->b[i].done)
            return false;
    return true;
}

static void end_if_all_failed(sc_sip_call *call)
{
    struct sip_fork *f = call->fork;
    if (call->got_final || f->won || !all_done(f))
        return;
    call->got_final = true;
    sip_timer_stop(call->sip, &call->t_cancel);
    sip_dialog_set_phase(call, SC_SIP_DIALOG_TERMINATED);
    sip_fork_report(call);
}

static void on_check(sip_timer *t)
{
    struct sip_fork *f = SIP_CONTAINER(t, struct sip_fork, t_check);
    if (f->n)
        end_if_all_failed(f->b[0].call);
}

/* A branch that could not be sent (DNS, no listener): failed, reported from the timer. */
static void unsent(sip_fork_branch *b, int rc)
{
    struct sip_fork *f = b->call->fork;
    const char *why = b->hop.res.n == 0 && b->hop.res.why[0] ? b->hop.res.why : sc_strerror(rc);
    sc_log(b->call->sip->cfg.logger, SC_LOG_WARN, SIP_MODULE, "call %s: fork branch to %s not sent: %s",
           b->call->d.call_id, b->ruri, why);
    if (!f->why[0])
        snprintf(f->why, sizeof f->why, "%s", why);
    branch_failed(b->call, b, 503, NULL, true);
    sip_timer_start(b->call->sip, &f->t_check, 0);
}

static void on_branch_resolved(void *ud, const sip_resolved *res)
{
    sip_fork_branch *b = ud;
    sc_sip_call *call = b->call;
    sip_enter(call->sip);
    b->hop.pending = NULL;
    b->hop.res = *res;
    b->hop.next = 0;
    int rc = 0;
    if (call->got_final || call->fork->won || call->cancel_pending || call->released)
        branch_failed(call, b, 487, NULL, false); /* nothing to send any more */
    else if ((rc = send_branch(call, b)) != 0)
        unsent(b, rc);
    sip_timer_start(call->sip, &call->fork->t_check, 0);
    sip_leave(call->sip);
}

int sip_fork_start(sc_sip_call *call, const char *const *targets, size_t n, const char *proxy)
{
    if (!n)
        return -EINVAL;
    struct sip_fork *f = calloc(1, sizeof *f + n * sizeof f->b[0]);
    if (!f)
        return -ENOMEM;
    f->n = n;
    sip_timer_init(&f->t_check, on_check);
    call->fork = f;
    for (size_t i = 0; i < n; i++) { /* every target first: a bad one refuses the call */
        f->b[i].call = call;
        sip_uri_text(f->b[i].ruri, sizeof f->b[i].ruri, targets[i]);
        if (strncasecmp(f->b[i].ruri, "sip:", 4) != 0)
            return -EINVAL;
    }
    for (size_t i = 0; i < n; i++) {
        sip_fork_branch *b = &f->b[i];
        int rc = sip_hop_start(call->sip, &b->hop, proxy ? proxy : b->ruri, on_branch_resolved, b);
        if (rc < 0)
            return rc;
        if (rc == 1 && (rc = send_branch(call, b)) != 0)
            unsent(b, rc);
    }
    return 0;
}

void sip_fork_stop(sc_sip_call *call)
{
    for (size_t i = 0; call->fork && i < call->fork->n; i++)
        sip_hop_cancel(&call->fork->b[i].hop);
    if (call->fork)
        sip_timer_stop(call->sip, &call->fork->t_check);
}

void sip_fork_free(sc_sip_call *call)
{
    if (!call->fork)
        return;
    for (size_t i = 0; i < call->fork->n; i++) /* no timer is touched: the agent may be gone */
        sip_hop_cancel(&call->fork->b[i].hop);
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
    for (size_t i = 0; i < call->fork->n; i++) {
        sip_fork_branch *b = &call->fork->b[i];
        if (b->hop.pending) { /* still locating its target: nothing to send any more */
            sip_hop_cancel(&b->hop);
            branch_failed(call, b, 487, NULL, false);
            sip_timer_start(call->sip, &call->fork->t_check, 0);
        }
        cancel_branch(call, b);
    }
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

static void branch_failed(sc_sip_call *call, sip_fork_branch *b, int status, const osip_message_t *resp, bool error)
{
    struct sip_fork *f = call->fork;
    if (b->done)
        return;
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
}

bool sip_fork_failed(sc_sip_call *call, const sip_tx *tx, int status, const osip_message_t *resp, bool error)
{
    struct sip_fork *f = call->fork;
    sip_fork_branch *b = branch_of(call, tx);
    if (!b || b->done)
        return false;
    /* RFC 3263 4.3: a 503 or no answer: the branch's next target, if it has one */
    if ((status == 503 || !resp) && !f->won && !call->cancel_pending && b->hop.next < b->hop.res.n &&
        send_branch(call, b) == 0) {
        sc_log(call->sip->cfg.logger, SC_LOG_INFO, SIP_MODULE, "call %s: fork branch to %s: next target",
               call->d.call_id, b->ruri);
        return false;
    }
    branch_failed(call, b, status, resp, error);
    return all_done(f) && !f->won;
}

void sip_fork_report(sc_sip_call *call)
{
    struct sip_fork *f = call->fork;
    sc_log(call->sip->cfg.logger, SC_LOG_INFO, SIP_MODULE, "call %s: every fork branch failed, best %d",
           call->d.call_id, f->best_status);
    if (f->best) {
        sip_call_emit(call, sip_final_event(f->best_status), f->best_status, "INVITE", f->best, NULL);
    } else if (f->best_status == 487) { /* cancelled before a branch answered */
        sip_call_emit(call, SC_EV_Dialog487RequestTerminated, 487, "INVITE", NULL, NULL);
    } else {
        sc_sip_event ev = {.type = f->best_error ? SC_EV_DialogError : SC_EV_DialogTimeout,
                           .method = "INVITE",
                           .reason = f->best_error && f->why[0] ? f->why : NULL};
        sip_call_emit_ev(call, &ev);
    }
}
