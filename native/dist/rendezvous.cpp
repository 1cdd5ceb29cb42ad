#include "dist/rendezvous.h"

#include "dist/dist_error.h"

#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <thread>

namespace senet {

namespace {

std::string rankKey(int rank) { return "senet/rendezvous/rank/" + std::to_string(rank); }
const std::string kJoinedKey = "senet/rendezvous/joined";
const std::string kWorldKey = "senet/rendezvous/world-size";

std::string listRanks(const std::vector<int>& ranks) {
  std::string text;
  for (size_t i = 0; i < ranks.size(); ++i) {
    if (i > 0) text += (i + 1 == ranks.size()) ? " and " : ", ";
    text += std::to_string(ranks[i]);
  }
  return text;
}

}  // namespace

c10::intrusive_ptr<c10d::Store> rendezvous(const DistOptions& options) {
  const auto timeout = std::chrono::milliseconds(static_cast<int64_t>(options.timeout * 1000));
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  const std::string where = options.masterAddr + ":" + std::to_string(options.masterPort);
  const std::string what = "rendezvous at " + where;
  auto fail = [&](const std::string& cause) -> std::runtime_error {
    // Each cause below carries its own explanation: no generic hint.
    return std::runtime_error(
        distFailureMessage(options.rank, options.worldSize, what, cause, options.timeout, /*withHint=*/false));
  };

  c10d::TCPStoreOptions storeOptions;
  storeOptions.port = static_cast<std::uint16_t>(options.masterPort);
  storeOptions.isServer = options.rank == 0;
  storeOptions.numWorkers = static_cast<std::size_t>(options.worldSize);
  storeOptions.waitWorkers = false;  // we wait below, and can then name the missing ranks
  storeOptions.timeout = timeout;
  c10::intrusive_ptr<c10d::Store> store;
  try {
    store = c10::make_intrusive<c10d::TCPStore>(options.masterAddr, storeOptions);
  } catch (const std::exception& error) {
    const std::string cause = distFailureCause(error);
    if (options.rank == 0)
      throw fail("rank 0 could not host the store: " + cause +
                 " (is the port in use by another job? choose another port / MASTER_PORT)");
    throw fail("could not reach the store hosted by rank 0: " + cause +
               " (rank 0 has not started, has exited, or the master address/port differ between ranks)");
  }

  std::vector<int> missing;
  bool timedOut = false;
  try {
    // Rank 0's world size is the job's: a rank started with another one
    // would otherwise wait for ranks that never come.
    if (options.rank == 0) {
      const std::string world = std::to_string(options.worldSize);
      store->set(kWorldKey, std::vector<uint8_t>(world.begin(), world.end()));
    } else {
      const auto value = store->get(kWorldKey);
      const std::string world(value.begin(), value.end());
      if (world != std::to_string(options.worldSize))
        throw fail("rank 0 was started with world size " + world + ", this rank with " +
                   std::to_string(options.worldSize) + " (WORLD_SIZE must be the same everywhere)");
    }
    if (store->add(rankKey(options.rank), 1) > 1)
      throw fail("two processes claim rank " + std::to_string(options.rank) +
                 " (each process needs its own RANK in 0.." + std::to_string(options.worldSize - 1) + ")");
    store->add(kJoinedKey, 1);
    // Polling a counter keeps every rank's wait bounded by the deadline and
    // lets a timeout name who is missing.
    auto pause = std::chrono::milliseconds(2);
    while (store->add(kJoinedKey, 0) < options.worldSize) {
      if (std::chrono::steady_clock::now() >= deadline) {
        timedOut = true;
        for (int r = 0; r < options.worldSize; ++r)
          if (!store->check({rankKey(r)})) missing.push_back(r);
        break;
      }
      std::this_thread::sleep_for(pause);
      pause = std::min(pause * 2, std::chrono::milliseconds(50));
    }
  } catch (const std::runtime_error& error) {
    if (std::string(error.what()).rfind("distributed:", 0) == 0) throw;
    throw fail("lost the store hosted by rank 0: " + distFailureCause(error) + " (rank 0 exited or its connection broke)");
  } catch (const std::exception& error) {
    throw fail("lost the store hosted by rank 0: " + distFailureCause(error) + " (rank 0 exited or its connection broke)");
  }
  if (timedOut) {
    char seconds[32];
    std::snprintf(seconds, sizeof(seconds), "%g", options.timeout);
    if (missing.empty())  // everyone registered, but someone stopped before joining
      throw fail("not all ranks finished joining within " + std::string(seconds) +
                 " s (a rank failed during the rendezvous: see its error)");
    const int joined = options.worldSize - static_cast<int>(missing.size());
    throw fail(std::string(missing.size() > 1 ? "ranks " : "rank ") + listRanks(missing) + " did not arrive within " +
               seconds + " s (" + std::to_string(joined) + " of " + std::to_string(options.worldSize) +
               " joined; start every rank with the same master address, port and world size)");
  }
  return store;
}

}  // namespace senet
