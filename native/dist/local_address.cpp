#include "dist/local_address.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace senet {

std::string localAddressToward(const std::string& host, int port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  if (int rc = getaddrinfo(host.c_str(), service.c_str(), &hints, &found); rc != 0)
    throw std::runtime_error("cannot resolve the master address '" + host + "': " + gai_strerror(rc));
  std::string lastError = "no address";
  for (addrinfo* candidate = found; candidate != nullptr; candidate = candidate->ai_next) {
    const int fd = socket(candidate->ai_family, candidate->ai_socktype, candidate->ai_protocol);
    if (fd < 0) {
      lastError = std::strerror(errno);
      continue;
    }
    // connect() on a UDP socket only picks the route and the source address.
    if (connect(fd, candidate->ai_addr, candidate->ai_addrlen) != 0) {
      lastError = std::strerror(errno);
      close(fd);
      continue;
    }
    sockaddr_storage local{};
    socklen_t length = sizeof(local);
    const int rc = getsockname(fd, reinterpret_cast<sockaddr*>(&local), &length);
    const int savedErrno = errno;
    close(fd);
    if (rc != 0) {
      lastError = std::strerror(savedErrno);
      continue;
    }
    char text[INET6_ADDRSTRLEN] = {0};
    const void* raw = local.ss_family == AF_INET6
                          ? static_cast<const void*>(&reinterpret_cast<const sockaddr_in6*>(&local)->sin6_addr)
                          : static_cast<const void*>(&reinterpret_cast<const sockaddr_in*>(&local)->sin_addr);
    if (inet_ntop(local.ss_family, raw, text, sizeof(text)) == nullptr) {
      lastError = std::strerror(errno);
      continue;
    }
    freeaddrinfo(found);
    return text;
  }
  freeaddrinfo(found);
  throw std::runtime_error("no local address routes to the master address '" + host + "': " + lastError);
}

bool isNetworkInterface(const std::string& name) {
  return !name.empty() && name.size() < IF_NAMESIZE && if_nametoindex(name.c_str()) != 0;
}

}  // namespace senet
