/*
 * fuzz_creds: libFuzzer target for the credentials JSON that the ECS/EKS
 * container endpoint and IMDS answer (AccessKeyId, SecretAccessKey, Token,
 * Expiration, Code), parsed by creds_http_parse_creds.
 *
 * creds_http_do hands the parser a NUL-terminated body with its length;
 * the target builds the same.  Credentials that parse are released
 * through their reference count, which wipes them.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aws/creds.h"
#include "aws/creds_http.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct creds *c;
	char err[256], *body;

	if ((body = malloc(size + 1)) == NULL)
		return 0;
	memcpy(body, data, size);
	body[size] = '\0';
	c = creds_http_parse_creds("fuzz", body, size, "container", err,
	    sizeof(err));
	if (c != NULL && (c->access_key_id == NULL ||
	    c->secret_access_key == NULL))
		abort();
	creds_unref(c);
	free(body);
	return 0;
}
