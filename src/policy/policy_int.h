/*
 * Shared inside src/policy: small helpers the agreement parser, the check,
 * the audit log and the store-backed layer all use.  Not a public contract.
 */
#ifndef BRAID_POLICY_INT_H
#define BRAID_POLICY_INT_H

#include "braid/policy.h"

/* 1 when s is [a-z][a-z0-9._-]* of at most max bytes (ids, purposes,
 * sources, fields). */
int braid__policy_token_ok(const char *s, size_t max);

#endif
