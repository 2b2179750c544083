/*
 * region: which AWS region, in the order the SDKs look it up.
 */
#ifndef VISITSD_AWS_REGION_H
#define VISITSD_AWS_REGION_H

#include <stddef.h>

/*
 * The region: AWS_REGION, AWS_DEFAULT_REGION, the AWS_PROFILE profile's
 * region in the config file, then IMDS (which may block for a second or
 * two).  Returns a new string, or NULL with every source's reason in err.
 */
char	*region_resolve(char *err, size_t errlen);

#endif
