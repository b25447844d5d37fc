// Models. Supported: WordPiece, WordLevel, BPE (bpe.cpp), Unigram (sentencepiece.cpp).
#include <deque>
#include <string>

#include "transformers/error.hpp"

#include "bpe_family.hpp"
#include "sentencepiece_family.hpp"
#include "components.hpp"

namespace transformers::tokenizers {
namespace {

void load_vocab_object(const Fields& f, Vocab& vocab) {
  const json& v = f.object("vocab");
  vocab.reserve(v.size());
  for (auto it = v.begin(); it != v.end(); ++it) {
    if (!it->is_number_integer())
      f.fail("vocab", "must map tokens to integer ids, but \"" + it.key() + "\" maps to " + json_type_name(*it));
    if (!vocab.set(it.key(), it->get<int64_t>()))
      f.fail("vocab", "has an unusable id " + std::to_string(it->get<int64_t>()) + " for \"" + it.key() + "\"");
  }
}

class WordPiece final : public Model {
 public:
  explicit WordPiece(const Fields& f)
      : unk_token_(f.string("unk_token")),
        prefix_(f.string_or("continuing_subword_prefix", "##")),
        max_chars_(f.unsigned_or("max_input_chars_per_word", 100)),
        source_(f.source()),
        component_(f.component()) {
    load_vocab_object(f, vocab_);
  }

  std::string_view unk_token() const override { return unk_key_; }
  int64_t unk_token_id() const override { return unk_id_; }
  std::string_view continuing_subword_prefix() const override { return prefix_; }

  void finalize() override {
    const int64_t* id = vocab_.find(unk_token_);
    if (!id) source_.fail(component_, "field \"unk_token\" names \"" + unk_token_ + "\", which is not in the vocabulary");
    unk_id_ = *id;
    unk_key_ = vocab_.key(unk_token_);
  }

  void tokenize(const NormalizedString& s, Range word, std::vector<Piece>& out) const override {
    const size_t n = word.size();
    if (n == 0) return;
    const Span whole{s.align[word.begin].begin, s.align[word.end - 1].end};
    if (n > max_chars_) {
      out.push_back({unk_id_, unk_key_, whole});
      return;
    }
    // buf = prefix + utf8(word); pos[k] = byte offset of code point k after the prefix.
    thread_local std::string buf;
    thread_local std::vector<uint32_t> pos;
    const size_t base = prefix_.size();
    buf.assign(prefix_);
    pos.resize(n + 1);
    for (size_t k = 0; k < n; ++k) {
      pos[k] = static_cast<uint32_t>(buf.size() - base);
      unicode::append_utf8(buf, s.text[word.begin + k]);
    }
    pos[n] = static_cast<uint32_t>(buf.size() - base);

    const size_t first_piece = out.size();
    const size_t max_bytes = vocab_.max_token_bytes();
    size_t start = 0;
    while (start < n) {
      // Make the continuation prefix contiguous with the rest of the word (earlier bytes are done).
      size_t view_begin = base + pos[start];
      if (start > 0) {
        view_begin -= base;
        buf.replace(view_begin, base, prefix_);
      }
      size_t end = n;
      while (end > start && (base + pos[end]) - view_begin > max_bytes) --end;
      const TokenMap::value_type* found = nullptr;
      for (; end > start; --end) {
        found = vocab_.entry(std::string_view(buf.data() + view_begin, base + pos[end] - view_begin));
        if (found) break;
      }
      if (!found) {
        out.resize(first_piece);
        out.push_back({unk_id_, unk_key_, whole});
        return;
      }
      out.push_back({found->second, found->first, Span{s.align[word.begin + start].begin, s.align[word.begin + end - 1].end}});
      start = end;
    }
  }

 private:
  std::string unk_token_;
  std::string prefix_;
  uint64_t max_chars_;
  JsonSource source_;
  std::string component_;
  int64_t unk_id_ = -1;
  std::string_view unk_key_;
};

// Transformers.js has no WordLevel: such a model falls to its Legacy model, which looks each
// pre-tokenized word up as a whole. Its unknown token is tokenizer_config.json's unk_token (we fall
// back to the model's own, Python's, when the config has none), and an unknown word keeps its text
// as its token (Python emits the unknown token's string).
class WordLevel final : public Model {
 public:
  explicit WordLevel(const Fields& f)
      : unk_token_(f.string_or("unk_token", "")), source_(f.source()), component_(f.component()) {
    load_vocab_object(f, vocab_);
  }

  void set_config_unk_token(const std::string& token) override { config_unk_ = token; }

  void finalize() override {
    for (const std::string* t : {&config_unk_, &unk_token_}) {
      if (t->empty()) continue;
      if (const int64_t* id = vocab_.find(*t)) {
        unk_id_ = *id;
        unk_key_ = vocab_.key(*t);
        return;
      }
    }
  }

  std::string_view unk_token() const override { return unk_key_; }
  int64_t unk_token_id() const override { return unk_id_; }
  void begin_encode() const override { t_unknown.clear(); }

  void tokenize(const NormalizedString& s, Range word, std::vector<Piece>& out) const override {
    if (word.empty()) return;
    thread_local std::string utf8;
    utf8.clear();
    for (size_t i = word.begin; i < word.end; ++i) unicode::append_utf8(utf8, s.text[i]);
    const Span span{s.align[word.begin].begin, s.align[word.end - 1].end};
    if (const auto* e = vocab_.entry(utf8)) {
      out.push_back({e->second, e->first, span});
      return;
    }
    if (unk_id_ < 0)
      throw InvalidInputError(source_.label() + ": " + component_ + ": \"" + utf8 +
                              "\" is not in the vocabulary and there is no unknown token (unk_token)");
    out.push_back({unk_id_, t_unknown.emplace_back(utf8), span});
  }

 private:
  std::string unk_token_;
  std::string config_unk_;
  JsonSource source_;
  std::string component_;
  int64_t unk_id_ = -1;
  std::string_view unk_key_;
  static thread_local std::deque<std::string> t_unknown;  // texts of this encode's unknown words
};

thread_local std::deque<std::string> WordLevel::t_unknown;

}  // namespace

std::unique_ptr<Model> create_model(const json& config, const JsonSource& source) {
  if (config.is_null()) source.fail("model", "is missing");
  Fields f(config, source, "model");
  // Older files omit the model type; Transformers.js then infers it from the fields.
  std::string type;
  if (const json* t = f.find("type")) {
    if (!t->is_string()) f.fail("type", std::string("must be a string, got ") + json_type_name(*t));
    type = t->get<std::string>();
  } else if (f.find("vocab") && f.find("vocab")->is_array()) {
    type = "Unigram";
  } else if (f.find("continuing_subword_prefix") && f.find("unk_token") && !f.find("merges") && f.find("vocab") &&
             f.find("vocab")->is_object()) {
    type = "WordPiece";
  } else if (f.find("continuing_subword_prefix") && f.find("unk_token") && f.find("merges") && f.find("vocab") &&
             f.find("vocab")->is_object()) {
    type = "BPE";
  } else if (f.find("vocab") && f.find("vocab")->is_object()) {
    type = "WordLevel";  // Transformers.js' Legacy model: a word-to-id table
  } else {
    f.fail("type", "is missing");
  }
  Fields typed(config, source, "model (" + type + ")");
  if (type == "WordPiece") return std::make_unique<WordPiece>(typed);
  if (type == "BPE") return make_bpe(typed);
  if (type == "Unigram") return make_unigram(typed);
  if (type == "WordLevel") return std::make_unique<WordLevel>(typed);
  f.fail("type", "names an unsupported model \"" + type + "\"");
}

}  // namespace transformers::tokenizers
