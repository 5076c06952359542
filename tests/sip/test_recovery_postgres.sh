#!/usr/bin/env bash
# Recovery on postgres (a real server on loopback, scripts/backends.sh): established call,
# kill -9 + restart, the caller's BYE is answered (test_recovery_remote_bye.sh).
REC_BACKEND=postgres exec bash "$(dirname "$0")/test_recovery_remote_bye.sh" "$@"
