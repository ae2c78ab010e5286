/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * port.h - bring the configured ports up and down. Main lcore only.
 */
#ifndef SIPEDGE_PORT_H
#define SIPEDGE_PORT_H

#include <stdbool.h>

#include "worker.h"

/* Finds, configures and starts every port of dp->cfg, filling dp->ports.
 * Needs dp->n_workers and dp->pool. Returns 0 or -errno, with the reason on
 * stderr naming the port and device. */
int port_init(struct dp *dp);

/* Stops and closes every started port. */
void port_fini(struct dp *dp);

/* Whether the main lcore has a tx queue of its own on port idx. When it has
 * not (a device with as many queues as workers), its frames are handed to
 * worker 0 through dp->main_tx[idx], which transmits them on its queue. */
bool port_main_has_txq(const struct dp *dp, unsigned idx);

#endif /* SIPEDGE_PORT_H */
