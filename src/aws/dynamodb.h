/*
 * dynamodb: the DynamoDB JSON (1.0) requests visitsd sends, and the answers
 * it reads, as pure functions over jansson.
 *
 * Three operations: UpdateItem (ADD n to the count of an id, returning the
 * new count), GetItem (the count, strongly consistent) and DescribeTable
 * (readiness).  Builders return the request body; parsers read the answer
 * body of a 2xx response.  Nothing here does I/O or knows about retries:
 * that is client.c; error answers (__type) are parsed by retry.c.
 *
 * Counts are unsigned 64-bit; a number DynamoDB hands back that is not a
 * plain decimal integer in 0..UINT64_MAX is refused, never truncated.
 */
#ifndef VISITSD_AWS_DYNAMODB_H
#define VISITSD_AWS_DYNAMODB_H

#include <stddef.h>
#include <stdint.h>

/*
 * The X-Amz-Target prefix (the header is the prefix plus the operation's
 * name, "DynamoDB_20120810.UpdateItem") and the content type.
 */
#define DYNAMODB_TARGET_PREFIX	"DynamoDB_20120810."
#define DYNAMODB_CONTENT_TYPE	"application/x-amz-json-1.0"

/* Table and attribute names; all borrowed. */
struct dynamodb_table {
	const char	*table;
	const char	*key_attribute;		/* string partition key */
	const char	*count_attribute;	/* number */
};

/*
 * UpdateItem: "ADD #c :n" on the item whose key is id, ReturnValues
 * UPDATED_NEW.  The count attribute goes through ExpressionAttributeNames
 * (it may be a reserved word); the key attribute is only named in Key, where
 * reserved words are allowed and an unused #name would be refused.  n >= 1.
 * Returns a new malloc'd JSON string, or NULL when jansson cannot build it
 * (a name or id that is not UTF-8).
 */
char	*dynamodb_update_item_body(const struct dynamodb_table *t,
	    const char *id, uint64_t n);

/*
 * GetItem with ConsistentRead and ProjectionExpression "#k, #c" (both names
 * through ExpressionAttributeNames: `user` is reserved).  New string or NULL.
 */
char	*dynamodb_get_item_body(const struct dynamodb_table *t,
	    const char *id);

/* DescribeTable of t->table.  New string or NULL. */
char	*dynamodb_describe_table_body(const struct dynamodb_table *t);

/*
 * Parse an UpdateItem answer: Attributes.<count>.N into *count.  Returns 0,
 * or -1 with the reason in err (malformed JSON, attribute missing, a number
 * that is not an unsigned 64-bit integer).  body is borrowed.
 */
int	dynamodb_parse_update_item(const char *body, size_t len,
	    const char *count_attribute, uint64_t *count, char *err,
	    size_t errlen);

/*
 * Parse a GetItem answer: *count is Item.<count>.N, or 0 when there is no
 * Item or the item has no count attribute.  Returns 0, or -1 with the
 * reason in err.
 */
int	dynamodb_parse_get_item(const char *body, size_t len,
	    const char *count_attribute, uint64_t *count, char *err,
	    size_t errlen);

/*
 * Parse a DescribeTable answer: copies Table.TableStatus ("ACTIVE", ...)
 * into status (statuslen bytes).  Returns 0, or -1 with the reason in err.
 */
int	dynamodb_parse_describe_table(const char *body, size_t len,
	    char *status, size_t statuslen, char *err, size_t errlen);

/*
 * Parse a DynamoDB number string as an unsigned 64-bit integer: plain
 * decimal digits only, no sign, no exponent, no fraction, at most
 * UINT64_MAX.  Returns 0 or -1.
 */
int	dynamodb_parse_u64(const char *s, uint64_t *out);

#endif
