# Sourced by the e2e scripts. free PORT...: nothing listens on any of them over UDP or TCP (loopback).
free() {
  python3 - "$@" <<'PY'
import socket, sys
for port in map(int, sys.argv[1:]):
    for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
        s = socket.socket(socket.AF_INET, kind)
        try: s.bind(("127.0.0.1", port))
        except OSError: sys.exit(1)
        finally: s.close()
PY
}
