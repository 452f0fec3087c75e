#!/usr/bin/env python3
"""faultline client adapter for Redis, standard library only.

faultline starts one copy of this program per client and writes one JSON request per line on
stdin; it answers one JSON line per request on stdout (docs/your-own-store.md, "The adapter
protocol"). Diagnostics go to stderr, never stdout.

Topology (redis.toml): the first node is the primary, the others replicate it asynchronously
(`replicaof`). Writes (`write`, `cas`, set `add`) go to the primary; reads go to the node the
request names (`READ_FROM=node`, the default: replicas serve reads, as Redis allows) or to the
primary (`READ_FROM=primary`).

Error mapping (why it matters: a `fail` tells the checkers the write never happened):
  - could not connect, so nothing was sent                   -> fail
  - Redis answered an error (-READONLY, -LOADING, -MASTERDOWN) -> fail: Redis refuses these
    before it applies anything
  - sent, then the connection broke or no answer in time     -> info for a write: it may have
    been applied; fail for a read, which changes nothing whatever happened to it

The RESP client is a few lines of the standard library rather than python3-redis so that the
only thing the machine running faultline needs is python3.
"""
import json
import os
import socket
import sys

CONNECT_TIMEOUT = float(os.environ.get("CONNECT_TIMEOUT", "0.5"))
# Below faultline's default op timeout (1000 ms), so a slow answer is this adapter's `info`
# with a reason rather than faultline's timeout.
REPLY_TIMEOUT = float(os.environ.get("REPLY_TIMEOUT", "0.8"))
READ_FROM = os.environ.get("READ_FROM", "node")

# Compare-and-set as one atomic server-side step. An absent key compares equal to "" (the
# workload's `null`: an empty register); values are numbers, never "".
CAS = ("if (redis.call('get', KEYS[1]) or '') == ARGV[1] then "
       "redis.call('set', KEYS[1], ARGV[2]) return 1 else return 0 end")

nodes = {}        # name -> (ip, port)
primary = None    # the first node's name
workload = None
conns = {}        # name -> (socket, reader)


class NotSent(Exception):
    """Nothing reached Redis: the operation cannot have happened."""


class Lost(Exception):
    """The request may have reached Redis: the outcome is unknown."""


class RedisError(Exception):
    """Redis answered with an error reply."""


def answer(msg):
    sys.stdout.write(json.dumps(msg) + "\n")
    sys.stdout.flush()


def connection(name):
    if name in conns:
        return conns[name]
    try:
        s = socket.create_connection(nodes[name], timeout=CONNECT_TIMEOUT)
    except OSError as e:
        raise NotSent(f"cannot connect to {name}: {e}")
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.settimeout(REPLY_TIMEOUT)
    conns[name] = (s, s.makefile("rb"))
    return conns[name]


def drop(name):
    s, _ = conns.pop(name, (None, None))
    if s is not None:
        try:
            s.close()
        except OSError:
            pass


def encode(args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        a = str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


def reply(reader):
    line = reader.readline()
    if not line.endswith(b"\r\n"):
        raise OSError("connection closed")
    kind, rest = line[:1], line[1:-2]
    if kind == b"+":
        return rest.decode()
    if kind == b"-":
        raise RedisError(rest.decode())
    if kind == b":":
        return int(rest)
    if kind == b"$":
        n = int(rest)
        if n < 0:
            return None
        data = reader.read(n + 2)
        if len(data) != n + 2:
            raise OSError("connection closed")
        return data[:-2].decode()
    if kind == b"*":
        n = int(rest)
        return None if n < 0 else [reply(reader) for _ in range(n)]
    raise OSError(f"unexpected reply {line!r}")


def call(name, *args):
    s, reader = connection(name)
    try:
        s.sendall(encode(args))
    except OSError as e:
        # A failed send may still have delivered part of the request: unknown.
        drop(name)
        raise Lost(f"send to {name} failed: {e}")
    try:
        return reply(reader)
    except RedisError:
        raise
    except (OSError, ValueError) as e:
        drop(name)
        raise Lost(f"no answer from {name}: {e}")


def key(req):
    return f"{workload}:{req.get('key')}"


def number(v):
    return None if v is None else int(v)


def perform(req):
    f = req["f"]
    reads_at = req["node"] if READ_FROM == "node" else primary
    if workload == "set":
        if f == "add":
            call(primary, "SADD", key(req), req["value"])
            return primary, None
        members = call(reads_at, "SMEMBERS", key(req))
        return reads_at, sorted(int(m) for m in members)
    if f == "read":
        return reads_at, number(call(reads_at, "GET", key(req)))
    if f == "write":
        call(primary, "SET", key(req), req["value"])
        return primary, None
    if f == "cas":
        old, new = req["value"]
        expected = "" if old is None else old
        if call(primary, "EVAL", CAS, 1, key(req), expected, new) != 1:
            raise RedisError("cas-mismatch")
        return primary, None
    raise RedisError(f"unsupported operation {f!r} in workload {workload!r}")


for line in sys.stdin:
    req = json.loads(line)
    if req["f"] == "hello":
        nodes = {n["name"]: (n["ip"], n["port"]) for n in req["nodes"]}
        primary = req["nodes"][0]["name"]
        workload = req["workload"]
        if workload not in ("register", "set"):
            answer({"id": 0, "type": "fail", "error": f"no client for workload {workload}"})
            sys.exit(2)
        answer({"id": 0, "type": "ok"})
        continue
    out = {"id": req["id"]}
    try:
        served_by, value = perform(req)
        out.update(type="ok", node=served_by)
        if req["f"] == "read":
            out["value"] = value
    except NotSent as e:
        out.update(type="fail", error=f"not-connected: {e}")
    except RedisError as e:
        out.update(type="fail", error=str(e))
    except Lost as e:
        # A read changes nothing, so whatever happened to it, it did not happen: fail. A write
        # may have been applied: info.
        out.update(type="fail" if req["f"] == "read" else "info", error=str(e))
    answer(out)
