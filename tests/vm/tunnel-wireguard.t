#!/usr/bin/env bash
# tests/vm/tunnel-wireguard.t — encap = wireguard behind a hotel NAT, on a real kernel:
# one VM boot (tests/vm/tunnel.t's runner) for tests/vm/tunnel-wireguard-guest.sh.
ROAM_VM_GUEST=tunnel-wireguard-guest.sh exec bash "$(dirname "$0")/tunnel.t"
