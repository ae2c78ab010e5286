#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# capture.py PORT OUTDIR MAX SECONDS - how the requests of this directory
# were captured: a tiny SIP responder on 127.0.0.1:PORT that writes every
# datagram it gets to OUTDIR/NNNN.sip, byte for byte, and answers enough
# for the sipvicious tools to go on (200 to OPTIONS, 401 then 403 to
# REGISTER, 401 for users 100/101/1000, 404 otherwise). Loopback only;
# stops after MAX datagrams or SECONDS seconds. See README.md.
import socket, sys, time, os, re
port, outdir, maxn, secs = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(('127.0.0.1', port))
s.settimeout(0.5)
end = time.time() + secs
n = 0
def hdrs(msg, names):
    out = []
    for line in msg.split('\r\n'):
        k = line.split(':', 1)[0].strip().lower()
        if k in names:
            out.append(line)
    return out
while time.time() < end and n < maxn:
    try:
        data, addr = s.recvfrom(65535)
    except socket.timeout:
        continue
    n += 1
    with open(os.path.join(outdir, '%04d.sip' % n), 'wb') as f:
        f.write(data)
    msg = data.decode('utf-8', 'replace')
    first = msg.split('\r\n', 1)[0]
    if first.startswith('SIP/2.0'):
        continue
    method = first.split(' ')[0]
    uri = first.split(' ')[1] if ' ' in first else ''
    m = re.match(r'sips?:([^@;>]+)@', uri)
    user = m.group(1) if m else ''
    to = hdrs(msg, ['to', 't'])
    to_line = (to[0] + ';tag=resp1') if to else 'To: <sip:x@127.0.0.1>'
    keep = hdrs(msg, ['via', 'v', 'from', 'f', 'call-id', 'i', 'cseq'])
    if method == 'ACK':
        continue
    if method == 'OPTIONS':
        code = '200 OK'
    elif method == 'REGISTER' and 'authorization:' in msg.lower():
        code = '403 Forbidden'
    elif user in ('100', '101', '1000') or method == 'REGISTER':
        code = '401 Unauthorized'
    else:
        code = '404 Not Found'
    resp = 'SIP/2.0 %s\r\n' % code + '\r\n'.join(keep) + '\r\n' + to_line + '\r\n'
    if code.startswith('401'):
        resp += 'WWW-Authenticate: Digest realm="lab", nonce="abc123", algorithm=MD5\r\n'
    resp += 'User-Agent: capture-responder\r\nContent-Length: 0\r\n\r\n'
    s.sendto(resp.encode(), addr)
print('recorded', n)
