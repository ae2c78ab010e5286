/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * rs_parse.c - placeholder: being written.
 */
#include "rs.h"
