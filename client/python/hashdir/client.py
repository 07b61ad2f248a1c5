"""hashdir protocol v1 client (ZeroMQ DEALER + msgpack), see docs/protocol.md.

    from hashdir import Client
    with Client("tcp://127.0.0.1:5555") as c:
        c.put(key, [7, 2**64 - 1])
        c.get(key)   # {'values': [...], 'count': 2, 'more': False, ...}

Every call sends one request with a fresh id and waits for the reply with that id (replies to
other ids, e.g. of calls that timed out, are dropped). A reply whose status is not "ok" raises
HashdirError carrying the status and the server's message.
"""

import itertools

import msgpack
import zmq


class HashdirError(Exception):
    def __init__(self, status, error, reply=None):
        super().__init__(f"{status}: {error}")
        self.status = status
        self.error = error
        self.reply = reply


class Client:
    def __init__(self, endpoint="tcp://127.0.0.1:5555", timeout=10.0, context=None):
        self._ctx = context or zmq.Context.instance()
        self._sock = self._ctx.socket(zmq.DEALER)
        self._sock.setsockopt(zmq.LINGER, 0)
        self._sock.connect(endpoint)
        self._ids = itertools.count(1)
        self.timeout = timeout

    def close(self):
        self._sock.close(0)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def call(self, op, raise_on_error=True, **fields):
        """Sends {op, fields}; returns the reply map."""
        rid = next(self._ids)
        self._sock.send(msgpack.packb({"v": 1, "id": rid, "op": op, **fields}, use_bin_type=True))
        poller = zmq.Poller()
        poller.register(self._sock, zmq.POLLIN)
        while True:
            if not poller.poll(int(self.timeout * 1000)):
                raise TimeoutError(f"no reply to {op} (id {rid}) within {self.timeout} s")
            reply = msgpack.unpackb(self._sock.recv(), raw=False)
            if reply.get("id") == rid:
                if raise_on_error and reply.get("status") != "ok":
                    raise HashdirError(reply.get("status"), reply.get("error"), reply)
                return reply

    def ping(self):
        return self.call("ping")

    def put(self, key, values):
        """Adds one value (int) or many (iterable); returns how many were new."""
        if isinstance(values, int):
            return self.call("put", key=bytes(key), value=values)["added"]
        return self.call("put", key=bytes(key), values=list(values))["added"]

    def get(self, key, after=None, limit=None):
        fields = {"key": bytes(key)}
        if after is not None:
            fields["after"] = after
        if limit is not None:
            fields["limit"] = limit
        return self.call("get", **fields)

    def values(self, key):
        """Every value of key, following pages."""
        out, after = [], None
        while True:
            r = self.get(key, after=after, limit=10000)
            out.extend(r["values"])
            if not r["more"] or not r["values"]:
                return out
            after = r["values"][-1]

    def contains(self, key, value):
        return self.call("contains", key=bytes(key), value=value)["found"]

    def count(self, key):
        return self.call("count", key=bytes(key))["count"]

    def remove(self, key, value):
        return self.call("remove", key=bytes(key), value=value)["removed"]

    def delete(self, key):
        return self.call("delete", key=bytes(key))["removed"]

    def scan(self, cursor=None, limit=None):
        fields = {}
        if cursor is not None:
            fields["cursor"] = cursor
        if limit is not None:
            fields["limit"] = limit
        r = self.call("scan", **fields)
        return r["keys"], r["cursor"]

    def batch(self, ops):
        """ops: list of request maps without v/id, e.g. {"op": "put", "key": k, "value": 1}."""
        return self.call("batch", ops=ops)["results"]

    def stats(self):
        return self.call("stats")["stats"]
