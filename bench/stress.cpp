// The stress run (scripts/stress.sh MINUTES, issue 17): threads that call, dispose and re-create pipelines
// through one PipelineManager under a tight budget, beside thread and process workers that are used,
// recycled and killed mid-call. Every answer is compared with the single-threaded reference of the same
// input (exact JSON); the process's RSS is sampled against a bound. Prints what held; exits 1 if anything
// did not (a wrong answer, an unexpected exception, RSS past the bound).
//   stress SECONDS [--threads N] [--budget-mb M] [--rss-bound-mb B]
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "transformers/transformers.hpp"

namespace tf = transformers;
using Clock = std::chrono::steady_clock;

namespace {

struct Job {
  std::string task;
  std::string model;  // fixture folder name
  std::string text;
  tf::CallOptions options;
};

std::filesystem::path fixture(const std::string& name) { return std::filesystem::path(TRANSFORMERS_FIXTURES_DIR) / "models" / name; }

std::vector<Job> jobs() {
  const char* texts[] = {"A thoroughly enjoyable film.", "Terrible. I want my money back.", "John lives in New York.",
                         "Mary works for the United Nations in Paris.", "short", "the same words again and again and again"};
  std::vector<Job> out;
  for (const char* t : texts) {
    out.push_back({"text-classification", "tiny-bert-sentiment", t, tf::TextClassificationOptions{.top_k = std::nullopt}});
    out.push_back({"feature-extraction", "tiny-bert-embedder", t, tf::FeatureExtractionOptions{tf::Pooling::mean, true}});
    out.push_back({"token-classification", "tiny-bert-ner", t,
                   tf::TokenClassificationOptions{.aggregation_strategy = tf::AggregationStrategy::simple}});
    out.push_back({"text-classification", "tiny-bert-multilabel", t, {}});
  }
  return out;
}

struct Counters {
  std::atomic<uint64_t> calls{0}, wrong{0}, budget_refusals{0}, unexpected{0}, disposals{0}, worker_calls{0},
      worker_kills{0}, worker_restarts{0};
};

std::mutex g_log_mu;
void report_unexpected(Counters& c, const std::string& where, const std::string& what) {
  ++c.unexpected;
  std::lock_guard lock(g_log_mu);
  std::fprintf(stderr, "unexpected in %s: %s\n", where.c_str(), what.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: stress SECONDS [--threads N] [--budget-mb M] [--rss-bound-mb B]\n");
    return 2;
  }
  const double seconds = std::atof(argv[1]);
  int threads = 6;
  uint64_t budget_mb = 4, rss_bound_mb = 200;  // 4 MiB: about two of the four models at once, so loads evict and calls are refused
  for (int i = 2; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--threads")) threads = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--budget-mb")) budget_mb = std::strtoull(argv[i + 1], nullptr, 10);
    else if (!std::strcmp(argv[i], "--rss-bound-mb")) rss_bound_mb = std::strtoull(argv[i + 1], nullptr, 10);
    else {
      std::fprintf(stderr, "unknown option %s\n", argv[i]);
      return 2;
    }
  }
  const std::vector<Job> all = jobs();
  // The reference: each job alone, one pipeline at a time, before anything runs concurrently.
  std::vector<std::string> want(all.size());
  for (size_t i = 0; i < all.size(); ++i) {
    tf::Pipeline p = tf::pipeline(all[i].task, fixture(all[i].model));
    want[i] = p(all[i].text, all[i].options).to_json();
  }
  const uint64_t rss_start = tf::process_memory().rss;
  tf::PipelineManager manager({.budget_bytes = budget_mb << 20});
  Counters c;
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> rss_max{0};
  const auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));

  // Callers through the manager; now and then one evicts what is idle (dispose under load).
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      std::mt19937 rng(1000 + t);
      while (!stop) {
        const size_t i = rng() % all.size();
        try {
          auto p = manager.get_or_load(all[i].task, fixture(all[i].model));
          const std::string got = (*p)(all[i].text, all[i].options).to_json();
          ++c.calls;
          if (got != want[i]) {
            ++c.wrong;
            std::lock_guard lock(g_log_mu);
            std::fprintf(stderr, "wrong answer for %s %s '%s'\n", all[i].task.c_str(), all[i].model.c_str(), all[i].text.c_str());
          }
        } catch (const tf::BudgetExceededError&) {
          ++c.budget_refusals;  // the budget said no: that call fails, the next one may fit
        } catch (const std::exception& e) {
          report_unexpected(c, "manager call", e.what());
        }
        if (rng() % 50 == 0) c.disposals += manager.evict_idle(true);
      }
    });
  }
  // Workers: a thread worker and a process worker, recycled; the process worker killed mid-call now and then.
  pool.emplace_back([&] {
    std::mt19937 rng(7);
    tf::WorkerOptions opts;
    opts.kind = tf::WorkerKind::process;
    opts.executable = TRANSFORMERS_CLI_PATH;
    while (!stop) {
      const bool process = rng() % 2 == 0;
      opts.kind = process ? tf::WorkerKind::process : tf::WorkerKind::thread;
      try {
        auto worker = tf::make_worker(opts);
        ++c.worker_restarts;
        for (int k = 0; k < 8 && !stop; ++k) {
          const size_t i = rng() % all.size();
          tf::WorkerCall call{all[i].task, fixture(all[i].model), {}, {all[i].text}, {}, false, all[i].options};
          auto f = worker->submit(call);
          if (process && rng() % 6 == 0) {
            worker->kill();  // mid-call: the call fails with WorkerCrashedError, nothing else
            ++c.worker_kills;
            try {
              f.get();
            } catch (const tf::WorkerCrashedError&) {
            } catch (const tf::WorkerTerminatedError&) {
            }
            break;
          }
          const std::string got = f.get().to_json();
          ++c.worker_calls;
          if (got != want[i]) {
            ++c.wrong;
            std::lock_guard lock(g_log_mu);
            std::fprintf(stderr, "wrong worker answer for %s '%s'\n", all[i].task.c_str(), all[i].text.c_str());
          }
        }
        worker->terminate();
      } catch (const tf::BudgetExceededError&) {
        ++c.budget_refusals;  // a thread worker shares this process's budgeted allocator
      } catch (const std::exception& e) {
        report_unexpected(c, "worker", e.what());
      }
    }
  });
  // Once a minute: RSS now and the highest so far, and the answers so far (whether a rise levels off).
  const auto started = Clock::now();
  auto next_line = started + std::chrono::minutes(1);
  while (Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    const uint64_t rss = tf::process_memory().rss;
    uint64_t seen = rss_max.load();
    while (rss > seen && !rss_max.compare_exchange_weak(seen, rss)) {
    }
    if (Clock::now() >= next_line) {
      next_line += std::chrono::minutes(1);
      std::printf("  %3lld min: RSS %.1f MiB (max %.1f), manager calls %llu, worker calls %llu, wrong %llu\n",
                  static_cast<long long>(std::chrono::duration_cast<std::chrono::minutes>(Clock::now() - started).count()),
                  rss / 1048576.0, rss_max.load() / 1048576.0, static_cast<unsigned long long>(c.calls.load()),
                  static_cast<unsigned long long>(c.worker_calls.load()), static_cast<unsigned long long>(c.wrong.load()));
      std::fflush(stdout);
    }
  }
  stop = true;
  for (auto& th : pool) th.join();
  const uint64_t bound = rss_bound_mb << 20;
  const bool rss_ok = rss_max.load() <= bound;
  std::printf("stress: %.0f s, %d caller threads + 1 worker recycler, budget %llu MiB\n", seconds, threads,
              static_cast<unsigned long long>(budget_mb));
  std::printf("  manager calls %llu, worker calls %llu, wrong answers %llu, budget refusals %llu, unexpected errors %llu\n",
              static_cast<unsigned long long>(c.calls.load()), static_cast<unsigned long long>(c.worker_calls.load()),
              static_cast<unsigned long long>(c.wrong.load()), static_cast<unsigned long long>(c.budget_refusals.load()),
              static_cast<unsigned long long>(c.unexpected.load()));
  std::printf("  evicted (dispose under load) %llu, manager evictions %llu, workers started %llu, killed mid-call %llu\n",
              static_cast<unsigned long long>(c.disposals.load()), static_cast<unsigned long long>(manager.evictions()),
              static_cast<unsigned long long>(c.worker_restarts.load()), static_cast<unsigned long long>(c.worker_kills.load()));
  std::printf("  RSS at start %.1f MiB, max %.1f MiB, bound %.0f MiB: %s\n", rss_start / 1048576.0, rss_max.load() / 1048576.0,
              bound / 1048576.0, rss_ok ? "held" : "EXCEEDED");
  const bool ok = c.wrong == 0 && c.unexpected == 0 && rss_ok && c.calls > 0;
  std::printf("stress: %s\n", ok ? "everything held" : "FAILED");
  return ok ? 0 : 1;
}
