/*
 * region: the AWS region, in the order the SDKs look it up: AWS_REGION,
 * AWS_DEFAULT_REGION, the profile's region in the config file
 * (creds_profile.c reads it with the credentials), then IMDS
 * (creds_imds.c).  The endpoint for a service in that region is
 * endpoint.c's.
 */
#include <stdio.h>
#include <stdlib.h>

#include "aws/creds.h"
#include "aws/region.h"
#include "util.h"

char *
region_resolve(char *err, size_t errlen)
{
	static const char *const vars[] = { "AWS_REGION",
	    "AWS_DEFAULT_REGION" };
	char why[256], imds[256], *r;
	const char *v;
	size_t i;

	for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		if ((v = getenv(vars[i])) != NULL && *v != '\0')
			return xstrdup(v);
	if ((r = creds_profile_region(why, sizeof(why))) != NULL)
		return r;
	if ((r = creds_imds_region(imds, sizeof(imds))) != NULL)
		return r;
	snprintf(err, errlen, "AWS_REGION and AWS_DEFAULT_REGION not set; "
	    "%s; %s", why, imds);
	return NULL;
}
