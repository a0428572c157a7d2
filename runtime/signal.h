/* Signal names for `runvm kill`: a number, NAME or SIGNAME (any case), and the
 * real-time forms RTMIN, RTMIN+n, RTMAX-n. */
#ifndef RUNVM_RUNTIME_SIGNAL_H
#define RUNVM_RUNTIME_SIGNAL_H

#include "common/err.h"

int rt_signal_parse(const char *s, int *sig, struct rt_err *err);

#endif
