#include "generation/beam_search.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>

#include "generation/decoder_stepper.hpp"
#include "generation/logits_processors.hpp"

namespace transformers::generation {

namespace {

struct Hypothesis {
  double score = 0;
  std::vector<int64_t> tokens;  // generated tokens only
};

// The best num_beams finished hypotheses of one input row (BeamHypotheses).
struct Finished {
  std::vector<Hypothesis> kept;
  double worst = 1e9;
  size_t beams = 0;
  void add(Hypothesis h) {
    if (kept.size() < beams || h.score > worst) {
      kept.push_back(std::move(h));
      if (kept.size() > beams) {
        const auto lowest = std::min_element(kept.begin(), kept.end(),
                                             [](const Hypothesis& a, const Hypothesis& b) { return a.score < b.score; });
        kept.erase(lowest);
        worst = std::min_element(kept.begin(), kept.end(), [](const Hypothesis& a, const Hypothesis& b) {
                  return a.score < b.score;
                })->score;
      } else {
        worst = std::min(worst, kept.back().score);
      }
    }
  }
};

// log_softmax in float32, as torch computes it on float32 logits.
void log_softmax(std::span<float> x) {
  const float max = *std::max_element(x.begin(), x.end());
  double sum = 0;
  for (float v : x) sum += std::exp(static_cast<double>(v) - max);
  const float log_sum = static_cast<float>(std::log(sum));
  for (float& v : x) v = v - max - log_sum;
}
}  // namespace

GenerationOutput beam_search(const GenerationModel& model, const TokenBatch& input, const GenerationConfig& config,
                             std::vector<std::vector<int64_t>> start_rows, size_t max_length, uint64_t owner) {
  const auto start = Clock::now();
  const size_t batch = input.batch, beams = static_cast<size_t>(config.num_beams), rows = batch * beams;
  const size_t vocab = model.vocab, prompt = start_rows[0].size();
  const std::vector<int64_t> eos = config.eos_token_id.value_or(std::vector<int64_t>{});
  const double lp = config.length_penalty;
  // HF 4.46: early_stopping true, false, or "never" (GenerationConfig keeps the last as early_stopping_never).
  const size_t keep = std::max<size_t>(2, 1 + eos.size()) * beams;

  std::vector<std::vector<int64_t>> ids(rows);
  for (size_t r = 0; r < rows; ++r) ids[r] = start_rows[r / beams];
  std::vector<float> score(rows, -1e9f);
  for (size_t i = 0; i < batch; ++i) score[i * beams] = 0.0f;
  std::vector<Finished> finished(batch);
  for (auto& f : finished) f.beams = beams;
  std::vector<bool> done(batch, false);
  const LogitsProcessors processors(config, prompt, vocab);
  DecoderStepper stepper(model, input, beams, max_length, owner);
  GenerationOutput out;
  out.prompt_length = prompt;

  std::vector<float> cand(beams * vocab);
  std::vector<size_t> order(beams * vocab), sources(rows);
  std::vector<int64_t> tokens(rows);
  std::vector<float> next_score(rows);
  for (size_t step = 0;; ++step) {
    const auto step_start = Clock::now();
    float* logits = stepper.step(ids);
    const size_t cur_len = ids[0].size() + 1;  // with this step's token
    for (size_t i = 0; i < batch; ++i) {
      if (done[i]) {  // frozen: its beams continue unchanged (HF feeds pads; they are never read)
        for (size_t b = 0; b < beams; ++b) {
          sources[i * beams + b] = i * beams + b;
          tokens[i * beams + b] = config.pad_token_id.value_or(eos.empty() ? 0 : eos[0]);
          next_score[i * beams + b] = 0.0f;
        }
        continue;
      }
      for (size_t b = 0; b < beams; ++b) {
        const size_t row = i * beams + b;
        const std::span<float> lps(logits + row * vocab, vocab);
        log_softmax(lps);
        processors.apply(ids[row], lps);
        for (size_t t = 0; t < vocab; ++t) cand[b * vocab + t] = lps[t] + score[row];
      }
      std::iota(order.begin(), order.end(), size_t{0});
      const size_t k = std::min(keep, order.size());
      std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(k), order.end(),
                        [&](size_t a, size_t c) { return cand[a] > cand[c] || (cand[a] == cand[c] && a < c); });
      const double best = cand[order[0]];
      size_t chosen = 0;
      for (size_t rank = 0; rank < k && chosen < beams; ++rank) {
        const size_t b = order[rank] / vocab;
        const auto t = static_cast<int64_t>(order[rank] % vocab);
        const size_t row = i * beams + b;
        if (is_eos(config, t)) {
          if (rank >= beams) continue;
          Hypothesis h;
          h.tokens.assign(ids[row].begin() + static_cast<std::ptrdiff_t>(prompt), ids[row].end());
          h.tokens.push_back(t);
          h.score = cand[order[rank]] / std::pow(static_cast<double>(cur_len - prompt), lp);
          finished[i].add(std::move(h));
          continue;
        }
        sources[i * beams + chosen] = row;
        tokens[i * beams + chosen] = t;
        next_score[i * beams + chosen] = cand[order[rank]];
        ++chosen;
      }
      for (; chosen < beams; ++chosen) {  // fewer candidates than beams (a tiny vocabulary): repeat the last
        sources[i * beams + chosen] = sources[i * beams + chosen - 1];
        tokens[i * beams + chosen] = tokens[i * beams + chosen - 1];
        next_score[i * beams + chosen] = -1e9f;
      }
      // Is this row done (BeamHypotheses.is_done)?
      if (finished[i].kept.size() >= beams) {
        const double generated = static_cast<double>(cur_len - prompt);
        if (config.early_stopping) {
          done[i] = true;
        } else if (config.early_stopping_never && lp > 0) {
          done[i] = finished[i].worst >= best / std::pow(static_cast<double>(max_length - prompt), lp);
        } else {
          done[i] = finished[i].worst >= best / std::pow(generated, lp);
        }
      }
    }
    std::vector<std::vector<int64_t>> next(rows);
    for (size_t r = 0; r < rows; ++r) {
      next[r] = ids[sources[r]];
      next[r].push_back(tokens[r]);
    }
    ids = std::move(next);
    score = next_score;
    stepper.reorder(sources);
    if (step == 0) out.stats.prefill_ms = ms_since(step_start);
    else out.stats.step_ms.push_back(ms_since(step_start));
    out.stats.steps = step + 1;
    if (std::all_of(done.begin(), done.end(), [](bool d) { return d; })) break;
    if (ids[0].size() >= max_length) {  // finalize the rows still running: their beams as they are
      for (size_t i = 0; i < batch; ++i) {
        if (done[i]) continue;
        for (size_t b = 0; b < beams; ++b) {
          const size_t row = i * beams + b;
          Hypothesis h;
          h.tokens.assign(ids[row].begin() + static_cast<std::ptrdiff_t>(prompt), ids[row].end());
          h.score = score[row] / std::pow(static_cast<double>(max_length - prompt), lp);
          finished[i].add(std::move(h));
        }
      }
      break;
    }
    if (config.max_time && ms_since(start) >= *config.max_time * 1000.0) {
      out.stats.timed_out = true;
      break;
    }
  }
  const size_t returned = static_cast<size_t>(config.num_return_sequences);
  for (size_t i = 0; i < batch; ++i) {
    std::vector<Hypothesis>& kept = finished[i].kept;
    // Best first; among equal scores the later one first, as HF pops from a stable ascending sort.
    std::stable_sort(kept.begin(), kept.end(), [](const Hypothesis& a, const Hypothesis& b) { return a.score < b.score; });
    for (size_t j = 0; j < returned && j < kept.size(); ++j) {
      const Hypothesis& h = kept[kept.size() - 1 - j];
      std::vector<int64_t> seq = start_rows[i];
      seq.insert(seq.end(), h.tokens.begin(), h.tokens.end());
      out.sequences.push_back(std::move(seq));
      out.scores.push_back(h.score);
    }
  }
  out.stats.cache_bytes = stepper.cache_bytes();
  out.stats.cache_bytes_per_token = stepper.cache_bytes_per_token();
  out.stats.total_ms = ms_since(start);
  return out;
}

}  // namespace transformers::generation
