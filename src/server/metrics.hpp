// What GET /metrics exposes, in Prometheus' text format: requests and errors by route, model and status,
// latency histograms by route, tokens in and out by model; the gauges (queue, memory per model and of the
// process, batches) are read when scraped.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <tuple>

namespace transformers::server {

class Admission;
class ServedModels;

class Metrics {
 public:
  // `route` is the route's pattern ("/v2/models/{name}/infer"), never the raw path: bounded label values.
  void record_request(const std::string& route, const std::string& model, int status, double seconds);
  void add_tokens(const std::string& model, uint64_t in, uint64_t out);
  // The exposition: the counters above, then what `models` and `admission` report now.
  std::string render(const ServedModels& models, const Admission& admission) const;

  static constexpr std::array<double, 12> kBuckets{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10};

 private:
  struct Histogram {
    std::array<uint64_t, kBuckets.size()> counts{};
    uint64_t count = 0;
    double sum = 0;
  };
  mutable std::mutex mutex_;
  std::map<std::tuple<std::string, std::string, int>, uint64_t> requests_;
  std::map<std::string, Histogram> latency_;
  std::map<std::string, std::pair<uint64_t, uint64_t>> tokens_;
};

}  // namespace transformers::server
