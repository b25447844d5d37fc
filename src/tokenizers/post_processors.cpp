// Post-processors. Supported: TemplateProcessing, BertProcessing, RobertaProcessing, ByteLevel, Sequence.
#include <algorithm>
#include <string>

#include "components.hpp"

namespace transformers::tokenizers {
namespace {

struct SpecialPiece {
  Piece piece;
  int64_t type_id = 0;
};

SpecialPiece special_piece(std::string_view token, int64_t type_id, TokenResolver& r) {
  // Transformers.js emits the token string and maps it through the vocabulary afterwards.
  return {Piece{r.resolve(token), r.intern(token), Span{}}, type_id};
}

// Python's process_offsets (Transformers.js has no offsets): the offsets of each sequence's
// tokens leave out their leading and trailing spaces (GPT-2's 'Ġ' or whitespace), except a single
// leading space on the first token with add_prefix_space (the space the pre-tokenizer added).
inline bool is_space_symbol(char32_t c) {
  return c == 0x120 || (c >= 0x9 && c <= 0xD) || c == ' ' || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

void trim_offsets(std::vector<Piece>& seq, bool add_prefix_space) {
  for (size_t i = 0; i < seq.size(); ++i) {
    Piece& p = seq[i];
    const std::u32string t = unicode::decode_utf8(p.token);
    uint32_t lead = 0, trail = 0;
    while (lead < t.size() && is_space_symbol(t[lead])) ++lead;
    while (trail < t.size() && is_space_symbol(t[t.size() - 1 - trail])) ++trail;
    if (lead > 0) {
      if ((i == 0 || p.offsets.begin == 0) && add_prefix_space && lead == 1) lead = 0;
      p.offsets.begin = std::min(p.offsets.begin + lead, p.offsets.end);
    }
    if (trail > 0 && p.offsets.end >= trail) p.offsets.end = std::max(p.offsets.end - trail, p.offsets.begin);
  }
}

class TemplateProcessing final : public PostProcessor {
 public:
  TemplateProcessing(const Fields& f, TokenResolver& r)
      : single_(parse(f, "single", r)), pair_(parse(f, "pair", r)) {}

  void process(const std::vector<Piece>& a, const std::vector<Piece>* b, bool add_special_tokens,
               std::vector<Piece>& out, std::vector<int64_t>& type_ids) const override {
    const auto& tmpl = b ? pair_ : single_;
    for (const Item& item : tmpl) {
      if (item.kind == Item::special_token) {
        if (!add_special_tokens) continue;
        out.push_back(item.special.piece);
        type_ids.push_back(item.special.type_id);
      } else {
        const std::vector<Piece>* seq = item.kind == Item::seq_a ? &a : b;
        if (!seq) continue;
        out.insert(out.end(), seq->begin(), seq->end());
        type_ids.insert(type_ids.end(), seq->size(), item.special.type_id);
      }
    }
  }

 private:
  struct Item {
    enum Kind { special_token, seq_a, seq_b } kind = special_token;
    SpecialPiece special;  // for sequences only type_id is used
  };

  static std::vector<Item> parse(const Fields& f, std::string_view key, TokenResolver& r) {
    const json* arr = f.find(key);
    if (!arr) return {};
    if (!arr->is_array()) f.fail(key, std::string("must be an array, got ") + json_type_name(*arr));
    std::vector<Item> items;
    const std::string field(key);
    for (size_t i = 0; i < arr->size(); ++i) {
      const json& el = (*arr)[i];
      const std::string where = field + "[" + std::to_string(i) + "]";
      if (!el.is_object()) f.fail(where, std::string("must be an object, got ") + json_type_name(el));
      Item item;
      if (auto it = el.find("SpecialToken"); it != el.end()) {
        Fields sf(*it, f.source(), f.component() + " " + where + ".SpecialToken");
        item.kind = Item::special_token;
        item.special = special_piece(sf.string("id"), sf.integer("type_id"), r);
      } else if (auto it2 = el.find("Sequence"); it2 != el.end()) {
        Fields sf(*it2, f.source(), f.component() + " " + where + ".Sequence");
        const std::string id = sf.string("id");
        if (id != "A" && id != "B") sf.fail("id", "must be \"A\" or \"B\", got \"" + id + "\"");
        item.kind = id == "A" ? Item::seq_a : Item::seq_b;
        item.special.type_id = sf.integer("type_id");
      } else {
        f.fail(where, "must hold \"SpecialToken\" or \"Sequence\"");
      }
      items.push_back(item);
    }
    return items;
  }

  std::vector<Item> single_;
  std::vector<Item> pair_;
};

// [CLS] A [SEP] (B [SEP]) for BertProcessing; <s> A </s> (</s> B </s>) for RobertaProcessing, which
// differs only by a second separator between the sequences (and two flags Transformers.js ignores).
class ClsSepProcessing final : public PostProcessor {
 public:
  ClsSepProcessing(const Fields& f, TokenResolver& r, bool roberta)
      : cls_(parse(f, "cls", r, roberta)), sep_(parse(f, "sep", r, roberta)), double_separator_(roberta) {
    if (roberta) {
      trim_offsets_ = f.boolean("trim_offsets", true);
      add_prefix_space_ = f.boolean("add_prefix_space", true);
    }
  }

  void process(const std::vector<Piece>& a_in, const std::vector<Piece>* b_in, bool add_special_tokens,
               std::vector<Piece>& out, std::vector<int64_t>& type_ids) const override {
    std::vector<Piece> a_trim, b_trim;
    const std::vector<Piece>& a = trimmed(a_in, a_trim);
    const std::vector<Piece>* b = b_in ? &trimmed(*b_in, b_trim) : nullptr;
    if (add_special_tokens) out.push_back(cls_);
    out.insert(out.end(), a.begin(), a.end());
    if (add_special_tokens) out.push_back(sep_);
    type_ids.assign(out.size(), 0);
    if (b) {
      if (add_special_tokens && double_separator_) out.push_back(sep_);
      out.insert(out.end(), b->begin(), b->end());
      if (add_special_tokens) out.push_back(sep_);
      type_ids.resize(out.size(), 1);
    }
  }

 private:
  // Roberta's reader also checked that the id is an integer; Bert's accepted any second element.
  static Piece parse(const Fields& f, std::string_view key, TokenResolver& r, bool check_id) {
    const json& v = f.array(key);
    if (v.size() != 2 || !v[0].is_string() || (check_id && !v[1].is_number_integer()))
      f.fail(key, "must be a [token, id] pair");
    return special_piece(v[0].get<std::string>(), 0, r).piece;
  }

  const std::vector<Piece>& trimmed(const std::vector<Piece>& seq, std::vector<Piece>& copy) const {
    if (!trim_offsets_) return seq;
    copy = seq;
    trim_offsets(copy, add_prefix_space_);
    return copy;
  }

  Piece cls_;
  Piece sep_;
  bool double_separator_;
  bool trim_offsets_ = false;
  bool add_prefix_space_ = false;
};

// Transformers.js' ByteLevel post-processor returns the sequences unchanged; the tokenizer then
// keeps only the first (a text pair's second text is dropped) and has no token type ids.
class ByteLevelProcessing final : public PostProcessor {
 public:
  explicit ByteLevelProcessing(const Fields& f)
      : add_prefix_space_(f.boolean("add_prefix_space", true)), trim_offsets_(f.boolean("trim_offsets", true)) {
    f.boolean("use_regex", true);
  }
  void process(const std::vector<Piece>& a, const std::vector<Piece>*, bool, std::vector<Piece>& out,
               std::vector<int64_t>& type_ids) const override {
    const size_t first = out.size();
    out.insert(out.end(), a.begin(), a.end());
    if (trim_offsets_) {
      std::vector<Piece> seq(out.begin() + static_cast<std::ptrdiff_t>(first), out.end());
      trim_offsets(seq, add_prefix_space_);
      std::copy(seq.begin(), seq.end(), out.begin() + static_cast<std::ptrdiff_t>(first));
    }
    type_ids.assign(out.size(), 0);
  }
  bool keeps_pair() const override { return true; }

 private:
  bool add_prefix_space_;
  bool trim_offsets_;
};

class SequenceProcessing final : public PostProcessor {
 public:
  SequenceProcessing(const Fields& f, TokenResolver& r) {
    const json& list = f.array("processors");
    for (size_t i = 0; i < list.size(); ++i) {
      const std::string where = "processors[" + std::to_string(i) + "]";
      if (list[i].is_null()) f.fail(where, "must be a post-processor, got null");
      items_.push_back(create_post_processor(list[i], f.source(), r, f.component() + " " + where));
    }
  }

  void process(const std::vector<Piece>& a, const std::vector<Piece>* b, bool add_special_tokens,
               std::vector<Piece>& out, std::vector<int64_t>& type_ids) const override {
    std::vector<Piece> cur(a.begin(), a.end()), pair, next;
    bool has_pair = b != nullptr, has_types = false;
    if (b) pair.assign(b->begin(), b->end());
    std::vector<int64_t> types;
    for (const auto& p : items_) {
      if (p->keeps_pair()) {  // {tokens, tokens_pair}: type ids are gone
        has_types = false;
        continue;
      }
      next.clear();
      types.clear();
      p->process(cur, has_pair ? &pair : nullptr, add_special_tokens, next, types);
      cur.swap(next);
      has_pair = false;
      has_types = true;
    }
    out.insert(out.end(), cur.begin(), cur.end());
    if (has_types)
      type_ids = types;
    else
      type_ids.assign(out.size(), 0);
  }

 private:
  std::vector<std::unique_ptr<PostProcessor>> items_;
};

}  // namespace

std::unique_ptr<PostProcessor> create_post_processor(const json& config, const JsonSource& source,
                                                     TokenResolver& resolver, std::string_view component) {
  if (config.is_null()) return nullptr;
  Fields f(config, source, std::string(component));
  const std::string type = f.string("type");
  Fields typed(config, source, std::string(component) + " (" + type + ")");
  if (type == "TemplateProcessing") return std::make_unique<TemplateProcessing>(typed, resolver);
  if (type == "BertProcessing") return std::make_unique<ClsSepProcessing>(typed, resolver, false);
  if (type == "RobertaProcessing") return std::make_unique<ClsSepProcessing>(typed, resolver, true);
  if (type == "ByteLevel") return std::make_unique<ByteLevelProcessing>(typed);
  if (type == "Sequence") return std::make_unique<SequenceProcessing>(typed, resolver);
  f.fail("type", "names an unsupported post-processor \"" + type + "\"");
}

}  // namespace transformers::tokenizers
