// Split pre-tokenizer, with Transformers.js 4.3.1 semantics:
//   invert: true       -> the matches themselves (non-empty ones);
//   behavior "Removed" -> String.prototype.split(regex): the text between matches plus the
//                         capture groups (a String pattern is compiled as "(pattern)", so its
//                         matches are kept as pieces too);
//   any other behavior -> the text between matches and the matches, each a piece ("Isolated";
//                         Transformers.js treats MergedWithPrevious, MergedWithNext and
//                         Contiguous the same way).
#include <string>

#include "bpe_family.hpp"
#include "regex.hpp"
#include "splitters.hpp"

namespace transformers::tokenizers {
namespace {

class Split final : public PreTokenizer {
 public:
  explicit Split(const Fields& f) : invert_(f.boolean("invert", false)) {
    const json& pattern = f.object("pattern");
    check_behavior(f);
    const std::string behavior = f.string_or("behavior", "Isolated");
    std::string lower = behavior;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    removed_ = lower == "removed";
    Fields p(pattern, f.source(), f.component() + " pattern");
    if (const json* re = p.find("Regex")) {
      if (!re->is_string()) f.fail("pattern.Regex", std::string("must be a string, got ") + json_type_name(*re));
      regex_ = std::make_unique<Regex>(re->get<std::string>(), f, "pattern.Regex", Regex::Dialect::oniguruma);
    } else if (const json* str = p.find("String")) {
      if (!str->is_string()) f.fail("pattern.String", std::string("must be a string, got ") + json_type_name(*str));
      // Transformers.js wraps a string pattern in a capture group unless invert is set.
      regex_ = Regex::literal(str->get<std::string>(), f, "pattern.String");
      string_group_ = !invert_;
    } else {
      f.fail("pattern", "must hold \"Regex\" or \"String\"");
    }
  }

  void pre_tokenize(const NormalizedString& s, Range r, std::vector<Range>& words) const override {
    thread_local std::vector<Regex::Match> matches;
    matches.clear();
    if (invert_) {
      regex_->find_all(s.text, r, matches);
      for (const auto& m : matches)
        if (!m.whole.empty()) words.push_back(m.whole);
      return;
    }
    if (!removed_) {  // regex_split
      regex_->find_all(s.text, r, matches);
      size_t prev = r.begin;
      for (const auto& m : matches) {
        if (prev < m.whole.begin) words.push_back({prev, m.whole.begin});
        if (!m.whole.empty()) words.push_back(m.whole);
        prev = m.whole.end;
      }
      if (prev < r.end) words.push_back({prev, r.end});
      return;
    }
    // String.prototype.split(regex).filter(x => x): an empty match right at the last cut does not cut.
    regex_->find_all(s.text, r, matches, /*with_groups=*/true);
    size_t p = r.begin;
    for (const auto& m : matches) {
      if (m.whole.end == p) continue;  // empty match at the last cut
      if (m.whole.begin >= r.end) break;  // split never cuts at the very end
      if (p < m.whole.begin) words.push_back({p, m.whole.begin});
      if (string_group_) {
        if (!m.whole.empty()) words.push_back(m.whole);
      } else {
        for (const Range& g : m.groups)
          if (g.begin != SIZE_MAX && !g.empty()) words.push_back(g);
      }
      p = m.whole.end;
    }
    if (p < r.end) words.push_back({p, r.end});
  }

 private:
  bool invert_;
  bool removed_ = false;
  bool string_group_ = false;
  std::unique_ptr<Regex> regex_;
};

}  // namespace

std::unique_ptr<PreTokenizer> make_split_pre_tokenizer(const Fields& f) { return std::make_unique<Split>(f); }

}  // namespace transformers::tokenizers
