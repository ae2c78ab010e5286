/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * proxy.h - the SIP stages of a worker: parse, then the RFC 3261 stateless
 * proxy (routing, Via, Max-Forwards, Record-Route, Path, flow tokens), and
 * the replies the gateway sends itself (RFC 3261 8.2.6).
 */
#ifndef SIPEDGE_PROXY_H
#define SIPEDGE_PROXY_H

#include "dp.h"
#include "worker.h"

/* proxy_parse_stage - sip_parse() of every CONTINUE slot into b->msg[i].
 * A malformed request becomes REPLY 400 (or 513 for an oversize one) when
 * proxy.reply_malformed is set and it can be answered, else DROP; a
 * malformed response or ACK is always DROP. */
void proxy_parse_stage(struct worker *w, struct dp_burst *b);

/* proxy_route_stage - decide and build: FORWARD with p->out built, REPLY
 * with a code, DROP with a reason, or EXCEPTION (probe replies). */
void proxy_route_stage(struct worker *w, struct dp_burst *b);

/* proxy_reply - builds the response the gateway sends for slot i (code in
 * p->reply_code) and sends it to the request's source address and port.
 * Returns 0 or -(enum stats_drop), counted. Dispatch step only. */
int proxy_reply(struct worker *w, struct dp_burst *b, unsigned i);

#endif /* SIPEDGE_PROXY_H */
