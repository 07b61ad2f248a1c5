/**
 * Protocol v1 of the ZeroMQ data plane as a pure codec: {@link dev.hashdir.server.protocol.RequestDecoder}
 * turns one request frame into a reused {@link dev.hashdir.server.protocol.Request} (or a status and a
 * message saying what was wrong), {@link dev.hashdir.server.protocol.ReplyEncoder} turns a
 * {@link dev.hashdir.server.protocol.Reply} into one msgpack map. No sockets and no engine here;
 * docs/protocol.md is the normative specification and {@link dev.hashdir.server.protocol.Protocol}
 * holds its constants.
 */
package dev.hashdir.server.protocol;
