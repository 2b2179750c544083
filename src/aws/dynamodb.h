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

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

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

/*
 * Serialise root (stolen) compactly: a new string for the caller to free,
 * or NULL when root is NULL.  The body builders of dynamodb.c and
 * dynamodb_item.c end in it.
 */
char	*dynamodb_dump(json_t *root);

/*
 * The answer parsers' two steps, shared by dynamodb.c and dynamodb_item.c.
 * dynamodb_load_object: body as a JSON object, a new reference, or NULL
 * with err set.  dynamodb_number_attribute: the number attribute name of
 * the attribute-value map (borrowed) into *count: 1 found, 0 absent (*count
 * untouched), -1 malformed or out of range (err set, *count untouched).
 */
json_t	*dynamodb_load_object(const char *body, size_t len, char *err,
	    size_t errlen);
int	dynamodb_number_attribute(json_t *map, const char *name,
	    uint64_t *count, char *err, size_t errlen);


/* ---- dynamodb_item.c: uniques, days, visitors, salts, admin writes ---- */

/*
 * The fixed attribute names next to the configured key and visits: the
 * unique count of a counter item, the TTL attribute of the salt and
 * visitor items (epoch seconds; the table's TTL setting names it), the
 * attempt token of a visitor item and the salt of a salt item (hex).
 */
#define DYNAMODB_UNIQUE_ATTR	"unique"
#define DYNAMODB_TTL_ATTR	"ttl"
#define DYNAMODB_TOKEN_ATTR	"token"
#define DYNAMODB_SALT_ATTR	"salt"
/* A visitor hash's length (store.h's STORE_VISITOR_LEN). */
#define DYNAMODB_VISITOR_LEN	32
/* Long enough for "v#<day>#<64 hex>" and "s#<day>". */
#define DYNAMODB_KEY_MAX	96
/*
 * Day attributes: an UpdateItem that adds to day D removes the
 * DYNAMODB_PRUNE_DAYS days D-366, D-367, ... (history reads at most 366
 * days, D-365..D), so an id written at least once a week keeps at most 366
 * days of them.  At most DYNAMODB_MAX_BATCH_DAYS days per UpdateItem.
 */
#define DYNAMODB_KEEP_DAYS	366u
#define DYNAMODB_PRUNE_DAYS	7u
#define DYNAMODB_MAX_BATCH_DAYS	16u
/*
 * A history read projects its day attributes up to this many days (the
 * expression stays under DynamoDB's 4 KB); a longer one reads the whole
 * item, which holds at most ~366 days anyway.
 */
#define DYNAMODB_HISTORY_PROJECT_MAX 200u

/* The visits and uniques one UpdateItem adds to one day. */
struct dynamodb_day_add {
	uint32_t	day;
	uint64_t	visits;
	uint64_t	unique;
};

/* "v#<day>#<hex of hash>" and "s#<day>" into buf (DYNAMODB_KEY_MAX). */
void	dynamodb_visitor_key(char *buf, size_t len, uint32_t day,
	    const uint8_t hash[DYNAMODB_VISITOR_LEN]);
void	dynamodb_salt_key(char *buf, size_t len, uint32_t day);

/*
 * UpdateItem for a batch of visits of id: "ADD #c :n, #u :u" (unique may
 * be 0: the attribute is then still returned), "d<day> :v" and, when
 * nonzero, "u<day> :w" for each of days[0..ndays), and a REMOVE of the
 * prune window before the earliest day; ReturnValues UPDATED_NEW.  New
 * string, or NULL (ndays over DYNAMODB_MAX_BATCH_DAYS, or not UTF-8).
 */
char	*dynamodb_visits_body(const struct dynamodb_table *t, const char *id,
	    uint64_t visits, uint64_t unique,
	    const struct dynamodb_day_add *days, size_t ndays);
/* GetItem (consistent) of key, visits and unique.  New string or NULL. */
char	*dynamodb_counts_get_body(const struct dynamodb_table *t,
	    const char *id);
/*
 * GetItem (consistent) of the day attributes of first_day..+ndays, or of
 * the whole item past DYNAMODB_HISTORY_PROJECT_MAX days.  New or NULL.
 */
char	*dynamodb_history_get_body(const struct dynamodb_table *t,
	    const char *id, uint32_t first_day, uint32_t ndays);
/* UpdateItem "SET #c = :c, #u = :u", UPDATED_NEW.  New string or NULL. */
char	*dynamodb_set_body(const struct dynamodb_table *t, const char *id,
	    uint64_t visits, uint64_t unique);
/*
 * DeleteItem of the item whose key is key; with a token, only if its
 * DYNAMODB_TOKEN_ATTR is that token.  New string or NULL.
 */
char	*dynamodb_delete_body(const struct dynamodb_table *t, const char *key,
	    const char *token);
/*
 * PutItem of {key, name: value (S), ttl: expires (N)} only if no item has
 * that key (attribute_not_exists): the visitor and salt items.  New or NULL.
 */
char	*dynamodb_put_new_body(const struct dynamodb_table *t,
	    const char *key, const char *name, const char *value,
	    uint64_t expires);
/* GetItem (consistent) of the string attribute name of key.  New or NULL. */
char	*dynamodb_get_string_body(const struct dynamodb_table *t,
	    const char *key, const char *name);

/*
 * Parse the visits and unique of an UpdateItem answer (update: Attributes,
 * visits required) or a GetItem answer (Item; no item or no attribute is
 * 0).  Returns 0, or -1 with the reason in err.
 */
int	dynamodb_parse_counts(const char *body, size_t len,
	    const struct dynamodb_table *t, bool update, uint64_t *visits,
	    uint64_t *unique, char *err, size_t errlen);
/*
 * Parse a history GetItem answer into visits[0..ndays) and
 * unique[0..ndays) (zeros for days without attributes).  0 or -1.
 */
int	dynamodb_parse_history(const char *body, size_t len,
	    uint32_t first_day, uint32_t ndays, uint64_t *visits,
	    uint64_t *unique, char *err, size_t errlen);
/*
 * Parse the string attribute name of a GetItem answer into buf: 1 found,
 * 0 no item or no attribute, -1 malformed or too long (err set).
 */
int	dynamodb_parse_string(const char *body, size_t len, const char *name,
	    char *buf, size_t buflen, char *err, size_t errlen);

/* ---- dynamodb_scan.c: export's paginated Scan ------------------------- */

/*
 * A Scan page of at most limit items after start_key (a LastEvaluatedKey
 * as JSON text, borrowed; NULL for the first page), projected to key,
 * visits and unique, filtered to items with a visits attribute.  New
 * string or NULL.
 */
char	*dynamodb_scan_body(const struct dynamodb_table *t, int limit,
	    const char *start_key);

/* One counter of a Scan page; 0 to go on, -1 to stop. */
typedef int dynamodb_scan_each_fn(void *arg, const char *id,
    uint64_t visits, uint64_t unique);
/*
 * Parse a Scan page: each(arg, id, visits, unique) for every counter item
 * (keys with '#' skipped), and *next_key the page's LastEvaluatedKey as a
 * new JSON string, or NULL on the last page.  Returns 0, -1 with the
 * reason in err, or -2 when each stopped.
 */
int	dynamodb_parse_scan(const char *body, size_t len,
	    const struct dynamodb_table *t, dynamodb_scan_each_fn *each,
	    void *arg, char **next_key, char *err, size_t errlen);

#endif
