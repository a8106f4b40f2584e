#!/usr/bin/python3
"""Listeners that stand where an operator's servers would, for the tests of logging and alerts:

    lab-listener.py syslog --udp PORT --tcp PORT [--unix PATH]
                                                   RFC 5424 messages over UDP (RFC 5426, one per
                                                   datagram), TCP (RFC 6587 octet counting) and a
                                                   Unix datagram socket (as /dev/log), each parsed
                                                   strictly (parse_rfc5424 below)
    lab-listener.py http --port PORT [--tls CERT KEY] [--status N]
                                                   a webhook: every request, answered N (200)
    lab-listener.py smtp --port PORT [--tls CERT KEY] [--reject-rcpt ADDR]
                                                   an SMTP server (RFC 5321; STARTTLS of RFC 3207
                                                   when --tls is given) that keeps every message

Each appends one JSON line per message to --out and prints {"udp": P, "tcp": P} / {"port": P}
(the ports it got; 0 asks for any) on stdout once listening. It stops on SIGTERM or after
--deadline seconds (default 300), whichever comes first.
"""
import argparse
import asyncio
import json
import re
import signal
import socket
import ssl
import sys

TIMESTAMP = re.compile(r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d{1,6})?"
                       r"(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$")
BOM = b"\xef\xbb\xbf"


class Invalid(Exception):
    pass


def parse_rfc5424(data):
    """The fields of one RFC 5424 message (bytes), by the ABNF of its section 6; Invalid says
    what breaks it. Structured data: {"SD-ID": {"name": "value", ...}} with escapes undone."""
    pos = 0

    def take_until_space(field, limit):
        nonlocal pos
        end = data.find(b" ", pos)
        if end < 0:
            raise Invalid(f"no space after {field}")
        value = data[pos:end]
        if not 1 <= len(value) <= limit or any(b < 33 or b > 126 for b in value):
            raise Invalid(f"{field} {value!r} is not 1-{limit} printable US-ASCII characters")
        pos = end + 1
        return value.decode("ascii")

    match = re.match(rb"<(\d{1,3})>1 ", data)
    if not match:
        raise Invalid(f"no <PRI>1 header: {data[:20]!r}")
    pri = int(match.group(1))
    if pri > 191 or (match.group(1).startswith(b"0") and match.group(1) != b"0"):
        raise Invalid(f"PRI {match.group(1)!r} is out of range")
    pos = match.end()
    timestamp = take_until_space("TIMESTAMP", 32)
    if timestamp != "-" and not TIMESTAMP.match(timestamp):
        raise Invalid(f"TIMESTAMP {timestamp!r} is not RFC 3339")
    hostname = take_until_space("HOSTNAME", 255)
    app = take_until_space("APP-NAME", 48)
    procid = take_until_space("PROCID", 128)
    msgid = take_until_space("MSGID", 32)
    sd = {}
    if data[pos:pos + 1] == b"-":
        pos += 1
    else:
        if data[pos:pos + 1] != b"[":
            raise Invalid("STRUCTURED-DATA is neither - nor [")
        while data[pos:pos + 1] == b"[":
            pos += 1
            sd_id, pos = sd_name(data, pos, "SD-ID")
            params = sd.setdefault(sd_id, {})
            while data[pos:pos + 1] == b" ":
                name, pos = sd_name(data, pos + 1, "PARAM-NAME")
                if data[pos:pos + 2] != b'="':
                    raise Invalid(f"PARAM-NAME {name} is not followed by =\"")
                value, pos = param_value(data, pos + 2)
                params[name] = value
            if data[pos:pos + 1] != b"]":
                raise Invalid(f"SD-ELEMENT {sd_id} does not end with ]")
            pos += 1
    message = None
    if pos < len(data):
        if data[pos:pos + 1] != b" ":
            raise Invalid("no space before MSG")
        raw = data[pos + 1:]
        message = raw[3:].decode("utf-8") if raw.startswith(BOM) else raw.decode("utf-8", "replace")
    return {"facility": pri // 8, "severity": pri % 8, "timestamp": timestamp, "hostname": hostname, "app": app,
            "procid": procid, "msgid": msgid, "sd": sd, "msg": message}


def sd_name(data, pos, field):
    start = pos
    while pos < len(data) and 33 <= data[pos] <= 126 and data[pos] not in b'= ]"':
        pos += 1
    if not 1 <= pos - start <= 32:
        raise Invalid(f"{field} at {start} is not 1-32 allowed characters")
    return data[start:pos].decode("ascii"), pos


def param_value(data, pos):
    out = bytearray()
    while pos < len(data):
        byte = data[pos]
        if byte == 0x5C and pos + 1 < len(data):  # \" \\ \] are escapes; any other \ stays
            nxt = data[pos + 1]
            if nxt in b'"\\]':
                out.append(nxt)
                pos += 2
                continue
            out.append(byte)
            pos += 1
            continue
        if byte == 0x22:
            return out.decode("utf-8"), pos + 1
        if byte == 0x5D:
            raise Invalid("an unescaped ] in a PARAM-VALUE")
        out.append(byte)
        pos += 1
    raise Invalid("a PARAM-VALUE without its closing quote")


class Out:
    def __init__(self, path):
        self.file = open(path, "a", buffering=1)

    def write(self, entry):
        self.file.write(json.dumps(entry) + "\n")


def record_syslog(out, transport, data):
    try:
        out.write({"transport": transport, "parsed": parse_rfc5424(data), "raw": data.decode("utf-8", "replace")})
    except (Invalid, UnicodeDecodeError) as error:
        out.write({"transport": transport, "error": str(error), "raw": data.decode("utf-8", "replace")})


async def syslog(args, out):
    loop = asyncio.get_running_loop()

    class Datagrams(asyncio.DatagramProtocol):
        def datagram_received(self, data, addr):
            record_syslog(out, "udp", data)

    udp, _ = await loop.create_datagram_endpoint(Datagrams, local_addr=(args.bind, args.udp))
    if args.unix:
        class Local(asyncio.DatagramProtocol):
            def datagram_received(self, data, addr):
                record_syslog(out, "unix", data)

        await loop.create_datagram_endpoint(Local, local_addr=args.unix, family=socket.AF_UNIX)

    async def octet_counted(reader, writer):
        try:
            while True:
                length = await reader.readuntil(b" ")
                if not length[:-1].isdigit() or length.startswith(b"0"):
                    out.write({"transport": "tcp", "error": f"bad frame length {length!r}"})
                    break
                record_syslog(out, "tcp", await reader.readexactly(int(length[:-1])))
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        writer.close()

    server = await asyncio.start_server(octet_counted, args.bind, args.tcp)
    print(json.dumps({"udp": udp.get_extra_info("sockname")[1], "tcp": server.sockets[0].getsockname()[1]}), flush=True)
    return server


async def http(args, out):
    async def handle(reader, writer):
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, path, _ = lines[0].split(" ", 2)
            headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:] if ":" in line)}
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            out.write({"method": method, "path": path, "headers": headers, "body": body.decode("utf-8", "replace")})
            writer.write(f"HTTP/1.1 {args.status} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".encode())
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, ValueError):
            pass
        writer.close()

    server = await asyncio.start_server(handle, args.bind, args.port, ssl=tls_context(args))
    print(json.dumps({"port": server.sockets[0].getsockname()[1]}), flush=True)
    return server


async def smtp(args, out):
    context = tls_context(args)

    async def handle(reader, writer):
        async def reply(text):
            writer.write((text + "\r\n").encode())
            await writer.drain()

        state = {"helo": None, "tls": False, "from": None, "to": []}
        try:
            await reply("220 lab-listener ESMTP")
            while True:
                line = (await reader.readuntil(b"\r\n"))[:-2].decode("utf-8", "replace")
                verb = line.split(" ", 1)[0].upper()
                if verb == "EHLO":
                    state["helo"] = line[5:]
                    extensions = ["8BITMIME"] + (["STARTTLS"] if context and not state["tls"] else [])
                    for ext in extensions:
                        await reply(f"250-{ext}")
                    await reply("250 SIZE 1000000")
                elif verb == "HELO":
                    state["helo"] = line[5:]
                    await reply("250 lab-listener")
                elif verb == "STARTTLS" and context and not state["tls"]:
                    await reply("220 go ahead")
                    await writer.start_tls(context)
                    state.update(tls=True, helo=None, to=[], **{"from": None})
                elif verb == "MAIL" and state["helo"] and line.upper().startswith("MAIL FROM:<"):
                    state["from"] = line[10:].split(">")[0].lstrip("<")
                    await reply("250 ok")
                elif verb == "RCPT" and state["from"] is not None and line.upper().startswith("RCPT TO:<"):
                    address = line[8:].split(">")[0].lstrip("<")
                    if address == args.reject_rcpt:
                        await reply("550 no such user")
                    else:
                        state["to"].append(address)
                        await reply("250 ok")
                elif verb == "DATA" and state["to"]:
                    await reply("354 end with <CRLF>.<CRLF>")
                    lines = []
                    while True:
                        data_line = (await reader.readuntil(b"\r\n"))[:-2]
                        if data_line == b".":
                            break
                        lines.append(data_line[1:] if data_line.startswith(b".") else data_line)
                    out.write({"helo": state["helo"], "tls": state["tls"], "from": state["from"], "to": state["to"],
                               "data": b"\r\n".join(lines).decode("utf-8", "replace") + "\r\n"})
                    await reply("250 queued")
                    state.update(to=[], **{"from": None})
                elif verb == "QUIT":
                    await reply("221 bye")
                    break
                else:
                    await reply("503 bad sequence of commands")
        except (asyncio.IncompleteReadError, ConnectionError, ssl.SSLError):
            pass
        writer.close()

    server = await asyncio.start_server(handle, args.bind, args.port)
    print(json.dumps({"port": server.sockets[0].getsockname()[1]}), flush=True)
    return server


def tls_context(args):
    if not args.tls:
        return None
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(args.tls[0], args.tls[1])
    return context


async def main(args):
    # A parent may have blocked signals (a test runner's thread); SIGTERM must reach us.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    out = Out(args.out)
    server = await {"syslog": syslog, "http": http, "smtp": smtp}[args.kind](args, out)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    try:
        await asyncio.wait_for(stop.wait(), args.deadline)
    except asyncio.TimeoutError:
        pass
    server.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=["syslog", "http", "smtp"])
    parser.add_argument("--bind", default="127.0.0.1")
    parser.add_argument("--out", required=True)
    parser.add_argument("--deadline", type=float, default=300)
    parser.add_argument("--udp", type=int, default=0)
    parser.add_argument("--tcp", type=int, default=0)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--unix")
    parser.add_argument("--status", type=int, default=200)
    parser.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    parser.add_argument("--reject-rcpt")
    asyncio.run(main(parser.parse_args()))
    sys.exit(0)
