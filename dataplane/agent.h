/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * agent.h - the agent socket: the Unix stream socket through which
 * sipedge-control reads the dataplane's counters and pushes its state
 * (docs/agent.md), and its TCP listener with TLS 1.3 and a pre-shared key
 * for a control plane on another host. One JSON object per line each way.
 *
 * The main lcore serves it between its other jobs, without ever blocking:
 * one epoll_wait with a zero timeout per turn, non-blocking reads and
 * writes, bounded work and bounded memory per client. A slow, silent or
 * hostile client costs its own connection, never the dataplane's progress.
 */
#ifndef SIPEDGE_AGENT_H
#define SIPEDGE_AGENT_H

#include <stdbool.h>

struct dp;
struct agent;

/* agent_open - the socket of dp->cfg.agent (its directory made when
 * missing, a stale socket file replaced, one in use refused, mode 0660,
 * owned by agent.group) unless agent.unix_socket is false; the TCP
 * listener of agent.listen if set (its key file refused when its group or
 * others may read it, or it holds under 32 bytes); and the state, version
 * 0 being the config's.
 * Returns the agent, or NULL with errno and the reason on stderr. Main
 * lcore, after dp_init; the caller owns the agent (agent_close). */
struct agent *agent_open(struct dp *dp);

/* agent_poll - one turn: accepts connections, reads, answers whole
 * request lines, writes what the sockets take. Never blocks or sleeps.
 * Returns whether there was anything to do. Main lcore. */
bool agent_poll(struct agent *a);

/* agent_reload_key - agent.psk_file read again (SIGHUP): a key that
 * passes the checks agent_open made is the one new handshakes need from
 * then on; the connections past their handshake keep their sessions. A file
 * that does not pass leaves the key in force. Logged and counted either
 * way (agent_tls_key_reloads, agent_tls_key_reload_failed); nothing to do
 * without agent.listen. Main lcore. */
void agent_reload_key(struct agent *a);

/* agent_close - closes every connection and the socket, removes the
 * socket file if it is still the one agent_open made, frees a (NULL is
 * fine). Main lcore. */
void agent_close(struct agent *a);

#endif /* SIPEDGE_AGENT_H */
