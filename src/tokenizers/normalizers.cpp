// Normalizers. Supported: BertNormalizer, NFC, NFD, Lowercase, StripAccents, Strip, Sequence; NFKD, NFKC, Prepend, Replace, Precompiled
// (sentencepiece.cpp).
#include "components.hpp"
#include "sentencepiece_family.hpp"

namespace transformers::tokenizers {
namespace {

class BertNormalizer final : public Normalizer {
 public:
  explicit BertNormalizer(const Fields& f)
      // Transformers.js tests these fields for truthiness: absent means off.
      : clean_text_(f.boolean("clean_text", false)),
        handle_chinese_chars_(f.boolean("handle_chinese_chars", false)),
        strip_accents_(f.optional_boolean("strip_accents")),
        lowercase_(f.boolean("lowercase", false)) {}

  void normalize(NormalizedString& s) const override {
    if (clean_text_) clean_text(s);
    if (handle_chinese_chars_) pad_chinese_chars(s);
    if (lowercase_) {
      unicode::to_lower_js(s);
      if (strip_accents_ != false) strip_accents(s);  // null follows lowercase
    } else if (strip_accents_ == true) {
      strip_accents(s);
    }
  }

 private:
  static void clean_text(NormalizedString& s) {
    size_t w = 0;
    for (size_t r = 0; r < s.text.size(); ++r) {
      char32_t c = s.text[r];
      if (c == 0 || c == 0xFFFD) continue;
      if (c != '\t' && c != '\n' && c != '\r' && unicode::is_other_control(c)) continue;
      if (unicode::is_js_whitespace(c)) c = ' ';
      s.text[w] = c;
      s.align[w] = s.align[r];
      ++w;
    }
    s.text.resize(w);
    s.align.resize(w);
  }

  static void pad_chinese_chars(NormalizedString& s) {
    size_t count = 0;
    for (char32_t c : s.text) count += unicode::is_bmp_chinese_char(c);
    if (count == 0) return;
    NormalizedString out;
    out.text.reserve(s.size() + 2 * count);
    out.align.reserve(s.size() + 2 * count);
    for (size_t i = 0; i < s.size(); ++i) {
      const char32_t c = s.text[i];
      if (unicode::is_bmp_chinese_char(c)) {
        out.push_back(' ', s.align[i]);
        out.push_back(c, s.align[i]);
        out.push_back(' ', s.align[i]);
      } else {
        out.push_back(c, s.align[i]);
      }
    }
    s = std::move(out);
  }

  // text.normalize("NFD").replace(/\p{Mn}/gu, "")
  static void strip_accents(NormalizedString& s) {
    unicode::nfd(s);
    unicode::remove_if(s, unicode::is_nonspacing_mark);
  }

  bool clean_text_;
  bool handle_chinese_chars_;
  std::optional<bool> strip_accents_;
  bool lowercase_;
};

class Nfc final : public Normalizer {
 public:
  void normalize(NormalizedString& s) const override { unicode::nfc(s); }
};

class Nfd final : public Normalizer {
 public:
  void normalize(NormalizedString& s) const override { unicode::nfd(s); }
};

class Lowercase final : public Normalizer {
 public:
  void normalize(NormalizedString& s) const override { unicode::to_lower_js(s); }
};

// Transformers.js remove_accents: text.replace(/\p{M}/gu, "") (no decomposition first).
class StripAccents final : public Normalizer {
 public:
  void normalize(NormalizedString& s) const override { unicode::remove_if(s, unicode::is_mark); }
};

// trim / trimStart / trimEnd (JavaScript whitespace and line terminators).
class Strip final : public Normalizer {
 public:
  explicit Strip(const Fields& f) : left_(f.boolean("strip_left", false)), right_(f.boolean("strip_right", false)) {}
  void normalize(NormalizedString& s) const override {
    size_t b = 0, e = s.size();
    if (left_) while (b < e && unicode::is_js_whitespace(s.text[b])) ++b;
    if (right_) while (e > b && unicode::is_js_whitespace(s.text[e - 1])) --e;
    if (b == 0 && e == s.size()) return;
    s.text = s.text.substr(b, e - b);
    s.align.erase(s.align.begin() + static_cast<std::ptrdiff_t>(e), s.align.end());
    s.align.erase(s.align.begin(), s.align.begin() + static_cast<std::ptrdiff_t>(b));
  }

 private:
  bool left_, right_;
};

class SequenceNormalizer final : public Normalizer {
 public:
  explicit SequenceNormalizer(const Fields& f) {
    const json& list = f.array("normalizers");
    for (size_t i = 0; i < list.size(); ++i) {
      auto n = create_normalizer(list[i], f.source(), f.component() + " normalizers[" + std::to_string(i) + "]");
      if (n) items_.push_back(std::move(n));
    }
  }
  void normalize(NormalizedString& s) const override {
    for (const auto& n : items_) n->normalize(s);
  }

 private:
  std::vector<std::unique_ptr<Normalizer>> items_;
};

}  // namespace

std::unique_ptr<Normalizer> create_normalizer(const json& config, const JsonSource& source, std::string_view component) {
  if (config.is_null()) return nullptr;
  Fields f(config, source, std::string(component));
  const std::string type = f.string("type");
  Fields typed(config, source, std::string(component) + " (" + type + ")");
  if (type == "BertNormalizer") return std::make_unique<BertNormalizer>(typed);
  if (type == "NFC") return std::make_unique<Nfc>();
  if (type == "Sequence") return std::make_unique<SequenceNormalizer>(typed);
  if (type == "NFKC") return make_nfkc_normalizer();
  if (type == "NFKD") return make_nfkd_normalizer();
  if (type == "NFD") return std::make_unique<Nfd>();
  if (type == "Lowercase") return std::make_unique<Lowercase>();
  if (type == "StripAccents") return std::make_unique<StripAccents>();
  if (type == "Strip") return std::make_unique<Strip>(typed);
  if (type == "Prepend") return make_prepend_normalizer(typed);
  if (type == "Replace") return make_replace_normalizer(typed);
  if (type == "Precompiled") return make_precompiled_normalizer(typed);
  f.fail("type", "names an unsupported normalizer \"" + type + "\"");
}

}  // namespace transformers::tokenizers
