/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * telemetry.h - the counters through DPDK telemetry, so that
 * dpdk-telemetry.py (and anything speaking its socket) reads them while the
 * gateway runs: /sipedge/stats, /sipedge/ports, /sipedge/backends,
 * /sipedge/workers.
 */
#ifndef SIPEDGE_TELEMETRY_H
#define SIPEDGE_TELEMETRY_H

#include "worker.h"

/* Registers the commands. Main lcore, start-up; dp must outlive the EAL. */
void telemetry_init(struct dp *dp);

#endif /* SIPEDGE_TELEMETRY_H */
