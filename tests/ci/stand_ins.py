"""Stand-ins for the hosting CLIs the CI recipes call: `gh api` (GitHub issue
comments) and `curl` to GitLab's notes API. Each keeps the comments in a JSON
file and logs its calls, so a test can see what would have been posted."""

GH = r'''#!/usr/bin/env python3
import json, os, re, sys
store = os.environ["STAND_IN_STATE"]
db = json.load(open(store)) if os.path.exists(store) else {"comments": [], "log": []}
args = sys.argv[1:]
db["log"].append(["gh", *args])
assert args[0] == "api", args
method, path, jq, body = "GET", None, None, None
i = 1
while i < len(args):
    a = args[i]
    if a == "--method":
        method = args[i + 1]; i += 2; continue
    if a == "--jq":
        jq = args[i + 1]; i += 2; continue
    if a == "-F":
        k, v = args[i + 1].split("=", 1)
        body = open(v[1:], encoding="utf-8").read() if v.startswith("@") else v
        i += 2; continue
    if a == "--paginate":
        i += 1; continue
    path = a; i += 1
if method == "GET":
    marker = re.search(r'startswith\("(.*?)"\)', jq).group(1)
    for c in db["comments"]:
        if c["body"].startswith(marker):
            print(c["id"])
elif method == "POST":
    assert re.fullmatch(r"repos/[^/]+/[^/]+/issues/\d+/comments", path), path
    db["comments"].append({"id": 1000 + len(db["comments"]), "body": body})
elif method == "PATCH":
    cid = int(path.rsplit("/", 1)[1])
    next(c for c in db["comments"] if c["id"] == cid)["body"] = body
json.dump(db, open(store, "w"))
'''

CURL = r'''#!/usr/bin/env python3
import json, os, sys, urllib.parse
store = os.environ["STAND_IN_STATE"]
db = json.load(open(store)) if os.path.exists(store) else {"comments": [], "log": []}
args = sys.argv[1:]
db["log"].append(["curl", *args])
method, url, body, headers = "GET", None, None, []
i = 0
while i < len(args):
    a = args[i]
    if a == "--request":
        method = args[i + 1]; i += 2; continue
    if a == "--header":
        headers.append(args[i + 1]); i += 2; continue
    if a == "--data-urlencode":
        k, v = args[i + 1].split("@", 1)
        body = open(v, encoding="utf-8").read()
        if method == "GET":
            method = "POST"
        i += 2; continue
    if a.startswith("--"):
        i += 1; continue
    url = a; i += 1
assert any(h.startswith("PRIVATE-TOKEN: ") and len(h) > 15 for h in headers), headers
path = urllib.parse.urlsplit(url).path
if method == "GET":
    print(json.dumps([{"id": c["id"], "body": c["body"]} for c in db["comments"]]))
elif method == "POST":
    assert path.endswith("/notes"), path
    db["comments"].append({"id": 2000 + len(db["comments"]), "body": body})
elif method == "PUT":
    cid = int(path.rsplit("/", 1)[1])
    next(c for c in db["comments"] if c["id"] == cid)["body"] = body
json.dump(db, open(store, "w"))
'''
