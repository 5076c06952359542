/* features: the coordinator's features, listed once, in the order in which their guards and
 * actions are bound, their hooks run and they start (they stop in the reverse order). The
 * order matters where hooks meet: the event bus sees a transition before any feature reacts
 * to it, a transfer call's end is reported to its transferee before anything else, media
 * closes a leg's stream before the B2BUA ends its peer. The core observes around them all: it
 * counts a session before the features see it and releases its call after they have. */
#include "coord/coord_int.h"

const sc_coord_feature *const sc_coord__features[SC_FEAT__COUNT] = {
    [SC_FEAT_CALL] = &sc_coord__feature_call,
    [SC_FEAT_LIMITS] = &sc_coord__feature_limits,
    [SC_FEAT_METRICS] = &sc_coord__feature_metrics,
    [SC_FEAT_EVENTS] = &sc_coord__feature_events,
    [SC_FEAT_TRANSFER] = &sc_coord__feature_transfer,
    [SC_FEAT_MEDIA] = &sc_coord__feature_media,
    [SC_FEAT_SRTP] = &sc_coord__feature_srtp,
    [SC_FEAT_B2BUA] = &sc_coord__feature_b2bua,
    [SC_FEAT_CLEANUP] = &sc_coord__feature_cleanup,
    [SC_FEAT_PERSISTENCE] = &sc_coord__feature_persistence,
    [SC_FEAT_TRUNKS] = &sc_coord__feature_trunks,
    [SC_FEAT_REGISTRAR] = &sc_coord__feature_registrar,
    [SC_FEAT_EARLY_MEDIA] = &sc_coord__feature_early_media,
    [SC_FEAT_DTMF_INFO] = &sc_coord__feature_dtmf_info,
    [SC_FEAT_CONFERENCE] = &sc_coord__feature_conference,
    [SC_FEAT_WEBHOOKS] = &sc_coord__feature_webhooks,
    [SC_FEAT_VOICE] = &sc_coord__feature_voice,
    [SC_FEAT_CLUSTER] = &sc_coord__feature_cluster,
};
