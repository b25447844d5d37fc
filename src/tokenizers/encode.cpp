// Encoding: text -> added-token sections -> normalizer -> pre-tokenizer -> model -> post-processor,
// in the order Transformers.js' Tokenizer.encode_text and tokenize_helper run them.
#include <algorithm>

#include "tokenizer_impl.hpp"
#include "transformers/error.hpp"

namespace transformers {

using namespace tokenizers;

namespace {
// Index of the section (between added tokens) being encoded on this thread.
thread_local size_t t_section_index = 0;

inline Span span_of(const NormalizedString& s, Range r) { return {s.align[r.begin].begin, s.align[r.end - 1].end}; }

inline void trim_end(const std::u32string& t, Range& r) {
  while (r.end > r.begin && unicode::is_js_whitespace(t[r.end - 1])) --r.end;
}
inline void trim_start(const std::u32string& t, Range& r) {
  while (r.begin < r.end && unicode::is_js_whitespace(t[r.begin])) ++r.begin;
}

// Applies lstrip/rstrip of matched added tokens to their neighbours (String.trimEnd/trimStart).
void strip_around_tokens(const std::u32string& t, std::vector<Segment>& segs, size_t from) {
  for (size_t i = from; i < segs.size(); ++i) {
    const AddedToken* tok = segs[i].token;
    if (!tok) continue;
    // A neighbour that is itself a token and loses characters is no longer that token.
    if (tok->lstrip && i > from) {
      Segment& prev = segs[i - 1];
      const Range before = prev.range;
      trim_end(t, prev.range);
      if (prev.token && prev.range.end != before.end) prev.token = nullptr;
    }
    if (tok->rstrip && i + 1 < segs.size()) {
      Segment& next = segs[i + 1];
      const Range before = next.range;
      trim_start(t, next.range);
      if (next.token && next.range.begin != before.begin) next.token = nullptr;
    }
  }
}

// processed_text.trim().split(/\s+/).join(" ")
void remove_space(NormalizedString& s) {
  size_t w = 0;
  bool pending_space = false;
  for (size_t r = 0; r < s.size(); ++r) {
    if (unicode::is_js_whitespace(s.text[r])) {
      pending_space = w > 0;
      continue;
    }
    if (pending_space) {
      s.text[w] = ' ';
      s.align[w] = s.align[r - 1];
      ++w;
      pending_space = false;
    }
    s.text[w] = s.text[r];
    s.align[w] = s.align[r];
    ++w;
  }
  s.text.resize(w);
  s.align.resize(w);
}

// Per-thread scratch buffers are reused across calls; one huge text must not pin its memory.
constexpr size_t kScratchKeep = size_t(1) << 16;
template <class V>
void reset_scratch(V& v) {
  if (v.capacity() > kScratchKeep) V().swap(v);
  v.clear();
}
void reset_scratch(NormalizedString& s) {
  reset_scratch(s.text);
  reset_scratch(s.align);
}

}  // namespace


int64_t Tokenizer::Impl::resolve(std::string_view token) const {
  if (auto it = added_map.find(token); it != added_map.end()) return it->second->id;
  if (const int64_t* id = model->vocab().find(token)) return *id;
  return model->unk_token_id();
}
std::string_view Tokenizer::Impl::intern(std::string_view token) {
  if (auto k = model->vocab().key(token); !k.empty()) return k;
  return interned.emplace_back(token);
}

// The added token whose key is exactly t[r], if any.
const std::pair<const std::string, const AddedToken*>* Tokenizer::Impl::whole_match(const std::u32string& t, Range r) const {
  if (added_map.empty() || r.size() > added_max_chars) return nullptr;
  thread_local std::string utf8;
  utf8.clear();
  for (size_t i = r.begin; i < r.end; ++i) unicode::append_utf8(utf8, t[i]);
  auto it = added_map.find(std::string_view(utf8));
  return it == added_map.end() ? nullptr : &*it;
}

void Tokenizer::Impl::model_words(const NormalizedString& s, Range r, std::vector<Piece>& out) const {
  thread_local std::vector<Range> words;
  reset_scratch(words);
  const NormalizedString* text = &s;
  if (pre_tokenizer && pre_tokenizer->rewrites()) {
    thread_local NormalizedString rewritten;
    reset_scratch(rewritten);
    rewritten.text.assign(s.text, r.begin, r.size());
    rewritten.align.assign(s.align.begin() + static_cast<std::ptrdiff_t>(r.begin),
                           s.align.begin() + static_cast<std::ptrdiff_t>(r.end));
    pre_tokenizer->rewrite(rewritten, t_section_index == 0);
    text = &rewritten;
    r = {0, rewritten.size()};
  }
  if (pre_tokenizer)
    pre_tokenizer->pre_tokenize(*text, r, words);
  else
    words.push_back(r);
  const size_t first = out.size();
  for (Range w : words) model->tokenize(*text, w, out);
  model->finish_section(out, first);
  if (!id_overrides.empty()) {
    for (size_t i = first; i < out.size(); ++i)
      if (auto it = id_overrides.find(out[i].token); it != id_overrides.end()) out[i].id = it->second;
  }
}

// One plain-text section (no unnormalized added token inside).
void Tokenizer::Impl::encode_section(const NormalizedString& input, Range r, std::vector<Piece>& out) const {
  if (r.empty()) return;
  if (auto* m = whole_match(input.text, r)) {
    out.push_back({m->second->id, m->first, span_of(input, r)});
    return;
  }
  thread_local NormalizedString s;
  reset_scratch(s);
  s.text.assign(input.text, r.begin, r.size());
  s.align.assign(input.align.begin() + static_cast<std::ptrdiff_t>(r.begin),
                 input.align.begin() + static_cast<std::ptrdiff_t>(r.end));
  if (remove_space_option) remove_space(s);
  if (lowercase_and_remove_accent) {
    unicode::to_lower_js(s);
    unicode::remove_if(s, unicode::is_mark);
  }
  if (normalizer) normalizer->normalize(s);
  if (s.size() == 0) return;
  const Range all{0, s.size()};
  if (auto* m = whole_match(s.text, all)) {
    out.push_back({m->second->id, m->first, span_of(s, all)});
    return;
  }
  if (split_normalized.empty()) {
    model_words(s, all, out);
    return;
  }
  thread_local std::vector<Segment> subs;
  reset_scratch(subs);
  split_normalized.split(s.text, all, subs);
  strip_around_tokens(s.text, subs, 0);
  for (const Segment& seg : subs) {
    if (seg.range.empty()) continue;
    if (seg.token) {
      out.push_back({seg.token->id, seg.key, span_of(s, seg.range)});
      continue;
    }
    if (auto* m = whole_match(s.text, seg.range)) {
      out.push_back({m->second->id, m->first, span_of(s, seg.range)});
      continue;
    }
    model_words(s, seg.range, out);
  }
}

void Tokenizer::Impl::encode_text(std::string_view text, std::vector<Piece>& out) const {
  thread_local NormalizedString input;
  reset_scratch(input);
  unicode::decode_utf8(text, input);
  Range all{0, input.size()};
  if (all.empty()) return;
  t_section_index = 0;
  if (split_unnormalized.empty()) {
    encode_section(input, all, out);
    return;
  }
  thread_local std::vector<Segment> segs;
  reset_scratch(segs);
  split_unnormalized.split(input.text, all, segs);
  strip_around_tokens(input.text, segs, 0);
  // encode_section uses its own scratch buffers, so `segs` stays valid across the loop.
  for (size_t k = 0; k < segs.size(); ++k) {
    const Segment& seg = segs[k];
    if (seg.range.empty()) continue;
    if (seg.token) {
      out.push_back({seg.token->id, seg.key, span_of(input, seg.range)});
    } else {
      t_section_index = k;  // Transformers.js' section_index (Metaspace prepend_scheme "first")
      encode_section(input, seg.range, out);
    }
  }
}

Encoding Tokenizer::Impl::assemble(const std::vector<Piece>& a, const std::vector<Piece>* b,
                                   bool add_special_tokens) const {
  thread_local std::vector<Piece> merged;
  thread_local std::vector<int64_t> types;
  reset_scratch(merged);
  reset_scratch(types);
  if (post_processor) {
    post_processor->process(a, b, add_special_tokens, merged, types);
  } else {
    merged = a;
    if (b) merged.insert(merged.end(), b->begin(), b->end());
    types.assign(merged.size(), 0);
  }
  Encoding e;
  const size_t n = merged.size();
  e.ids.resize(n);
  e.tokens.resize(n);
  e.offsets.resize(n);
  e.attention_mask.assign(n, 1);
  e.token_type_ids.assign(types.begin(), types.end());
  e.token_type_ids.resize(n, 0);
  for (size_t i = 0; i < n; ++i) {
    const Piece& p = merged[i];
    e.ids[i] = p.id;
    e.tokens[i].assign(p.token);
    e.offsets[i] = {p.offsets.begin, p.offsets.end};
  }
  return e;
}

Encoding Tokenizer::Impl::encode_one(std::string_view a, const std::string_view* b, const EncodeOptions& o) const {
  thread_local std::vector<Piece> pa, pb;
  reset_scratch(pa);
  reset_scratch(pb);
  model->begin_encode();
  encode_text(a, pa);
  // Transformers.js treats an empty text_pair as no pair at all (`text_pair || null`).
  const bool has_pair = b && !b->empty();
  if (has_pair) encode_text(*b, pb);
  if (o.truncation && o.truncation_strategy != TruncationStrategy::end)
    return truncate_and_assemble(pa, has_pair ? &pb : nullptr, o);
  return assemble(pa, has_pair ? &pb : nullptr, o.add_special_tokens);
}

}  // namespace transformers
