// The compute thread's queue (native/runtime/compute_thread.h): posting never
// waits, a job's outcome reaches its `done` on the compute thread, short jobs
// run in call order and between two steps of a long job (only those already
// waiting at the boundary), a second long job waits for the first and says so
// before it can start, and a caller on the compute thread runs inline.
#include <chrono>
#include <future>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "core_test.h"
#include "runtime/compute_thread.h"

namespace senet::coretest {

namespace {

// Waits for a future without hanging the suite when the queue is broken.
template <typename T>
T await(std::future<T>& future, const char* what) {
  if (future.wait_for(std::chrono::seconds(30)) != std::future_status::ready) {
    throw CheckFailure(std::string(what) + ": did not finish within 30 s");
  }
  return future.get();
}

// What the jobs of one check did, in order, from any thread.
struct Log {
  std::mutex mutex;
  std::vector<std::string> entries;
  void add(const std::string& entry) {
    std::lock_guard<std::mutex> lock(mutex);
    entries.push_back(entry);
  }
  std::vector<std::string> read() {
    std::lock_guard<std::mutex> lock(mutex);
    return entries;
  }
};

std::string joined(const std::vector<std::string>& entries) {
  std::string out;
  for (const auto& e : entries) out += (out.empty() ? "" : " ") + e;
  return out;
}

}  // namespace

CORE_TEST(postReturnsAtOnce, "compute thread: posting returns before the job runs; done gets the outcome on the compute thread") {
  std::promise<void> release;
  auto released = release.get_future().share();
  std::promise<std::thread::id> workThread, doneThread;
  std::promise<bool> doneSawError;
  auto work = workThread.get_future(), done = doneThread.get_future();
  auto error = doneSawError.get_future();
  // The job blocks until released: if posting waited for it, this would never return.
  postToComputeThread(
      [&, released] {
        released.wait();
        workThread.set_value(std::this_thread::get_id());
      },
      JobKind::kShort,
      [&](std::exception_ptr e) {
        doneThread.set_value(std::this_thread::get_id());
        doneSawError.set_value(e != nullptr);
      });
  release.set_value();
  const auto ranOn = await(work, "work");
  CORE_CHECK(ranOn != std::this_thread::get_id(), "the job ran on another thread than the caller's");
  CORE_CHECK(await(done, "done") == ranOn, "done ran on the compute thread, after the job");
  CORE_CHECK(!await(error, "done's error"), "a job that returns normally hands done no exception");
}

CORE_TEST(exceptionsReachDone, "compute thread: a job's exception reaches its done, and runOnComputeThread rethrows it") {
  std::promise<std::string> message;
  auto received = message.get_future();
  postToComputeThread([] { throw std::invalid_argument("bad input"); }, JobKind::kShort, [&](std::exception_ptr e) {
    try {
      if (e) std::rethrow_exception(e);
      message.set_value("no exception");
    } catch (const std::exception& caught) {
      message.set_value(caught.what());
    }
  });
  CORE_CHECK_EQ(await(received, "done"), std::string("bad input"), "the exception done received");
  CORE_CHECK_THROWS(std::invalid_argument, runOnComputeThread([] { throw std::invalid_argument("refused"); }), "refused");
  // The thread survives both and runs the next job.
  int ran = 0;
  runOnComputeThread([&] { ran = 1; });
  CORE_CHECK_EQ(ran, 1, "a job after two failures");
}

CORE_TEST(shortJobsInOrder, "compute thread: short jobs run one at a time, in call order") {
  Log log;
  std::vector<std::future<void>> finished;
  std::vector<std::promise<void>> promises(20);
  for (int i = 0; i < 20; ++i) {
    finished.push_back(promises[static_cast<size_t>(i)].get_future());
    postToComputeThread([&log, i] { log.add(std::to_string(i)); }, JobKind::kShort,
                        [&promises, i](std::exception_ptr) { promises[static_cast<size_t>(i)].set_value(); });
  }
  for (auto& f : finished) await(f, "a short job");
  std::vector<std::string> expected;
  for (int i = 0; i < 20; ++i) expected.push_back(std::to_string(i));
  CORE_CHECK_EQ(joined(log.read()), joined(expected), "the order the jobs ran in");
}

CORE_TEST(boundaryRunsWaitingShortJobs, "compute thread: a long job's step boundary runs the short jobs already waiting, in call order") {
  Log log;
  std::promise<void> longStarted, shortQueued, longDone;
  auto started = longStarted.get_future(), finished = longDone.get_future();
  auto queued = shortQueued.get_future().share();
  std::promise<void> lateDone;
  auto late = lateDone.get_future();
  postToComputeThread(
      [&, queued] {
        longStarted.set_value();
        queued.wait();  // "step 1" ends once two short jobs wait
        log.add("step1");
        log.add("boundary1ran" + std::to_string(runQueuedShortJobs()));
        log.add("step2");
        log.add("boundary2ran" + std::to_string(runQueuedShortJobs()));
      },
      JobKind::kLong, [&](std::exception_ptr) { longDone.set_value(); });
  await(started, "the long job's start");
  std::promise<void> firstDone;
  auto first = firstDone.get_future();
  // The first short job queues a third while it runs: that one must wait for the next boundary.
  postToComputeThread(
      [&] {
        log.add("shortA");
        postToComputeThread([&] { log.add("late"); }, JobKind::kShort, [&](std::exception_ptr) { lateDone.set_value(); });
      },
      JobKind::kShort, [&](std::exception_ptr) { firstDone.set_value(); });
  postToComputeThread([&] { log.add("shortB"); }, JobKind::kShort, nullptr);
  shortQueued.set_value();
  await(finished, "the long job");
  await(first, "the first short job");
  await(late, "the job queued during a boundary");
  // Posting from the compute thread itself runs inline, so "late" runs inside shortA.
  CORE_CHECK_EQ(joined(log.read()), std::string("step1 shortA late shortB boundary1ran2 step2 boundary2ran0"),
                "what ran where (a job posted on the compute thread runs at once)");
}

CORE_TEST(boundaryDefersCallsArrivingDuringIt, "compute thread: short jobs posted from another thread while a boundary runs wait for the next boundary") {
  Log log;
  std::promise<void> longStarted, inFirst, secondPosted, longDone;
  auto started = longStarted.get_future(), first = inFirst.get_future();
  auto posted = secondPosted.get_future().share();
  auto finished = longDone.get_future();
  postToComputeThread(
      [&] {
        longStarted.set_value();
        // Wait until one short job waits, then run the boundary.
        while (log.read().empty()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
        log.add("ran" + std::to_string(runQueuedShortJobs()));
        log.add("ran" + std::to_string(runQueuedShortJobs()));
      },
      JobKind::kLong, [&](std::exception_ptr) { longDone.set_value(); });
  await(started, "the long job's start");
  postToComputeThread(
      [&, posted] {
        inFirst.set_value();
        posted.wait();  // another thread posts while this boundary is running
        log.add("first");
      },
      JobKind::kShort, nullptr);
  log.add("queued");
  await(first, "the first short job");
  postToComputeThread([&] { log.add("second"); }, JobKind::kShort, nullptr);
  secondPosted.set_value();
  await(finished, "the long job");
  CORE_CHECK_EQ(joined(log.read()), std::string("queued first ran1 second ran1"),
                "the second call ran at the next boundary, not the one running when it came");
}

CORE_TEST(longJobsTakeTurns, "compute thread: a second long job waits for the first and is told so before it can start; one posted to an idle thread is not") {
  // A short round trip first: any long job of an earlier check has fully ended once it returns.
  runOnComputeThread([] {});
  Log log;
  std::promise<void> firstStarted, releaseFirst, secondDone;
  auto started = firstStarted.get_future(), second = secondDone.get_future();
  auto release = releaseFirst.get_future().share();
  postToComputeThread(
      [&, release] {
        firstStarted.set_value();
        release.wait();
        log.add("long1");
      },
      JobKind::kLong, nullptr, [&] { log.add("queued1"); });
  await(started, "the first long job's start");
  postToComputeThread([&] { log.add("long2"); }, JobKind::kLong, [&](std::exception_ptr) { secondDone.set_value(); },
                      [&] { log.add("queued2"); });
  releaseFirst.set_value();
  await(second, "the second long job");
  CORE_CHECK_EQ(joined(log.read()), std::string("queued2 long1 long2"), "the turns of two long jobs");
}

}  // namespace senet::coretest
