#include "server/metrics.hpp"

#include <cstdio>

#include "server/admission.hpp"
#include "server/served_models.hpp"
#include "transformers/memory.hpp"

namespace transformers::server {

namespace {

std::string label_value(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

void header(std::string& out, const char* name, const char* type, const char* help) {
  out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
}

}  // namespace

void Metrics::record_request(const std::string& route, const std::string& model, int status, double seconds) {
  std::lock_guard lock(mutex_);
  ++requests_[{route, model, status}];
  Histogram& h = latency_[route];
  for (size_t i = 0; i < kBuckets.size(); ++i)
    if (seconds <= kBuckets[i]) ++h.counts[i];
  ++h.count;
  h.sum += seconds;
}

void Metrics::add_tokens(const std::string& model, uint64_t in, uint64_t out) {
  std::lock_guard lock(mutex_);
  auto& t = tokens_[model];
  t.first += in;
  t.second += out;
}

std::string Metrics::render(const ServedModels& models, const Admission& admission) const {
  std::string out;
  {
    std::lock_guard lock(mutex_);
    header(out, "tcpp_requests_total", "counter", "Requests answered, by route pattern, model and HTTP status.");
    for (const auto& [key, n] : requests_) {
      const auto& [route, model, status] = key;
      out += "tcpp_requests_total{route=\"" + label_value(route) + "\",model=\"" + label_value(model) + "\",code=\"" +
             std::to_string(status) + "\"} " + std::to_string(n) + "\n";
    }
    header(out, "tcpp_request_duration_seconds", "histogram", "Time from a request's last byte to its response, by route.");
    for (const auto& [route, h] : latency_) {
      const std::string r = "route=\"" + label_value(route) + "\"";
      for (size_t i = 0; i < kBuckets.size(); ++i) {
        out += "tcpp_request_duration_seconds_bucket{" + r + ",le=\"" + number(kBuckets[i]) + "\"} " + std::to_string(h.counts[i]) + "\n";
      }
      out += "tcpp_request_duration_seconds_bucket{" + r + ",le=\"+Inf\"} " + std::to_string(h.count) + "\n";
      out += "tcpp_request_duration_seconds_sum{" + r + "} " + number(h.sum) + "\n";
      out += "tcpp_request_duration_seconds_count{" + r + "} " + std::to_string(h.count) + "\n";
    }
    header(out, "tcpp_tokens_total", "counter", "Tokens read (direction=\"in\") and generated (\"out\"), by model.");
    for (const auto& [model, t] : tokens_) {
      out += "tcpp_tokens_total{model=\"" + label_value(model) + "\",direction=\"in\"} " + std::to_string(t.first) + "\n";
      out += "tcpp_tokens_total{model=\"" + label_value(model) + "\",direction=\"out\"} " + std::to_string(t.second) + "\n";
    }
  }
  header(out, "tcpp_queue_depth", "gauge", "Inference requests waiting for a slot (--max-queue bounds it).");
  out += "tcpp_queue_depth " + std::to_string(admission.waiting()) + "\n";
  header(out, "tcpp_requests_running", "gauge", "Inference requests running (--max-concurrent bounds it).");
  out += "tcpp_requests_running " + std::to_string(admission.running()) + "\n";
  header(out, "tcpp_requests_rejected_total", "counter", "Requests refused with 429 because the queue was full.");
  out += "tcpp_requests_rejected_total " + std::to_string(admission.rejected()) + "\n";

  const auto infos = models.infos();
  struct Gauge {
    const char* name;
    const char* help;
    uint64_t ServedModelInfo::*field;
  };
  const Gauge gauges[] = {
      {"tcpp_model_weight_bytes", "Size of the ONNX files the model's task loads.", &ServedModelInfo::weight_bytes},
      {"tcpp_model_mapped_weight_bytes", "Weights served from a shared file mapping (in process).", &ServedModelInfo::mapped_weight_bytes},
      {"tcpp_model_in_use_bytes", "Working memory the model holds now (our allocator).", &ServedModelInfo::in_use_bytes},
      {"tcpp_model_peak_in_use_bytes", "The most working memory the loaded model held at once.", &ServedModelInfo::peak_in_use_bytes},
      {"tcpp_model_in_flight", "Requests of the model running now.", &ServedModelInfo::in_flight},
      {"tcpp_model_loads_total", "Loads of the model.", &ServedModelInfo::loads},
      {"tcpp_model_evictions_total", "Times the model was evicted to fit the budget.", &ServedModelInfo::evictions},
      {"tcpp_model_worker_restarts_total", "Restarts of the model's worker after a crash.", &ServedModelInfo::worker_restarts},
  };
  header(out, "tcpp_model_loaded", "gauge", "1 while the model is loaded.");
  for (const auto& i : infos) out += "tcpp_model_loaded{model=\"" + label_value(i.spec.name) + "\"} " + (i.loaded ? "1" : "0") + "\n";
  for (const Gauge& g : gauges) {
    header(out, g.name, std::string(g.name).ends_with("_total") ? "counter" : "gauge", g.help);
    for (const auto& i : infos) out += std::string(g.name) + "{model=\"" + label_value(i.spec.name) + "\"} " + std::to_string(i.*g.field) + "\n";
  }
  header(out, "tcpp_model_worker_pid", "gauge", "The model's process worker (--workers process; 0 otherwise).");
  for (const auto& i : infos) out += "tcpp_model_worker_pid{model=\"" + label_value(i.spec.name) + "\"} " + std::to_string(i.worker_pid) + "\n";
  header(out, "tcpp_batches_total", "counter", "Merged inferences the model's dynamic batcher ran.");
  std::string batched;
  for (const auto& i : infos) {
    if (auto st = models.batcher_stats(i.spec.name)) {
      out += "tcpp_batches_total{model=\"" + label_value(i.spec.name) + "\"} " + std::to_string(st->batches) + "\n";
      batched += "tcpp_batched_calls_total{model=\"" + label_value(i.spec.name) + "\"} " + std::to_string(st->batched_calls) + "\n";
    }
  }
  header(out, "tcpp_batched_calls_total", "counter", "Texts in those inferences (mean batch size = this / tcpp_batches_total).");
  out += batched;
  header(out, "tcpp_budget_bytes", "gauge", "The memory budget over every loaded model (0 = none).");
  out += "tcpp_budget_bytes " + std::to_string(models.budget_bytes()) + "\n";
  header(out, "tcpp_budget_accounted_bytes", "gauge", "What the budget holds now.");
  out += "tcpp_budget_accounted_bytes " + std::to_string(models.accounted_bytes()) + "\n";
  const ProcessMemory pm = process_memory();
  header(out, "tcpp_process_resident_bytes", "gauge", "The server process' RSS, by kind (anon, file, shmem) and total.");
  out += "tcpp_process_resident_bytes{kind=\"total\"} " + std::to_string(pm.rss) + "\n";
  out += "tcpp_process_resident_bytes{kind=\"anon\"} " + std::to_string(pm.rss_anon) + "\n";
  out += "tcpp_process_resident_bytes{kind=\"file\"} " + std::to_string(pm.rss_file) + "\n";
  out += "tcpp_process_resident_bytes{kind=\"shmem\"} " + std::to_string(pm.rss_shmem) + "\n";
  const AllocatorStats as = allocator_stats();
  header(out, "tcpp_allocator_bytes", "gauge", "Our allocator: bytes in use and reserved from the OS.");
  out += "tcpp_allocator_bytes{kind=\"in_use\"} " + std::to_string(as.in_use) + "\n";
  out += "tcpp_allocator_bytes{kind=\"reserved\"} " + std::to_string(as.reserved) + "\n";
  return out;
}

}  // namespace transformers::server
