/*
 * store_dynamodb_ops: the DynamoDB operations the backend sends, named
 * once (struct client_op) for the AWS client and its visitsd_aws_*
 * metrics.  A leaf, so every file of the backend can use them.
 *
 * UpdateItem is never re-sent when it may have been applied: an ADD twice
 * would count twice, and a SET (admin set, import) re-sent after a
 * concurrent increment landed would undo it.  DeleteItem likewise (a
 * delete re-sent after a concurrent increment would remove it).  PutItem
 * is re-sent freely: the visitor and salt puts are conditional
 * (attribute_not_exists) and carry their attempt's token or value, so a
 * second copy fails its condition and the reader finds the first copy's
 * content (store_dynamodb_visitor.c).  Reads are idempotent.
 */
#include "aws/client.h"
#include "store_dynamodb_impl.h"

struct client_op dyn_update_item = CLIENT_OP("UpdateItem", false);
struct client_op dyn_get_item = CLIENT_OP("GetItem", true);
struct client_op dyn_describe_table = CLIENT_OP("DescribeTable", true);
struct client_op dyn_put_item = CLIENT_OP_EXPECTING("PutItem", true,
    "ConditionalCheckFailedException");
struct client_op dyn_delete_item = CLIENT_OP_EXPECTING("DeleteItem", false,
    "ConditionalCheckFailedException");
struct client_op dyn_scan = CLIENT_OP("Scan", true);
