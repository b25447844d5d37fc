// translation's inputs for multilingual tokenizers, as Transformers.js' _build_translation_inputs: NLLB
// (fra_Latn), M2M100 (__fr__, given as fr) and mBART (fr_XX) take src_lang as the language token the
// post-processor adds and force tgt_lang's token as the first generated one (forced_bos_token_id). Internal.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "generation/generation_config.hpp"
#include "transformers/tokenizer.hpp"

namespace transformers::pipelines {

// Encodes `texts`; with a multilingual tokenizer sets config.forced_bos_token_id from tgt_lang (required).
// InvalidInputError for an unknown language code (listing the tokenizer's), for src_lang/tgt_lang given to a
// tokenizer without language codes, and for a multilingual tokenizer without tgt_lang.
std::vector<Encoding> translation_inputs(const Tokenizer& tokenizer, const nlohmann::json& tokenizer_config,
                                         const std::filesystem::path& model, const std::vector<std::string>& texts,
                                         const EncodeOptions& options, const std::optional<std::string>& src_lang,
                                         const std::optional<std::string>& tgt_lang,
                                         generation::GenerationConfig& config);

}  // namespace transformers::pipelines
