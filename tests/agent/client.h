/* agent-client: a host-side test driver for runvm-init (see client.c). */
#ifndef RUNVM_TESTS_AGENT_CLIENT_H
#define RUNVM_TESTS_AGENT_CLIENT_H

#include "common/proto.h"

void client_spec_default(struct proto_spec *s, struct proto_process *p);
int client_spec_option(struct proto_spec *s, struct proto_process *p, const char *name,
		       const char *v);
int client_spec_flag(struct proto_spec *s, struct proto_process *p, const char *name);

#endif
