// ByteLevel pre-tokenizer and decoder (GPT-2's byte-to-symbol mapping), as Transformers.js has them.
// The byte mapping itself is done by the BPE model (set_byte_level), so that pre-tokenized words stay
// ranges of the normalized text and keep their offsets.
#include <string>
#include <unordered_set>

#include "bpe_family.hpp"
#include "regex.hpp"

namespace transformers::tokenizers {

const ByteLevelAlphabet& ByteLevelAlphabet::get() {
  static const ByteLevelAlphabet a = [] {
    ByteLevelAlphabet t;
    t.byte.fill(-1);
    bool direct[256] = {};
    for (int b = '!'; b <= '~'; ++b) direct[b] = true;
    for (int b = 0xA1; b <= 0xAC; ++b) direct[b] = true;
    for (int b = 0xAE; b <= 0xFF; ++b) direct[b] = true;
    int n = 0;
    for (int b = 0; b < 256; ++b) t.symbol[static_cast<size_t>(b)] = direct[b] ? static_cast<char32_t>(b) : static_cast<char32_t>(256 + n++);
    for (int b = 0; b < 256; ++b) {
      const char32_t c = t.symbol[static_cast<size_t>(b)];
      unicode::append_utf8(t.utf8[static_cast<size_t>(b)], c);
      t.byte[c] = b;
    }
    return t;
  }();
  return a;
}

namespace {

// Transformers.js' ByteLevel pattern: 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
constexpr const char* kGpt2Pattern = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

class ByteLevelPreTokenizer final : public PreTokenizer {
 public:
  explicit ByteLevelPreTokenizer(const Fields& f)
      : add_prefix_space_(f.boolean("add_prefix_space", false)), use_regex_(f.boolean("use_regex", true)) {
    f.boolean("trim_offsets", false);  // type check only: offsets are not trimmed by Transformers.js
    if (use_regex_) regex_ = std::make_unique<Regex>(kGpt2Pattern, f, "use_regex", Regex::Dialect::js);
  }

  bool byte_level() const override { return true; }

  void pre_tokenize(const NormalizedString& s, Range r, std::vector<Range>& words) const override {
    const bool prefix = add_prefix_space_ && !(r.size() > 0 && s.text[r.begin] == U' ') && !r.prefix_space;
    if (!use_regex_) {
      Range w = r;
      w.prefix_space = w.prefix_space || prefix;
      words.push_back(w);
      return;
    }
    // The regex runs over " " + text when a space is prepended: match it on a copy.
    thread_local std::u32string buf;
    thread_local std::vector<Regex::Match> matches;
    matches.clear();
    const bool virt = prefix || r.prefix_space;
    if (!virt) {
      regex_->find_all(s.text, r, matches);
      for (const auto& m : matches)
        if (!m.whole.empty()) words.push_back(m.whole);
      return;
    }
    buf.assign(1, U' ');
    buf.append(s.text, r.begin, r.size());
    regex_->find_all(buf, {0, buf.size()}, matches);
    for (const auto& m : matches) {
      if (m.whole.empty()) continue;
      Range w{r.begin + m.whole.begin - (m.whole.begin > 0 ? 1 : 0), r.begin + m.whole.end - 1};
      w.prefix_space = m.whole.begin == 0;
      words.push_back(w);
    }
  }

 private:
  bool add_prefix_space_;
  bool use_regex_;
  std::unique_ptr<Regex> regex_;
};

// Appends the UTF-8 decoding of `bytes` with WHATWG replacement (U+FFFD for each maximal invalid
// subpart), as TextDecoder("utf-8", {fatal: false}) does.
void decode_lossy(const std::string& bytes, std::string& out) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const size_t n = bytes.size();
  static const char kReplacement[] = "\xEF\xBF\xBD";
  size_t i = 0;
  while (i < n) {
    const unsigned char c = p[i];
    if (c < 0x80) {
      out += static_cast<char>(c);
      ++i;
      continue;
    }
    size_t need = 0;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) need = 1;
    else if (c >= 0xE0 && c <= 0xEF) {
      need = 2;
      if (c == 0xE0) lo = 0xA0;
      if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      need = 3;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;
    } else {
      out += kReplacement;
      ++i;
      continue;
    }
    size_t j = i + 1, k = 0;
    for (; k < need && j < n; ++k, ++j) {
      const unsigned char b = p[j];
      if (b < lo || b > hi) break;
      lo = 0x80;
      hi = 0xBF;
    }
    if (k == need) {
      out.append(bytes, i, need + 1);
    } else {
      out += kReplacement;
    }
    i = j;
  }
}

class ByteLevelDecoder final : public Decoder {
 public:
  explicit ByteLevelDecoder(const Fields& f) {
    f.boolean("add_prefix_space", false);
    f.boolean("trim_offsets", false);
    f.boolean("use_regex", true);
  }

  void set_added_tokens(const std::vector<std::string>& added) override {
    added_ = std::unordered_set<std::string>(added.begin(), added.end());
  }

  void decode_chain(std::vector<std::string>& tokens) const override {
    const ByteLevelAlphabet& a = ByteLevelAlphabet::get();
    std::vector<std::string> subs;
    std::string bytes;
    bool open = false;
    auto flush = [&] {
      if (!open) return;
      std::string text;
      decode_lossy(bytes, text);
      subs.push_back(std::move(text));
      bytes.clear();
      open = false;
    };
    for (auto& t : tokens) {
      if (added_.count(t)) {
        flush();
        subs.push_back(std::move(t));
        continue;
      }
      open = true;
      for (char32_t c : unicode::decode_utf8(t)) {
        // Transformers.js: a character outside the byte alphabet becomes byte 0 (Uint8Array(undefined)).
        bytes += static_cast<char>(c < a.byte.size() && a.byte[c] >= 0 ? a.byte[c] : 0);
      }
    }
    flush();
    tokens = std::move(subs);
  }

 private:
  std::unordered_set<std::string> added_;
};

}  // namespace

void utf8_decode_lossy(const std::string& bytes, std::string& out) { decode_lossy(bytes, out); }

std::unique_ptr<PreTokenizer> make_byte_level_pre_tokenizer(const Fields& f) {
  return std::make_unique<ByteLevelPreTokenizer>(f);
}
std::unique_ptr<Decoder> make_byte_level_decoder(const Fields& f) { return std::make_unique<ByteLevelDecoder>(f); }

}  // namespace transformers::tokenizers
