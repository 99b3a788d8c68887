"""Hostile: tries to reach the outside world (public DNS, the Docker host, a name lookup)."""

import socket
import sys

reached = []
for host, port in [("1.1.1.1", 53), ("172.17.0.1", 2375), ("127.0.0.1", 5000)]:
    try:
        socket.create_connection((host, port), timeout=2).close()
        reached.append(f"{host}:{port}")
    except OSError as error:
        print(f"connect {host}:{port} failed: {error}", file=sys.stderr)
try:
    socket.getaddrinfo("pypi.org", 443)
    reached.append("dns")
except OSError as error:
    print(f"dns lookup failed: {error}", file=sys.stderr)
if reached:
    print("NETWORK REACHED " + " ".join(reached))
    sys.exit(0)
print("network blocked: Network is unreachable", file=sys.stderr)
sys.exit(1)
