#!/bin/sh
# The lab's interfaces, made in the network namespace that ribjournal and gobgpd share. veth pairs
# rather than dummy devices: every kernel that runs containers has veth. Safe to run again.
# LAB_NODE=b makes the second node's (ribjournal-b's own namespace): the same load-balancer address,
# its own customer-a subnet.
set -eu

veth() {
  ip link show dev "$1" >/dev/null 2>&1 || ip link add name "$1" type veth peer name "$1-p"
  ip link set dev "$1-p" up
  ip link set dev "$1" up
}

veth kubelb0
ip addr replace 192.0.2.10/32 dev kubelb0

if [ "${LAB_NODE:-a}" = b ]; then
  veth cust-a0
  ip addr replace 10.1.1.1/24 dev cust-a0
  echo "lab interfaces of node b ready:"
  ip -brief addr show
  exit 0
fi

ip addr replace 192.0.2.11/32 dev kubelb0
ip addr replace 2001:db8:100::10/128 dev kubelb0 nodad

veth cust-a0
ip addr replace 10.1.0.1/24 dev cust-a0
ip addr replace 2001:db8:1::1/64 dev cust-a0 nodad

veth cust-b0
ip addr replace 10.2.0.1/24 dev cust-b0

echo "lab interfaces ready:"
ip -brief addr show
