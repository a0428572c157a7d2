/* config.json documents in unit tests are written with ' for " to stay readable:
 * q() turns one into JSON (caller frees), cfg_of() parses it (NULL on failure,
 * with the reason as a TAP comment). */
#ifndef RUNVM_TESTS_UNIT_OCI_DOC_H
#define RUNVM_TESTS_UNIT_OCI_DOC_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oci/config.h"

static inline char *q(const char *s)
{
	char *d = strdup(s);

	for (char *p = d; *p; p++)
		if (*p == '\'')
			*p = '"';
	return d;
}

static inline struct oci_config *cfg_of(const char *doc)
{
	struct oci_config *c = NULL;
	struct rt_err err;
	char *j = q(doc);

	if (oci_config_parse(j, strlen(j), &c, &err) < 0)
		printf("# parse failed: %s\n", err.msg);
	free(j);
	return c;
}

#endif
