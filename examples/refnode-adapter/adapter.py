#!/usr/bin/env python3
"""faultline client adapter for the reference nodes (targets/refnode/PROTOCOL.md), stdlib only.

Reads one request per line on stdin, answers one line on stdout. One request at a time: faultline
runs one adapter per client. Error mapping: the node's own ok/fail/info are passed on; a request
that could not be sent (no connection) is fail -- it cannot have happened; a connection lost or a
timeout after sending is info -- it may have happened.
"""
import json
import socket
import sys

nodes = {}       # name -> (ip, port)
conn = None      # (name, socket, file)
leader = None    # last leader hint
WORKLOAD = "register"


def answer(msg):
    sys.stdout.write(json.dumps(msg) + "\n")
    sys.stdout.flush()


def connect(name):
    global conn
    if conn and conn[0] == name:
        return conn
    close()
    s = socket.create_connection(nodes[name], timeout=1.0)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    conn = (name, s, s.makefile("r"))
    return conn


def close():
    global conn
    if conn:
        try:
            conn[1].close()
        except OSError:
            pass
    conn = None


def to_node_request(req):
    f = req["f"]
    if WORKLOAD == "set":
        op = {"add": "set-add", "read": "set-read"}[f]
    else:
        op = f  # read, write, cas, txn
    out = {"id": req["id"], "op": op}
    if req.get("key") is not None:
        out["key"] = req["key"]
    if req.get("value") is not None or op in ("write", "set-add"):
        out["value"] = req.get("value")
    return out


def perform(req):
    global leader
    target = leader if leader in nodes else req["node"]
    try:
        name, s, f = connect(target)
    except OSError as e:
        close()
        leader = None
        return {"id": req["id"], "type": "fail", "error": f"not-connected: {e}", "node": target}
    try:
        s.sendall((json.dumps(to_node_request(req)) + "\n").encode())
        line = f.readline()
        if not line:
            raise OSError("connection closed")
        got = json.loads(line)
    except (OSError, ValueError) as e:
        close()
        leader = None
        return {"id": req["id"], "type": "info", "error": f"connection-lost: {e}", "node": target}
    out = {"id": req["id"], "type": got.get("type", "info"), "node": name}
    if got.get("error") is not None:
        out["error"] = got["error"]
    if out["type"] == "ok" and req["f"] in ("read", "txn"):
        out["value"] = got.get("value")
    if got.get("leader") in nodes:
        leader = got["leader"]
    elif out["type"] == "fail" and got.get("error") == "not-leader":
        # No hint: try the next node.
        names = sorted(nodes)
        leader = names[(names.index(name) + 1) % len(names)]
    return out


for line in sys.stdin:
    req = json.loads(line)
    if req["f"] == "hello":
        nodes = {n["name"]: (n["ip"], n["port"]) for n in req["nodes"]}
        WORKLOAD = req["workload"]
        answer({"id": 0, "type": "ok"})
        continue
    answer(perform(req))
