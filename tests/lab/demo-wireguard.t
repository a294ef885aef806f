#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tests/lab/demo-wireguard.t — `make demo ENCAP=wireguard`: the whole story with
# encap = wireguard, the second guest network a hotel NAT that drops protocol 4
# (tests/lab/demo.t's checks, and one more for the NAT).
ROAM_DEMO_ENCAP=wireguard exec bash "$(dirname "$0")/demo.t"
