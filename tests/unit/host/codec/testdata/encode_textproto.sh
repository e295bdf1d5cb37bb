#!/bin/sh
# encode_textproto.sh NAME APIVERSION KIND: NAME.textproto -> NAME.pb, a full kube protobuf body
# ("k8s\0" + runtime.Unknown{typeMeta, raw}) made with protoc --encode, independently of the C++
# decoder. Run from this directory; needs protoc and python3.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
codec="$here/../../../../../host/codec"
name=$1 apiversion=$2 kind=$3
protoc -I "$codec" -I /usr/include --encode="k8s.io.api.core.v1.$kind" \
  "$codec/proto/k8s_core_v1.proto" < "$here/$name.textproto" > "$here/$name.raw"
python3 - "$here/$name.raw" "$here/$name.pb" "$apiversion" "$kind" <<'PY'
import sys
def varint(n):
    out = b""
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])
def ld(field, payload):
    return bytes([(field << 3) | 2]) + varint(len(payload)) + payload
raw = open(sys.argv[1], "rb").read()
type_meta = ld(1, sys.argv[3].encode()) + ld(2, sys.argv[4].encode())
body = b"k8s\x00" + ld(1, type_meta) + ld(2, raw) + ld(3, b"") + ld(4, b"")
open(sys.argv[2], "wb").write(body)
PY
rm -f "$here/$name.raw"
