// The SentencePiece family, with Transformers.js 4.3.1 semantics:
//  - Unigram model: a trie over the pieces, a lattice with a node for every piece starting at each
//    code point (shortest first) plus an unknown node (score min - 10) where no one-character piece
//    starts; Viterbi keeps, for each node, the first best predecessor in insertion order (strict >).
//    Unknown characters come out as themselves and are fused per section (fuse_unk is always on);
//    their id is the unknown id. byte_fallback is accepted and ignored, as Transformers.js ignores it.
//  - normalizers NFKC, Replace (String and Regex patterns), Prepend, Precompiled (charsmap ignored,
//    as Transformers.js ignores it).
//  - Metaspace pre-tokenizer (spaces -> replacement, then the replacement prepended unless the
//    text already starts with it; `split` is ignored as Transformers.js ignores it) and decoder.
//  - decoders ByteFallback, Fuse, Strip, Replace, Sequence (the Llama / SentencePiece-BPE chain).
#include <utf8proc.h>

#include <algorithm>
#include <cmath>
#include <deque>
#include <limits>
#include <string>
#include <unordered_map>

#include "bpe_family.hpp"
#include "regex.hpp"
#include "frozen_map.hpp"
#include "sentencepiece_family.hpp"

namespace transformers::tokenizers {
namespace {

// Storage for the strings of unknown pieces; cleared when an encode starts on this thread.
thread_local std::deque<std::string> t_unknown_store;

std::string_view store_unknown(std::string s) { return t_unknown_store.emplace_back(std::move(s)); }

class Unigram final : public Model {
 public:
  explicit Unigram(const Fields& f) : source_(f.source()), component_(f.component()) {
    const json& v = f.array("vocab");
    if (v.empty()) f.fail("vocab", "is empty");
    pieces_.reserve(v.size());
    scores_.reserve(v.size());
    vocab_.reserve(v.size());
    for (size_t i = 0; i < v.size(); ++i) {
      const json& e = v[i];
      if (!e.is_array() || e.size() < 2 || !e[0].is_string() || !e[1].is_number())
        f.fail("vocab", "entry " + std::to_string(i) + " must be a [piece, score] pair, got " + e.dump());
      pieces_.push_back(e[0].get<std::string>());
      scores_.push_back(e[1].get<double>());
      if (!vocab_.set(pieces_.back(), static_cast<int64_t>(i)))
        f.fail("vocab", "is too large");
    }
    const json& u = f.require("unk_id");
    if (!u.is_number_integer())
      f.fail("unk_id", std::string("must be an integer, got ") + json_type_name(u));
    const int64_t unk = u.get<int64_t>();
    if (unk < 0 || static_cast<uint64_t>(unk) >= v.size())
      f.fail("unk_id", "is " + std::to_string(unk) + ", outside the vocabulary of " + std::to_string(v.size()));
    unk_id_ = unk;
    f.optional_boolean("byte_fallback");  // type-checked; Transformers.js ignores it
    double mn = scores_[0];
    for (double s : scores_) mn = s < mn ? s : mn;
    unk_score_ = mn - 10;
    scores_[static_cast<size_t>(unk_id_)] = unk_score_;
    // Trie over the pieces' code points.
    nodes_.push_back({});
    for (size_t i = 0; i < pieces_.size(); ++i) {
      const std::u32string cps = unicode::decode_utf8(pieces_[i]);
      uint32_t node = 0;
      for (char32_t c : cps) {
        const uint64_t key = (static_cast<uint64_t>(node) << 21) | c;
        auto it = edges_.find(key);
        if (it == edges_.end()) {
          it = edges_.emplace(key, static_cast<uint32_t>(nodes_.size())).first;
          nodes_.push_back({});
        }
        node = it->second;
      }
      if (node != 0) nodes_[node].piece = static_cast<int64_t>(i);
    }
    frozen_edges_.build(edges_);
    edges_.clear();
  }

  std::string_view unk_token() const override { return unk_key_; }
  int64_t unk_token_id() const override { return unk_id_; }

  void finalize() override {
    unk_key_ = pieces_[static_cast<size_t>(unk_id_)];
    // Transformers.js looks the matched piece up in tokens_to_ids (added tokens included) and
    // takes that id's score.
    for (TrieNode& n : nodes_) {
      if (n.piece < 0) continue;
      const auto* e = vocab_.entry(pieces_[static_cast<size_t>(n.piece)]);
      n.id = e->second;
      n.key = e->first;
      n.score = static_cast<uint64_t>(n.id) < scores_.size() ? scores_[static_cast<size_t>(n.id)]
                                                             : std::numeric_limits<double>::quiet_NaN();
    }
  }

  void begin_encode() const override { t_unknown_store.clear(); }

  void tokenize(const NormalizedString& s, Range word, std::vector<Piece>& out) const override {
    const size_t n = word.size();
    if (n == 0) return;
    const char32_t* t = s.text.data() + word.begin;
    // best[e]: score and predecessor info of the first best node ending at e.
    struct Best {
      double score = 0;
      bool set = false;
      uint32_t begin = 0;
      int32_t trie_node = -1;  // -1: the unknown node
    };
    thread_local std::vector<Best> best;
    best.assign(n + 1, Best{});
    best[0].set = true;  // BOS
    for (size_t p = 0; p < n; ++p) {
      const double base = best[p].score;
      bool single = false;
      uint32_t node = 0;
      for (size_t i = p; i < n; ++i) {
        node = frozen_edges_.find((static_cast<uint64_t>(node) << 21) | t[i]);
        if (node == FrozenMap::kAbsent) break;
        const TrieNode& tn = nodes_[node];
        if (tn.piece < 0) continue;
        if (i == p) single = true;
        offer(best[i + 1], base + tn.score, p, static_cast<int32_t>(node));
      }
      if (!single) offer(best[p + 1], base + unk_score_, p, -1);
    }
    // Backtrace from the end.
    thread_local std::vector<std::pair<uint32_t, int32_t>> path;  // (begin, trie node) per piece, reversed
    path.clear();
    for (size_t e = n; e > 0;) {
      path.emplace_back(best[e].begin, best[e].trie_node);
      e = best[e].begin;
    }
    for (size_t k = path.size(); k-- > 0;) {
      const auto [b, tn] = path[k];
      const size_t e = (k == 0) ? n : path[k - 1].first;
      const Span span{s.align[word.begin + b].begin, s.align[word.begin + e - 1].end};
      if (tn >= 0) {
        out.push_back({nodes_[static_cast<size_t>(tn)].id, nodes_[static_cast<size_t>(tn)].key, span});
      } else {
        std::string u;
        for (size_t i = b; i < e; ++i) unicode::append_utf8(u, t[i]);
        out.push_back({unk_id_, store_unknown(std::move(u)), span});
      }
    }
  }

  // Transformers.js fuse_unk over the section, then every token string looked up again.
  void finish_section(std::vector<Piece>& out, size_t first) const override {
    auto lookup = [&](std::string_view tok) -> const int64_t* { return vocab_.find(tok); };
    auto id_of_text = [&](std::string_view tok) {
      const int64_t* id = lookup(tok);
      return id ? *id : unk_id_;
    };
    // A vocabulary piece's id is its string's already (finalize looked it up); only unknown text
    // (and fused runs of it) need the lookup, where an added token may answer.
    auto id_of = [&](const Piece& p) { return p.id != unk_id_ ? p.id : id_of_text(p.token); };
    size_t w = first;
    size_t i = first;
    const size_t n = out.size();
    while (i < n) {
      out[w++] = out[i];
      if (id_of(out[i]) != unk_id_) {
        ++i;
        continue;
      }
      while (++i < n && id_of(out[i]) == unk_id_) {
        Piece& last = out[w - 1];
        const int64_t* lid = lookup(last.token);
        if (!lid || *lid != unk_id_) {
          std::string joined(last.token);
          joined += out[i].token;
          last.token = store_unknown(std::move(joined));
          last.offsets.end = out[i].offsets.end;
        }
      }
    }
    out.resize(w);
    for (size_t k = first; k < out.size(); ++k) out[k].id = id_of(out[k]);
  }

 private:
  struct TrieNode {
    int64_t piece = -1;  // index into pieces_ of the piece ending here, or -1
    int64_t id = -1;
    double score = 0;
    std::string_view key;
  };

  template <class B>
  static void offer(B& b, double score, size_t begin, int32_t node) {
    if (!b.set || score > b.score) {
      b.set = true;
      b.score = score;
      b.begin = static_cast<uint32_t>(begin);
      b.trie_node = node;
    }
  }

  JsonSource source_;
  std::string component_;
  std::vector<std::string> pieces_;
  std::vector<double> scores_;
  std::vector<TrieNode> nodes_;
  std::unordered_map<uint64_t, uint32_t> edges_;  // while building
  FrozenMap frozen_edges_;
  int64_t unk_id_ = 0;
  double unk_score_ = 0;
  std::string_view unk_key_;
};

// ---------------------------------------------------------------------------------------------
// Normalizers

// String.prototype.normalize("NFKC") on the whole text; alignment per run that starts at a
// character utf8proc calls a boundary class "other" with combining class 0 (falls back to one span
// for everything if the per-run result would differ from the whole-text result).
std::u32string nfkc_utf32(std::u32string_view in, bool compose = true) {
  if (in.empty()) return {};
  std::string utf8 = unicode::to_utf8(in);
  utf8proc_uint8_t* result = nullptr;
  const auto len = utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(utf8.data()),
                                static_cast<utf8proc_ssize_t>(utf8.size()), &result,
                                static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPAT |
                                                                (compose ? UTF8PROC_COMPOSE : UTF8PROC_DECOMPOSE)));
  if (len < 0) return std::u32string(in);
  std::string out(reinterpret_cast<const char*>(result), static_cast<size_t>(len));
  std::free(result);
  return unicode::decode_utf8(out);
}

class Nfkc final : public Normalizer {
 public:
  explicit Nfkc(bool compose = true) : compose_(compose) {}
  void normalize(NormalizedString& s) const override {
    bool ascii = true;
    for (char32_t c : s.text) ascii = ascii && c < 0x80;
    if (ascii) return;
    const std::u32string whole = nfkc_utf32(s.text, compose_);
    NormalizedString out;
    out.text.reserve(whole.size());
    out.align.reserve(whole.size());
    size_t i = 0;
    while (i < s.size()) {
      size_t j = i + 1;
      while (j < s.size() && !safe_start(s.text[j])) ++j;
      const std::u32string part = nfkc_utf32(std::u32string_view(s.text).substr(i, j - i), compose_);
      const Span span{s.align[i].begin, s.align[j - 1].end};
      for (char32_t c : part) out.push_back(c, span);
      i = j;
    }
    if (out.text != whole) {
      const Span all{s.align.front().begin, s.align.back().end};
      out.text = whole;
      out.align.assign(whole.size(), all);
    }
    s = std::move(out);
  }

 private:
  // ASCII characters never compose with what precedes them.
  static bool safe_start(char32_t c) { return c < 0x80; }
  bool compose_;
};

// Transformers.js' Precompiled ignores the charsmap: it removes some control characters, turns
// some spaces (and U+2581, U+FFFD) into " ", then applies NFKC to the parts between U+FF5E.
class Precompiled final : public Normalizer {
 public:
  explicit Precompiled(const Fields& f) {
    if (const json* m = f.find("precompiled_charsmap"); m && !m->is_string())
      f.fail("precompiled_charsmap", std::string("must be a string, got ") + json_type_name(*m));
  }
  void normalize(NormalizedString& s) const override {
    size_t w = 0;
    for (size_t r = 0; r < s.size(); ++r) {
      char32_t c = s.text[r];
      if ((c >= 0x01 && c <= 0x08) || c == 0x0B || (c >= 0x0E && c <= 0x1F) || c == 0x7F || c == 0x8F || c == 0x9F)
        continue;
      if (c == 0x09 || c == 0x0A || c == 0x0C || c == 0x0D || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200F) ||
          c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x2581 || c == 0x3000 || c == 0xFEFF ||
          c == 0xFFFD)
        c = U' ';
      s.text[w] = c;
      s.align[w] = s.align[r];
      ++w;
    }
    s.text.resize(w);
    s.align.resize(w);
    if (s.text.find(U'\uFF5E') == std::u32string::npos) {
      nfkc_.normalize(s);
      return;
    }
    NormalizedString out, part;
    size_t i = 0;
    while (true) {
      const size_t j = std::min(s.text.find(U'\uFF5E', i), s.size());
      part.text.assign(s.text, i, j - i);
      part.align.assign(s.align.begin() + static_cast<std::ptrdiff_t>(i), s.align.begin() + static_cast<std::ptrdiff_t>(j));
      nfkc_.normalize(part);
      out.text += part.text;
      out.align.insert(out.align.end(), part.align.begin(), part.align.end());
      if (j == s.size()) break;
      out.push_back(s.text[j], s.align[j]);
      i = j + 1;
    }
    s = std::move(out);
  }

 private:
  Nfkc nfkc_;
};

class Prepend final : public Normalizer {
 public:
  explicit Prepend(const Fields& f) : prepend_(unicode::decode_utf8(f.string("prepend"))) {}
  void normalize(NormalizedString& s) const override {
    if (prepend_.empty()) return;
    // Aligned to the first character, as Python's NormalizedString::prepend does (offsets).
    const Span at = s.size() ? s.align[0] : Span{};
    s.text.insert(0, prepend_);
    s.align.insert(s.align.begin(), prepend_.size(), at);
  }

 private:
  std::u32string prepend_;
};

class Replace final : public Normalizer {
 public:
  explicit Replace(const Fields& f) {
    content_ = unicode::decode_utf8(f.string_or("content", ""));
    if (content_.find(U'$') != std::u32string::npos)
      f.fail("content", "contains '$', whose replacement patterns are not supported");
    const json* pattern = f.find("pattern");
    if (!pattern) return;  // Transformers.js: no pattern, no change
    if (!pattern->is_object()) f.fail("pattern", std::string("must be an object, got ") + json_type_name(*pattern));
    Fields p(*pattern, f.source(), f.component() + " pattern");
    if (const json* re = p.find("Regex")) {
      if (!re->is_string()) f.fail("pattern.Regex", std::string("must be a string, got ") + json_type_name(*re));
      regex_ = std::make_unique<Regex>(re->get<std::string>(), f, "pattern.Regex", Regex::Dialect::oniguruma);
    } else if (const json* str = p.find("String")) {
      if (!str->is_string()) f.fail("pattern.String", std::string("must be a string, got ") + json_type_name(*str));
      regex_ = Regex::literal(str->get<std::string>(), f, "pattern.String");
    }
  }

  void normalize(NormalizedString& s) const override {
    if (!regex_) return;
    thread_local std::vector<Regex::Match> matches;
    matches.clear();
    regex_->find_all(s.text, {0, s.size()}, matches);
    if (matches.empty()) return;
    NormalizedString out;
    out.text.reserve(s.size());
    out.align.reserve(s.size());
    size_t pos = 0;
    for (const auto& m : matches) {
      for (; pos < m.whole.begin; ++pos) out.push_back(s.text[pos], s.align[pos]);
      Span span;
      if (!m.whole.empty()) {
        span = {s.align[m.whole.begin].begin, s.align[m.whole.end - 1].end};
      } else {
        const uint32_t at = m.whole.begin < s.size() ? s.align[m.whole.begin].begin
                                                      : (s.size() ? s.align.back().end : 0);
        span = {at, at};
      }
      for (char32_t c : content_) out.push_back(c, span);
      pos = m.whole.end;
    }
    for (; pos < s.size(); ++pos) out.push_back(s.text[pos], s.align[pos]);
    s = std::move(out);
  }

 private:
  std::u32string content_;
  std::unique_ptr<Regex> regex_;
};

// ---------------------------------------------------------------------------------------------
// Metaspace

class MetaspacePreTokenizer final : public PreTokenizer {
 public:
  explicit MetaspacePreTokenizer(const Fields& f) {
    const std::string rep = f.string_or("replacement", "\u2581");
    replacement_ = unicode::decode_utf8(rep);
    // Transformers.js: str_rep || replacement.
    const std::string str_rep = f.string_or("str_rep", "");
    str_rep_ = str_rep.empty() ? replacement_ : unicode::decode_utf8(str_rep);
    const std::string scheme = f.string_or("prepend_scheme", "always");
    if (scheme == "always")
      scheme_ = Scheme::always;
    else if (scheme == "never")
      scheme_ = Scheme::never;
    else if (scheme == "first")
      scheme_ = Scheme::first;
    else
      f.fail("prepend_scheme", "must be \"first\", \"always\" or \"never\", got \"" + scheme + "\"");
    f.optional_boolean("split");            // ignored, as Transformers.js ignores it
    f.optional_boolean("add_prefix_space");  // legacy; Transformers.js ignores it
  }

  bool rewrites() const override { return true; }

  void rewrite(NormalizedString& s, bool first_section) const override {
    const bool prepend = scheme_ == Scheme::always || (scheme_ == Scheme::first && first_section);
    NormalizedString out;
    out.text.reserve(s.size() + 1);
    out.align.reserve(s.size() + 1);
    for (size_t i = 0; i < s.size(); ++i) {
      if (s.text[i] == U' ')
        for (char32_t c : str_rep_) out.push_back(c, s.align[i]);
      else
        out.push_back(s.text[i], s.align[i]);
    }
    const bool starts = !replacement_.empty() && out.text.compare(0, replacement_.size(), replacement_) == 0;
    if (prepend && !starts) {
      const Span at = s.size() ? s.align[0] : Span{};  // the first character's, as Python's prepend
      out.text.insert(0, str_rep_);
      out.align.insert(out.align.begin(), str_rep_.size(), at);
    }
    s = std::move(out);
  }

  void pre_tokenize(const NormalizedString&, Range r, std::vector<Range>& words) const override {
    words.push_back(r);
  }

 private:
  enum class Scheme { always, never, first };
  std::u32string replacement_, str_rep_;
  Scheme scheme_ = Scheme::always;
};

std::string replace_all(std::string s, std::string_view from, std::string_view to) {
  if (from.empty()) return s;
  std::string out;
  size_t last = 0;
  for (size_t p = s.find(from); p != std::string::npos; p = s.find(from, last)) {
    out.append(s, last, p - last);
    out += to;
    last = p + from.size();
  }
  out.append(s, last, std::string::npos);
  return out;
}

class MetaspaceDecoder final : public Decoder {
 public:
  explicit MetaspaceDecoder(const Fields& f) : replacement_(f.string_or("replacement", "\u2581")) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (size_t i = 0; i < tokens.size(); ++i) {
      tokens[i] = replace_all(std::move(tokens[i]), replacement_, " ");
      if (i == 0 && !tokens[i].empty() && tokens[i][0] == ' ') tokens[i].erase(0, 1);
    }
  }

 private:
  std::string replacement_;
};

// <0xXX> tokens gathered and decoded as UTF-8 (TextDecoder, lossy).
class ByteFallbackDecoder final : public Decoder {
 public:
  void decode_chain(std::vector<std::string>& tokens) const override {
    std::vector<std::string> out;
    out.reserve(tokens.size());
    std::string bytes;
    auto flush = [&] {
      if (bytes.empty()) return;
      std::string text;
      // TextDecoder drops a leading byte order mark.
      if (bytes.compare(0, 3, "\xEF\xBB\xBF") == 0) bytes.erase(0, 3);
      utf8_decode_lossy(bytes, text);
      out.push_back(std::move(text));
      bytes.clear();
    };
    for (auto& t : tokens) {
      int b = -1;
      if (t.size() == 6 && t.compare(0, 3, "<0x") == 0 && t[5] == '>') b = parse_hex_prefix(t[3], t[4]);
      if (b >= 0) {
        bytes.push_back(static_cast<char>(b));
      } else {
        flush();
        out.push_back(std::move(t));
      }
    }
    flush();
    tokens = std::move(out);
  }

 private:
  static int hex(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }
  // parseInt(token.slice(3, 5), 16): the leading hex digits; NaN (-1) when there are none.
  static int parse_hex_prefix(char a, char b) {
    const int ha = hex(a);
    if (ha < 0) return -1;
    const int hb = hex(b);
    return hb < 0 ? ha : ha * 16 + hb;
  }
};

class FuseDecoder final : public Decoder {
 public:
  void decode_chain(std::vector<std::string>& tokens) const override {
    std::string all;
    for (const auto& t : tokens) all += t;
    tokens.assign(1, std::move(all));
  }
};

// Removes up to `start` leading and `stop` trailing copies of `content` (one UTF-16 unit in
// Transformers.js, so only a single BMP character can ever match).
class StripDecoder final : public Decoder {
 public:
  explicit StripDecoder(const Fields& f)
      : start_(f.unsigned_or("start", 0)), stop_(f.unsigned_or("stop", 0)) {
    const std::u32string c = unicode::decode_utf8(f.string_or("content", ""));
    if (c.size() == 1 && c[0] < 0x10000 && !(c[0] >= 0xD800 && c[0] <= 0xDFFF)) content_ = c[0];
  }
  void decode_chain(std::vector<std::string>& tokens) const override {
    if (!content_) return;
    for (auto& t : tokens) {
      const std::u32string cps = unicode::decode_utf8(t);
      size_t b = 0, e = cps.size();
      for (size_t i = 0; i < start_ && b < cps.size() && cps[b] == content_; ++i) ++b;
      for (size_t i = 0; i < stop_ && e > b && cps[e - 1] == content_; ++i) --e;
      if (b == 0 && e == cps.size()) continue;
      t = unicode::to_utf8(std::u32string_view(cps).substr(b, e - b));
    }
  }

 private:
  uint64_t start_, stop_;
  char32_t content_ = 0;
};

class ReplaceDecoder final : public Decoder {
 public:
  explicit ReplaceDecoder(const Fields& f) : replace_(f) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (auto& t : tokens) {
      NormalizedString s;
      unicode::decode_utf8(t, s);
      replace_.normalize(s);
      t = unicode::to_utf8(s.text);
    }
  }

 private:
  Replace replace_;
};

class SequenceDecoder final : public Decoder {
 public:
  explicit SequenceDecoder(const Fields& f) {
    const json& list = f.array("decoders");
    for (size_t i = 0; i < list.size(); ++i) {
      auto d = create_decoder(list[i], f.source(), f.component() + " decoders[" + std::to_string(i) + "]");
      if (d) items_.push_back(std::move(d));
    }
  }
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (const auto& d : items_) d->decode_chain(tokens);
  }
  void set_added_tokens(const std::vector<std::string>& contents) override {
    for (const auto& d : items_) d->set_added_tokens(contents);
  }

 private:
  std::vector<std::unique_ptr<Decoder>> items_;
};

}  // namespace

std::unique_ptr<Model> make_unigram(const Fields& f) { return std::make_unique<Unigram>(f); }
std::unique_ptr<Normalizer> make_nfkc_normalizer() { return std::make_unique<Nfkc>(true); }
std::unique_ptr<Normalizer> make_nfkd_normalizer() { return std::make_unique<Nfkc>(false); }
std::unique_ptr<Normalizer> make_precompiled_normalizer(const Fields& f) { return std::make_unique<Precompiled>(f); }
std::unique_ptr<Normalizer> make_prepend_normalizer(const Fields& f) { return std::make_unique<Prepend>(f); }
std::unique_ptr<Normalizer> make_replace_normalizer(const Fields& f) { return std::make_unique<Replace>(f); }
std::unique_ptr<PreTokenizer> make_metaspace_pre_tokenizer(const Fields& f) {
  return std::make_unique<MetaspacePreTokenizer>(f);
}
std::unique_ptr<Decoder> make_metaspace_decoder(const Fields& f) { return std::make_unique<MetaspaceDecoder>(f); }
std::unique_ptr<Decoder> make_byte_fallback_decoder() { return std::make_unique<ByteFallbackDecoder>(); }
std::unique_ptr<Decoder> make_fuse_decoder() { return std::make_unique<FuseDecoder>(); }
std::unique_ptr<Decoder> make_strip_decoder(const Fields& f) { return std::make_unique<StripDecoder>(f); }
std::unique_ptr<Decoder> make_replace_decoder(const Fields& f) { return std::make_unique<ReplaceDecoder>(f); }
std::unique_ptr<Decoder> make_sequence_decoder(const Fields& f) { return std::make_unique<SequenceDecoder>(f); }

}  // namespace transformers::tokenizers
