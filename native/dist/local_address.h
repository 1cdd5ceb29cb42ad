#pragma once

// Which local address Gloo should listen on.
//
// Gloo's default device binds to whatever this machine's hostname resolves to
// (often 127.0.1.1 on Debian, or an address on the wrong network), and peers
// then cannot reach it. The address that routes to the rendezvous host is the
// one peers can reach in every setup we know of: one host (loopback), several
// hosts, containers and network namespaces.

#include <string>

namespace senet {

// The local IP address (v4 or v6, numeric) the kernel would use as the source
// of packets to host:port. Asks the routing table by connecting a UDP socket,
// which sends nothing. Throws std::runtime_error when host does not resolve or
// has no route.
std::string localAddressToward(const std::string& host, int port);

// True when name is a network interface of this machine ("eth0", "veth-b"),
// as opposed to an address or hostname.
bool isNetworkInterface(const std::string& name);

}  // namespace senet
