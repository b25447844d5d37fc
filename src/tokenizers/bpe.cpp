// BPE model with Transformers.js 4.3.1 semantics: merges by lowest rank, leftmost first;
// ignore_merges (a word already in the vocabulary is one token); end_of_word_suffix appended to the
// last character before merging; byte_fallback to <0xXX> tokens; the unknown token (or nothing,
// when the model has none) for pieces outside the vocabulary; fuse_unk over a section. As in
// Transformers.js, continuing_subword_prefix is read but not applied. Words under 256 characters
// are cached.
#include <array>
#include <cstdio>
#include <mutex>
#include <queue>
#include <string>
#include <unordered_map>

#include "bpe_family.hpp"

namespace transformers::tokenizers {
namespace {

class Bpe final : public Model {
 public:
  explicit Bpe(const Fields& f) : source_(f.source()), component_(f.component()) {
    const json& v = f.object("vocab");
    vocab_.reserve(v.size());
    for (auto it = v.begin(); it != v.end(); ++it) {
      if (!it->is_number_integer())
        f.fail("vocab", "must map tokens to integer ids, but \"" + it.key() + "\" maps to " + json_type_name(*it));
      if (!vocab_.set(it.key(), it->get<int64_t>()))
        f.fail("vocab", "has an unusable id " + std::to_string(it->get<int64_t>()) + " for \"" + it.key() + "\"");
    }
    if (auto u = f.optional_string("unk_token")) unk_token_ = *u;
    f.optional_string("continuing_subword_prefix");
    if (auto s = f.optional_string("continuing_subword_suffix")) continuing_suffix_ = *s;
    if (auto s = f.optional_string("end_of_word_suffix")) end_of_word_suffix_ = *s;
    fuse_unk_ = f.boolean("fuse_unk", false);
    byte_fallback_ = f.boolean("byte_fallback", false);
    ignore_merges_ = f.boolean("ignore_merges", false);
    if (const json* d = f.find("dropout"); d && !d->is_number()) f.fail("dropout", std::string("must be a number or null, got ") + json_type_name(*d));

    const json& merges = f.array("merges");
    merges_.reserve(merges.size());
    for (size_t i = 0; i < merges.size(); ++i) {
      const json& m = merges[i];
      std::string a, b;
      if (m.is_string()) {
        // JavaScript "a b".split(" ", 2)
        const std::string& s = m.get_ref<const std::string&>();
        const size_t sp = s.find(' ');
        if (sp == std::string::npos) f.fail("merges[" + std::to_string(i) + "]", "must be two tokens separated by a space");
        a = s.substr(0, sp);
        const size_t sp2 = s.find(' ', sp + 1);
        b = s.substr(sp + 1, sp2 == std::string::npos ? std::string::npos : sp2 - sp - 1);
      } else if (m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string()) {
        a = m[0].get<std::string>();
        b = m[1].get<std::string>();
      } else {
        f.fail("merges[" + std::to_string(i) + "]", std::string("must be a \"a b\" string or an [a, b] pair, got ") + json_type_name(m));
      }
      const uint32_t sa = intern(a), sb = intern(b), sr = intern(a + b);
      merges_[key(sa, sb)] = Merge{static_cast<uint32_t>(i), sr};  // new Map(entries): the last duplicate wins
    }
  }

  std::string_view unk_token() const override { return unk_key_; }
  int64_t unk_token_id() const override { return unk_id_; }
  std::string_view end_of_word_suffix() const override { return end_of_word_suffix_; }
  bool set_byte_level(bool on) override {
    byte_level_ = on;
    return true;
  }

  void finalize() override {
    if (!unk_token_.empty()) {
      const int64_t* id = vocab_.find(unk_token_);
      if (!id) source_.fail(component_, "field \"unk_token\" names \"" + unk_token_ + "\", which is not in the vocabulary");
      unk_id_ = *id;
      unk_key_ = vocab_.key(unk_token_);
    }
    if (byte_fallback_) {
      for (int b = 0; b < 256; ++b) {
        char name[8];
        std::snprintf(name, sizeof name, "<0x%02X>", b);
        byte_entries_[static_cast<size_t>(b)] = vocab_.entry(name);
      }
    }
  }

  void tokenize(const NormalizedString& s, Range word, std::vector<Piece>& out) const override;
  void finish_section(std::vector<Piece>& out, size_t first) const override;

 private:
  struct Merge {
    uint32_t rank;
    uint32_t result;
  };
  // One output piece of a cached word: a vocabulary entry (nullptr: the unknown token) and the
  // characters it covers.
  struct Item {
    const TokenMap::value_type* entry;
    uint32_t c0, c1;
  };
  static constexpr uint32_t kNone = UINT32_MAX;
  static uint64_t key(uint32_t a, uint32_t b) { return (uint64_t(a) << 32) | b; }
  uint32_t intern(const std::string& s) {
    auto [it, inserted] = symbols_.try_emplace(s, static_cast<uint32_t>(symbols_.size()));
    return it->second;
  }
  uint32_t symbol(std::string_view s) const {
    auto it = symbols_.find(s);
    return it == symbols_.end() ? kNone : it->second;
  }
  void bpe(const std::string& buf, const std::vector<uint32_t>& char_end, std::vector<Item>& items) const;
  void emit(std::string_view tok, uint32_t c0, uint32_t c1, std::vector<Item>& items) const;

  JsonSource source_;
  std::string component_;
  std::string unk_token_;
  std::string continuing_suffix_;
  std::string end_of_word_suffix_;
  bool fuse_unk_ = false, byte_fallback_ = false, ignore_merges_ = false, byte_level_ = false;
  int64_t unk_id_ = -1;
  std::string_view unk_key_;
  std::unordered_map<std::string, uint32_t, StringHash, std::equal_to<>> symbols_;
  std::unordered_map<uint64_t, Merge> merges_;
  std::array<const TokenMap::value_type*, 256> byte_entries_{};

  static constexpr size_t kShards = 16, kShardCapacity = 10000 / kShards, kMaxCachedChars = 256;
  struct Shard {
    std::mutex mutex;
    std::unordered_map<std::string, std::vector<Item>> map;
  };
  mutable std::array<Shard, kShards> cache_;
};

void Bpe::emit(std::string_view tok, uint32_t c0, uint32_t c1, std::vector<Item>& items) const {
  if (const auto* e = vocab_.entry(tok)) {
    items.push_back({e, c0, c1});
    return;
  }
  if (byte_fallback_) {
    bool all = true;
    for (unsigned char b : tok) all = all && byte_entries_[b];
    if (all) {
      for (unsigned char b : tok) items.push_back({byte_entries_[b], c0, c1});
      return;
    }
  }
  if (unk_id_ >= 0) items.push_back({nullptr, c0, c1});
}

// buf holds the word's characters back to back (the suffix after the last); char_end[k] is where
// character k ends in buf.
void Bpe::bpe(const std::string& buf, const std::vector<uint32_t>& char_end, std::vector<Item>& items) const {
  const size_t n = char_end.size();
  if (n == 0) return;
  if (ignore_merges_ && vocab_.find(buf)) {
    emit(buf, 0, static_cast<uint32_t>(n), items);
    return;
  }
  thread_local std::vector<uint32_t> sym, prev, next, bstart;
  thread_local std::vector<uint8_t> alive;
  sym.resize(n);
  prev.resize(n);
  next.resize(n);
  bstart.resize(n);
  alive.assign(n, 1);
  for (size_t k = 0; k < n; ++k) {
    bstart[k] = k ? char_end[k - 1] : 0;
    sym[k] = symbol(std::string_view(buf).substr(bstart[k], char_end[k] - bstart[k]));
    prev[k] = k ? static_cast<uint32_t>(k - 1) : kNone;
    next[k] = k + 1 < n ? static_cast<uint32_t>(k + 1) : kNone;
  }
  struct Cand {
    uint32_t rank, pos, a, b;
    bool operator>(const Cand& o) const { return rank != o.rank ? rank > o.rank : pos > o.pos; }
  };
  thread_local std::vector<Cand> heap_storage;
  heap_storage.clear();
  std::priority_queue<Cand, std::vector<Cand>, std::greater<Cand>> heap(std::greater<Cand>{}, std::move(heap_storage));
  auto consider = [&](uint32_t i) {
    const uint32_t j = next[i];
    if (j == kNone || sym[i] == kNone || sym[j] == kNone) return;
    auto it = merges_.find(key(sym[i], sym[j]));
    if (it != merges_.end()) heap.push({it->second.rank, i, sym[i], sym[j]});
  };
  for (uint32_t k = 0; k + 1 < n; ++k) consider(k);
  while (!heap.empty()) {
    const Cand c = heap.top();
    heap.pop();
    const uint32_t i = c.pos;
    if (!alive[i] || sym[i] != c.a) continue;
    const uint32_t j = next[i];
    if (j == kNone || sym[j] != c.b) continue;
    sym[i] = merges_.find(key(c.a, c.b))->second.result;
    alive[j] = 0;
    next[i] = next[j];
    if (next[j] != kNone) prev[next[j]] = i;
    if (prev[i] != kNone) consider(prev[i]);
    consider(i);
  }
  for (uint32_t k = 0; k != kNone; k = next[k]) {
    const uint32_t end_char = next[k] == kNone ? static_cast<uint32_t>(n) : next[k];
    const uint32_t b0 = bstart[k], b1 = char_end[end_char - 1];
    std::string_view tok(buf.data() + b0, b1 - b0);
    if (!continuing_suffix_.empty() && next[k] != kNone) {
      std::string t(tok);
      t += continuing_suffix_;
      emit(t, k, end_char, items);
    } else {
      emit(tok, k, end_char, items);
    }
  }
}

void Bpe::tokenize(const NormalizedString& s, Range word, std::vector<Piece>& out) const {
  // The word as the model sees it: characters (byte symbols with a ByteLevel pre-tokenizer).
  thread_local std::string buf;
  thread_local std::vector<uint32_t> char_end;  // end of each character in buf
  thread_local std::vector<uint32_t> char_cp;   // code point index of each character (UINT32_MAX: the prefix space)
  buf.clear();
  char_end.clear();
  char_cp.clear();
  auto add = [&](char32_t c, uint32_t cp) {
    if (byte_level_) {
      const ByteLevelAlphabet& a = ByteLevelAlphabet::get();
      std::string u;
      unicode::append_utf8(u, c);
      for (unsigned char b : u) {
        buf += a.utf8[b];
        char_end.push_back(static_cast<uint32_t>(buf.size()));
        char_cp.push_back(cp);
      }
    } else {
      unicode::append_utf8(buf, c);
      char_end.push_back(static_cast<uint32_t>(buf.size()));
      char_cp.push_back(cp);
    }
  };
  if (word.prefix_space) add(U' ', kNone);
  for (size_t i = word.begin; i < word.end; ++i) add(s.text[i], static_cast<uint32_t>(i));
  if (char_end.empty()) return;
  if (!end_of_word_suffix_.empty()) {
    buf += end_of_word_suffix_;
    char_end.back() = static_cast<uint32_t>(buf.size());
  }

  thread_local std::vector<Item> items;
  items.clear();
  const bool cacheable = char_end.size() < kMaxCachedChars;
  Shard* shard = nullptr;
  bool hit = false;
  if (cacheable) {
    shard = &cache_[std::hash<std::string>{}(buf) % kShards];
    std::lock_guard<std::mutex> lock(shard->mutex);
    if (auto it = shard->map.find(buf); it != shard->map.end()) {
      items = it->second;
      hit = true;
    }
  }
  if (!hit) {
    bpe(buf, char_end, items);
    if (cacheable) {
      std::lock_guard<std::mutex> lock(shard->mutex);
      if (shard->map.size() >= kShardCapacity) shard->map.clear();
      shard->map.emplace(buf, items);
    }
  }
  const Span empty_span = word.begin < s.size() ? Span{s.align[word.begin].begin, s.align[word.begin].begin}
                                                : (s.size() ? Span{s.align.back().end, s.align.back().end} : Span{});
  auto span_of_char = [&](uint32_t k, bool first) -> uint32_t {
    const uint32_t cp = char_cp[k];
    if (cp == kNone) return first ? empty_span.begin : empty_span.begin;
    return first ? s.align[cp].begin : s.align[cp].end;
  };
  for (const Item& it : items) {
    Piece p;
    if (it.entry) {
      p.id = it.entry->second;
      p.token = it.entry->first;
    } else {
      p.id = unk_id_;
      p.token = unk_key_;
    }
    p.offsets = {span_of_char(it.c0, true), span_of_char(it.c1 - 1, false)};
    if (p.offsets.end < p.offsets.begin) p.offsets.end = p.offsets.begin;
    out.push_back(p);
  }
}

void Bpe::finish_section(std::vector<Piece>& out, size_t first) const {
  if (!fuse_unk_ || unk_id_ < 0) return;
  size_t w = first;
  for (size_t r = first; r < out.size(); ++r) {
    if (w > first && out[r].id == unk_id_ && out[w - 1].id == unk_id_ && out[r].token == unk_key_ && out[w - 1].token == unk_key_) {
      out[w - 1].offsets.end = out[r].offsets.end;
      continue;
    }
    out[w++] = out[r];
  }
  out.resize(w);
}

}  // namespace

std::unique_ptr<Model> make_bpe(const Fields& f) { return std::make_unique<Bpe>(f); }

}  // namespace transformers::tokenizers
