#!/usr/bin/env python3
"""Copy an image tar, changing named entries on the way (tests/integration/
verify.sh).  pax headers, xattrs (file capabilities), owners and hardlinks
are kept as they are unless an operation changes them.

usage: tarmutate.py IN OUT OP...
  flip:PATH            flip the bits of the middle byte of PATH's content
  append:PATH          append one byte to PATH's content
  chmod:PATH:OCTAL     set PATH's permission bits
  chown:PATH:UID:GID   set PATH's numeric owner
  remove:PATH          leave PATH out
  relink:PATH:TARGET   point the symlink PATH at TARGET
  dropcaps:PATH        remove PATH's security.capability xattr
  add:PATH             add a regular file PATH (content "extra\\n")
  dup:PATH             add a second PATH entry, its content flipped, at the end
  db:PATH:FILE         add FILE's content as PATH (and its parent directory)
PATHs are as in the tar: ./usr/bin/sed
"""
import io
import sys
import tarfile

CAP = 'SCHILY.xattr.security.capability'


def parse(ops):
    out = {}
    for op in ops:
        kind, path, *args = op.split(':')
        out.setdefault(path, []).append((kind, args))
    return out


def flip(data):
    b = bytearray(data)
    b[len(b) // 2] ^= 0xff
    return bytes(b)


def regular(name, data, mode=0o644):
    ti = tarfile.TarInfo(name)
    ti.size = len(data)
    ti.mode = mode
    ti.mtime = 1747699200
    return ti, io.BytesIO(data)


def change(m, data, kind, args):
    if kind == 'flip':
        data = flip(data)
    elif kind == 'append':
        data += b'\n'
    elif kind == 'chmod':
        m.mode = int(args[0], 8)
    elif kind == 'chown':
        m.uid, m.gid = int(args[0]), int(args[1])
    elif kind == 'relink':
        m.linkname = args[0]
    elif kind == 'dropcaps':
        m.pax_headers = {k: v for k, v in m.pax_headers.items() if k != CAP}
    m.size = len(data) if m.isreg() else 0
    return m, data


def main():
    src, dst, ops = sys.argv[1], sys.argv[2], parse(sys.argv[3:])
    tail = []
    with tarfile.open(src) as t, \
            tarfile.open(dst, 'w', format=tarfile.PAX_FORMAT) as o:
        for m in t.getmembers():
            data = t.extractfile(m).read() if m.isreg() else b''
            todo = ops.pop(m.name, [])
            if any(k == 'remove' for k, _ in todo):
                continue
            for kind, args in todo:
                if kind == 'dup':
                    tail.append(regular(m.name, flip(data), m.mode))
                else:
                    m, data = change(m, data, kind, args)
            o.addfile(m, io.BytesIO(data) if m.isreg() else None)
        for path, todo in ops.items():
            for kind, args in todo:
                if kind == 'add':
                    tail.append(regular(path, b'extra\n'))
                elif kind == 'db':
                    d = tarfile.TarInfo(path.rsplit('/', 1)[0])
                    d.type, d.mode, d.mtime = tarfile.DIRTYPE, 0o755, 1747699200
                    if d.name not in t.getnames():
                        tail.append((d, None))
                    with open(args[0], 'rb') as f:
                        tail.append(regular(path, f.read()))
                else:
                    sys.exit('tarmutate: no entry %s for %s' % (path, kind))
        for ti, f in tail:
            o.addfile(ti, f)


main()
