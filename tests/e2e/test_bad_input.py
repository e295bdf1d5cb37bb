"""Bad input over plain HTTP: each answer is a precise Status (code, reason, message, as
kube-apiserver words it), and the stored object is unchanged afterwards.

A watch or a continue token from a resourceVersion older than the watch cache window (410 Expired)
needs a server with a small window: test_python_client.py::test_watch_expired_resource_version
(raw HTTP too) and ::test_continue_token_expired."""

import base64
import json

import pytest

CM_PATH = "/api/v1/namespaces/default/configmaps"
TARGET = CM_PATH + "/target"


@pytest.fixture(scope="module", autouse=True)
def target(server):
    """configmap default/target, data {a: "1"}; read-only for the tests of this module."""
    status, _, body = server.http("POST", CM_PATH, {"apiVersion": "v1", "kind": "ConfigMap",
                                                    "metadata": {"name": "target", "labels": {"app": "t"}},
                                                    "data": {"a": "1"}})
    assert status == 201, body
    for name in ("other1", "other2", "other3"):
        assert server.http("POST", CM_PATH, {"metadata": {"name": name}})[0] == 201
    return json.loads(body)


def status_body(raw: bytes) -> dict:
    st = json.loads(raw)
    assert st["kind"] == "Status" and st["apiVersion"] == "v1" and st["status"] == "Failure", st
    return st


def expect(server, method, path, code, reason, message, body=None, content_type=None):
    headers = {"Content-Type": content_type} if content_type else None
    status, hdrs, raw = server.http(method, path, body, headers=headers)
    assert status == code, raw
    assert hdrs["Content-Type"].startswith("application/json"), hdrs
    st = status_body(raw)
    assert (st["code"], st["reason"], st["message"]) == (code, reason, message), st
    return st


def assert_unchanged(server, target):
    status, _, raw = server.http("GET", TARGET)
    assert status == 200
    now = json.loads(raw)
    assert now["data"] == {"a": "1"}
    assert now["metadata"]["resourceVersion"] == target["metadata"]["resourceVersion"]


# ---- malformed patches ---------------------------------------------------------------------

JSON_PATCH = "application/json-patch+json"
MERGE_PATCH = "application/merge-patch+json"
STRATEGIC_PATCH = "application/strategic-merge-patch+json"


def test_malformed_json_patch(server, target):
    expect(server, "PATCH", TARGET, 400, "BadRequest", "error decoding patch: unexpected end of JSON input",
           b'[{"op":"add"', JSON_PATCH)
    assert_unchanged(server, target)


def test_malformed_merge_patch(server, target):
    expect(server, "PATCH", TARGET, 400, "BadRequest", "error decoding patch: unexpected end of JSON input",
           b'{"data":', MERGE_PATCH)
    assert_unchanged(server, target)


def test_malformed_patches_without_validation(server, target):
    """fieldValidation=Ignore skips the strict decode: the patch libraries' own errors."""
    expect(server, "PATCH", TARGET + "?fieldValidation=Ignore", 400, "BadRequest", "unexpected end of JSON input",
           b'[{"op":"add"', JSON_PATCH)
    expect(server, "PATCH", TARGET + "?fieldValidation=Ignore", 400, "BadRequest", "Invalid JSON Patch",
           b'{"data":', MERGE_PATCH)
    assert_unchanged(server, target)


def test_malformed_strategic_merge_patch(server, target):
    expect(server, "PATCH", TARGET, 400, "BadRequest", "invalid character 'o' in literal null (expecting 'u')",
           b"nope", STRATEGIC_PATCH)
    expect(server, "PATCH", TARGET, 400, "BadRequest", "unexpected end of JSON input", b'{"data":{', STRATEGIC_PATCH)
    assert_unchanged(server, target)


@pytest.mark.parametrize("ops", [
    [{"op": "test", "path": "/data/a", "value": "2"}, {"op": "replace", "path": "/data/a", "value": "3"}],
    [{"op": "replace", "path": "/data/missing", "value": "3"}],
    [{"op": "remove", "path": "/data/missing"}],
    [{"op": "add", "path": "/nope/deeper", "value": "x"}],
    [{"op": "frobnicate", "path": "/data/a"}],
], ids=["failed-test", "replace-missing", "remove-missing", "add-no-parent", "unknown-op"])
def test_json_patch_that_cannot_apply(server, target, ops):
    """kube answers every failure to apply a JSON patch with the same generic 422 (details empty)."""
    st = expect(server, "PATCH", TARGET, 422, "Invalid",
                "the server rejected our request due to an error in our request", ops, JSON_PATCH)
    assert st["details"] == {}
    assert_unchanged(server, target)


def test_json_patch_test_op_success_applies(server, target):
    """The counterpart: a passing test op lets the rest apply (on another object)."""
    path = CM_PATH + "/other1"
    status, _, raw = server.http("PATCH", path, [{"op": "test", "path": "/metadata/name", "value": "other1"},
                                                 {"op": "add", "path": "/data", "value": {"k": "v"}}],
                                 headers={"Content-Type": JSON_PATCH})
    assert status == 200, raw
    assert json.loads(raw)["data"] == {"k": "v"}


def test_patch_unknown_content_type(server, target):
    for ctype in ("text/plain", "application/json", "application/yaml"):
        expect(server, "PATCH", TARGET, 415, "UnsupportedMediaType",
               "the body of the request was in an unknown format - accepted media types include: "
               "application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json, "
               "application/apply-patch+yaml", b'{"data":{"a":"2"}}', ctype)
    assert_unchanged(server, target)


def test_create_unknown_content_type(server, target):
    expect(server, "POST", CM_PATH, 415, "UnsupportedMediaType",
           "the body of the request was in an unknown format - accepted media types include: "
           "application/json, application/yaml, application/vnd.kubernetes.protobuf",
           b'{"metadata":{"name":"text"}}', "text/plain")
    assert server.http("GET", CM_PATH + "/text")[0] == 404


def test_patch_body_too_large(server, target):
    big = json.dumps({"data": {"a": "x" * (3 * 1024 * 1024)}}).encode()
    expect(server, "PATCH", TARGET, 413, "RequestEntityTooLarge", "Request entity too large: limit is 3145728",
           big, MERGE_PATCH)
    assert_unchanged(server, target)


def test_create_body_too_large(server, target):
    big = json.dumps({"metadata": {"name": "huge"}, "data": {"a": "x" * (3 * 1024 * 1024 + 1)}}).encode()
    expect(server, "POST", CM_PATH, 413, "RequestEntityTooLarge", "Request entity too large: limit is 3145728", big,
           "application/json")
    assert server.http("GET", CM_PATH + "/huge")[0] == 404
    # The connection was dealt with cleanly: the server still answers.
    assert server.http("GET", TARGET)[0] == 200


# ---- selectors -----------------------------------------------------------------------------


@pytest.mark.parametrize("selector,message", [
    ("a b", "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt"),
    ("x in (a", "unable to parse requirement: found '', expected: ',' or ')'"),
    ("!", "unable to parse requirement: found '', expected: identifier"),
    ("a=b=c", "found '=', expected: ',' or 'end of string'"),
    ("a,,b", "found ',', expected: identifier after ','"),
    ("app=-bad-", 'unable to parse requirement: values[0][app]: Invalid value: "-bad-": a valid label must be an '
                  "empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end "
                  "with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for "
                  "validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"),
])
def test_invalid_label_selector(server, selector, message):
    from urllib.parse import quote
    expect(server, "GET", f"{CM_PATH}?labelSelector={quote(selector)}", 400, "BadRequest", message)
    # The same on a watch and on deletecollection (which must delete nothing).
    expect(server, "GET", f"{CM_PATH}?watch=1&labelSelector={quote(selector)}", 400, "BadRequest", message)
    expect(server, "DELETE", f"{CM_PATH}?labelSelector={quote(selector)}", 400, "BadRequest", message)
    assert server.http("GET", TARGET)[0] == 200


@pytest.mark.parametrize("selector,message", [
    ("foo", "invalid selector: 'foo'; can't understand 'foo'"),
    ("metadata.name==a=b", "invalid field selector: unescaped character in value: 61"),
    ("spec.foo=1", '"spec.foo" is not a known field selector: only "metadata.name", "metadata.namespace"'),
])
def test_invalid_field_selector(server, selector, message):
    from urllib.parse import quote
    expect(server, "GET", f"{CM_PATH}?fieldSelector={quote(selector)}", 400, "BadRequest", message)


# ---- paging and resourceVersion ------------------------------------------------------------


def token(**fields) -> str:
    return base64.urlsafe_b64encode(json.dumps(fields).encode()).decode().rstrip("=")


def valid_token(server) -> str:
    status, _, raw = server.http("GET", CM_PATH + "?limit=1")
    assert status == 200
    return json.loads(raw)["metadata"]["continue"]


def test_tampered_continue_tokens(server):
    good = valid_token(server)
    decoded = json.loads(base64.urlsafe_b64decode(good + "=" * (-len(good) % 4)))
    assert set(decoded) == {"v", "rv", "start"}  # kube's token layout
    rv = decoded["rv"]
    cases = [
        (token(v="meta.k8s.io/v1", rv=0, start="x"),
         "continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)"),
        (token(v="meta.k8s.io/v1", rv=rv, start="../secrets/default/x"),
         "continue key is not valid: ../secrets/default/x"),
    ]
    from urllib.parse import quote
    for tok, message in cases:
        expect(server, "GET", f"{CM_PATH}?limit=1&continue={quote(tok)}", 400, "BadRequest",
               "invalid continue token: " + message)
    # The untampered token still works.
    status, _, raw = server.http("GET", f"{CM_PATH}?limit=1&continue={good}")
    assert status == 200 and len(json.loads(raw)["items"]) == 1


def test_garbled_continue_tokens(server):
    rv = json.loads(base64.urlsafe_b64decode(valid_token(server) + "==="))["rv"]
    cases = [
        (token(v="meta.k8s.io/v1", rv=rv, start=""), "encoded start key empty (version meta.k8s.io/v1)"),
        (token(v="meta.k8s.io/v2", rv=rv, start="x"), "server does not recognize this encoded version meta.k8s.io/v2"),
        ("%25%25%25", "illegal base64 data at input byte 0"),
        (base64.urlsafe_b64encode(b"not json").decode().rstrip("="),
         "invalid character 'o' in literal null (expecting 'u')"),
    ]
    for tok, message in cases:
        expect(server, "GET", f"{CM_PATH}?limit=1&continue={tok}", 400, "BadRequest",
               "invalid continue token: continue key is not valid: " + message)


LIST_OPTIONS_INVALID = 'ListOptions.meta.k8s.io "" is invalid: '


@pytest.mark.parametrize("query,field_errors", [
    ("resourceVersionMatch=Exact",
     ["resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided"]),
    ("resourceVersion=0&resourceVersionMatch=Exact",
     ['resourceVersionMatch: Forbidden: resourceVersionMatch "exact" is forbidden for resourceVersion "0"']),
    ("resourceVersion=1&resourceVersionMatch=Newest",
     ['resourceVersionMatch: Unsupported value: "Newest": supported values: "Exact", "NotOlderThan", ""']),
    ("resourceVersion=1&resourceVersionMatch=NotOlderThan&limit=1&continue=CONTINUE",
     ["resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden when continue is provided"]),
    ("watch=1&resourceVersion=1&resourceVersionMatch=NotOlderThan",
     ["resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden for watch unless sendInitialEvents is "
      "provided"]),
    ("sendInitialEvents=true",
     ["sendInitialEvents: Forbidden: sendInitialEvents is forbidden for list"]),
])
def test_list_options_misuse(server, query, field_errors):
    query = query.replace("CONTINUE", valid_token(server))
    message = LIST_OPTIONS_INVALID + (field_errors[0] if len(field_errors) == 1 else
                                      "[" + ", ".join(field_errors) + "]")
    st = expect(server, "GET", f"{CM_PATH}?{query}", 422, "Invalid", message)
    assert st["details"]["group"] == "meta.k8s.io" and st["details"]["kind"] == "ListOptions"
    assert [c["field"] for c in st["details"]["causes"]] == [e.split(":")[0] for e in field_errors]


def test_resource_version_too_large(server):
    """A list at a resourceVersion the server has not reached: after a bounded wait (3 s, kube's
    blockTimeout) 504 Timeout with cause ResourceVersionTooLarge and a retry hint."""
    status, _, raw = server.http("GET", f"{CM_PATH}?resourceVersion=999999999&resourceVersionMatch=NotOlderThan",
                                 timeout=20)
    st = status_body(raw)
    assert status == 504 and st["code"] == 504
    assert st["reason"] == "Timeout"
    assert st["details"]["causes"] == [{"reason": "ResourceVersionTooLarge", "message": "Too large resource version"}]
    assert st["details"]["retryAfterSeconds"] == 1
    assert st["message"].startswith("Timeout: Too large resource version: 999999999, current: "), st


def test_invalid_propagation_policy(server, target):
    st = expect(server, "DELETE", TARGET, 422, "Invalid",
                'DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: "Sideways": '
                'supported values: "Foreground", "Background", "Orphan", "nil"', {"propagationPolicy": "Sideways"})
    assert st["details"]["group"] == "meta.k8s.io" and st["details"]["kind"] == "DeleteOptions"
    assert_unchanged(server, target)


@pytest.mark.parametrize("method,options,body,ctype", [
    ("POST", "CreateOptions", {"metadata": {"name": "dry-bad"}}, None),
    ("PUT", "UpdateOptions", None, None),
    ("PATCH", "PatchOptions", {"data": {"a": "2"}}, MERGE_PATCH),
    ("DELETE", "DeleteOptions", None, None),
])
def test_invalid_dry_run(server, target, method, options, body, ctype):
    path = (CM_PATH if method == "POST" else TARGET) + "?dryRun=Everything"
    if method == "PUT":
        body = dict(target, data={"a": "2"})
    st = expect(server, method, path, 422, "Invalid",
                f'{options}.meta.k8s.io "" is invalid: dryRun: Unsupported value: []string{{"Everything"}}: '
                'supported values: "All"', body, ctype)
    assert st["details"]["kind"] == options
    assert_unchanged(server, target)
    assert server.http("GET", CM_PATH + "/dry-bad")[0] == 404


# ---- duplicate fields in a body -------------------------------------------------------------

DUPLICATED = (b'{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"dup","name":"dup"},'
              b'"data":{"a":"1","a":"2"}}')


def test_duplicate_fields_strict_is_refused(server):
    expect(server, "POST", CM_PATH + "?fieldValidation=Strict", 400, "BadRequest",
           'ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: '
           'duplicate field "metadata.name", duplicate field "data.a"', DUPLICATED)
    assert server.http("GET", CM_PATH + "/dup")[0] == 404


def test_duplicate_fields_warn_keep_the_last(server):
    status, hdrs, raw = server.http("POST", CM_PATH + "?fieldValidation=Warn",
                                    DUPLICATED.replace(b'"name":"dup","name":"dup"', b'"name":"dupw"'))
    assert status == 201, raw
    assert hdrs["Warning"] == '299 - "duplicate field \\"data.a\\""', hdrs
    assert json.loads(raw)["data"] == {"a": "2"}
    assert server.http("DELETE", CM_PATH + "/dupw")[0] == 200
