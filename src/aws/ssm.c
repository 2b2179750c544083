/*
 * ssm: GetParameter for the API key.  The request and answer are pure
 * jansson; ssm_fetch runs one call through a short-lived AWS client (its
 * own thread and connection), which is cheap at the rate keys are read:
 * once at startup and once per SIGHUP.  The value is never logged.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "aws/client.h"
#include "aws/client_call.h"
#include "aws/ssm.h"
#include "util.h"

/* The one operation visitsd asks of SSM; labels the visitsd_aws_* metrics. */
static struct client_op get_parameter = CLIENT_OP("GetParameter", true);

char *
ssm_get_parameter_body(const char *name)
{
	json_t *root;
	char *s;

	root = json_pack("{s:s, s:b}", "Name", name, "WithDecryption", 1);
	if (root == NULL)
		return NULL;
	s = json_dumps(root, JSON_COMPACT);
	json_decref(root);
	return s;
}

/*
 * Wipe jansson's copy of a secret string before it is freed.  jansson hands
 * out a const pointer to its own buffer; the copy through memcpy avoids a
 * cast that drops the qualifier.  (Its lexer's scratch buffer is freed
 * unwiped: see docs/aws.md.)
 */
static void
wipe_json_string(json_t *s)
{
	const char *cv = json_string_value(s);
	char *v;

	memcpy(&v, &cv, sizeof(v));
	OPENSSL_cleanse(v, json_string_length(s));
}

char *
ssm_parse_get_parameter(const char *body, size_t len, char *err,
    size_t errlen)
{
	json_t *root, *param, *value;
	char *out = NULL;

	/* JSON_ALLOW_NUL is off: a value with a NUL byte is refused. */
	root = json_loadb(body, len, 0, NULL);
	if (!json_is_object(root)) {
		snprintf(err, errlen, "GetParameter answer is not a JSON "
		    "object");
		goto fail;
	}
	param = json_object_get(root, "Parameter");
	value = json_is_object(param) ? json_object_get(param, "Value") :
	    NULL;
	if (!json_is_string(value)) {
		snprintf(err, errlen, "GetParameter answer has no "
		    "Parameter.Value string");
		goto fail;
	}
	out = xstrdup(json_string_value(value));
	wipe_json_string(value);
fail:
	json_decref(root);
	return out;
}

char *
ssm_fetch(const char *name, int connect_timeout_ms, int request_timeout_ms,
    int *retryable, char *err, size_t errlen)
{
	static struct client_op *const ops[] = { &get_parameter, NULL };
	struct client_options o;
	struct client *c;
	struct client_call_result r;
	char *value = NULL;

	*retryable = 1;
	memset(&o, 0, sizeof(o));
	o.service = "ssm";
	o.target_prefix = SSM_TARGET_PREFIX;
	o.content_type = SSM_CONTENT_TYPE;
	o.connect_timeout_ms = connect_timeout_ms;
	o.request_timeout_ms = request_timeout_ms;
	o.ops = ops;
	if ((c = client_new(&o, err, errlen)) == NULL)
		return NULL;
	client_call(c, &get_parameter, ssm_get_parameter_body(name), &r);
	client_free(c);
	switch (r.outcome) {
	case CLIENT_OK:
		if ((value = ssm_parse_get_parameter(r.body, r.body_len, err,
		    errlen)) == NULL)
			*retryable = 0;
		break;
	case CLIENT_FAILED:
		*retryable = 0;
		/* FALLTHROUGH */
	case CLIENT_UNAVAILABLE:
	case CLIENT_UNKNOWN:
		snprintf(err, errlen, "GetParameter %s: %s%s%s", name,
		    r.error_type, r.error_type[0] != '\0' ? ": " : "",
		    r.error_message);
		break;
	}
	client_call_cleanup(&r);
	return value;
}
