"""flask_app: make bench's Flask + boto3 contender, the counter as a Python
service would write it: POST /api/visits/<id> is one UpdateItem (ADD visits
:one, ReturnValues UPDATED_NEW), GET one GetItem, behind the same x-api-key
check.  Run by gunicorn (make bench: gthread workers); its settings come
from the environment: BENCH_KEY, BENCH_TABLE, BENCH_KEY_ATTRIBUTE and
AWS_ENDPOINT_URL (Debian 12's boto3 1.26 does not read that variable
itself), credentials and region as boto3 reads them."""
import os

import boto3
from flask import Flask, jsonify, request

API_KEY = os.environ["BENCH_KEY"]
TABLE = os.environ["BENCH_TABLE"]
KEY_ATTR = os.environ["BENCH_KEY_ATTRIBUTE"]
db = boto3.client("dynamodb", endpoint_url=os.environ["AWS_ENDPOINT_URL"])
app = Flask(__name__)


@app.before_request
def check_key():
    if request.headers.get("x-api-key") != API_KEY:
        return jsonify(error="unauthorized"), 401
    return None


@app.post("/api/visits/<vid>")
def post_visit(vid):
    r = db.update_item(TableName=TABLE, Key={KEY_ATTR: {"S": vid}},
                       UpdateExpression="ADD visits :one",
                       ExpressionAttributeValues={":one": {"N": "1"}},
                       ReturnValues="UPDATED_NEW")
    return jsonify(id=vid, visits=int(r["Attributes"]["visits"]["N"]))


@app.get("/api/visits/<vid>")
def get_visit(vid):
    r = db.get_item(TableName=TABLE, Key={KEY_ATTR: {"S": vid}})
    return jsonify(id=vid, visits=int(r.get("Item", {}).get("visits", {}).get("N", 0)))
