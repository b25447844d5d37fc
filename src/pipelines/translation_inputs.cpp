#include "pipelines/translation_inputs.hpp"

#include <regex>

#include "transformers/error.hpp"

namespace transformers::pipelines {

namespace {
struct LanguageScheme {
  std::regex token;   // what a language token looks like
  bool m2m = false;   // codes are given without the __ __ around the token
};

std::optional<LanguageScheme> scheme_of(const nlohmann::json& tokenizer_config) {
  std::string cls = tokenizer_config.value("tokenizer_class", std::string());
  if (cls.size() > 4 && cls.compare(cls.size() - 4, 4, "Fast") == 0) cls.resize(cls.size() - 4);
  if (cls == "NllbTokenizer") return LanguageScheme{std::regex("^[a-z]{3}_[A-Z][a-z]{3}$"), false};
  if (cls == "M2M100Tokenizer") return LanguageScheme{std::regex("^__[a-z]{2,3}__$"), true};
  if (cls == "MBartTokenizer" || cls == "MBart50Tokenizer") return LanguageScheme{std::regex("^[a-z]{2}_[A-Z]{2}$"), false};
  return std::nullopt;
}

std::string token_of(const LanguageScheme& s, const std::string& code) { return s.m2m ? "__" + code + "__" : code; }
}  // namespace

std::vector<Encoding> translation_inputs(const Tokenizer& tokenizer, const nlohmann::json& tokenizer_config,
                                         const std::filesystem::path& model, const std::vector<std::string>& texts,
                                         const EncodeOptions& options, const std::optional<std::string>& src_lang,
                                         const std::optional<std::string>& tgt_lang,
                                         generation::GenerationConfig& config) {
  const auto scheme = scheme_of(tokenizer_config);
  if (!scheme) {
    if (src_lang || tgt_lang)
      throw InvalidInputError("translation: src_lang/tgt_lang apply to multilingual tokenizers (NLLB, M2M100, mBART); "
                              "the tokenizer of " + model.string() + " has no language codes");
    return tokenizer.encode_many(texts, {}, options);
  }
  // The language codes: special tokens of the scheme's form, as Transformers.js lists them.
  std::vector<std::string> codes;
  for (size_t id = 0; id < tokenizer.vocab_size(); ++id) {
    if (!tokenizer.is_special_id(static_cast<int64_t>(id))) continue;
    const auto token = tokenizer.id_to_token(static_cast<int64_t>(id));
    if (token && std::regex_match(*token, scheme->token)) codes.push_back(scheme->m2m ? token->substr(2, token->size() - 4) : *token);
  }
  auto check = [&](const std::optional<std::string>& code, const char* what) {
    if (!code) return;
    if (std::find(codes.begin(), codes.end(), *code) != codes.end()) return;
    std::string list;
    for (const auto& c : codes) list += (list.empty() ? "" : ", ") + c;
    throw InvalidInputError(std::string("translation: ") + what + " '" + *code + "' is not a language code of " +
                            model.string() + "; it has: " + list);
  };
  if (!tgt_lang) throw InvalidInputError("translation: " + model.string() + " is multilingual: give tgt_lang (and src_lang)");
  check(tgt_lang, "tgt_lang");
  check(src_lang, "src_lang");
  config.forced_bos_token_id = tokenizer.token_to_id(token_of(*scheme, *tgt_lang));
  std::vector<Encoding> rows = tokenizer.encode_many(texts, {}, options);
  if (src_lang) {  // the post-processor's language token becomes src_lang's
    const std::string src_token = token_of(*scheme, *src_lang);
    const int64_t src_id = *tokenizer.token_to_id(src_token);
    for (auto& row : rows) {
      for (size_t k = 0; k < row.ids.size(); ++k) {
        if (!tokenizer.is_special_id(row.ids[k]) || !std::regex_match(row.tokens[k], scheme->token)) continue;
        row.ids[k] = src_id;
        row.tokens[k] = src_token;
        break;
      }
    }
  }
  return rows;
}

}  // namespace transformers::pipelines
