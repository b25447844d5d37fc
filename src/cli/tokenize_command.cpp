// `transformers-cpp tokenize`: what the tokenizer of a model folder makes of a text (ids, tokens,
// byte offsets), or of ids (--decode): what users reach for when an answer looks wrong.
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/args.hpp"
#include "cli/json_out.hpp"
#include "transformers/error.hpp"
#include "transformers/tokenizer.hpp"

namespace transformers::cli {

namespace {

namespace fs = std::filesystem;

Tokenizer load(const std::string& dir) {
  const fs::path tok = fs::path(dir) / "tokenizer.json";
  // A missing file is a load error (exit 1), as for every other command.
  if (!fs::exists(tok)) throw ModelLoadError("tokenizer.json not found: " + tok.string());
  const fs::path cfg = fs::path(dir) / "tokenizer_config.json";
  return Tokenizer::from_files(tok, fs::exists(cfg) ? cfg : fs::path());
}

// "101,7592, 102" -> ids; anything else is refused, naming the bad item.
std::vector<int64_t> parse_ids(const std::string& list) {
  std::vector<int64_t> ids;
  size_t pos = 0;
  while (pos <= list.size()) {
    size_t comma = list.find(',', pos);
    if (comma == std::string::npos) comma = list.size();
    std::string item = list.substr(pos, comma - pos);
    const size_t b = item.find_first_not_of(" \t"), e = item.find_last_not_of(" \t");
    item = b == std::string::npos ? "" : item.substr(b, e - b + 1);
    size_t used = 0;
    long long v = 0;
    try {
      v = std::stoll(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (item.empty() || used != item.size() || v < 0)
      throw InvalidInputError("tokenize --decode: '" + item + "' is not a token id (give comma-separated ids, e.g. 101,7592,102)");
    ids.push_back(v);
    pos = comma + 1;
  }
  return ids;
}

// A token as printed in the table: control characters and spaces made visible.
std::string visible(const std::string& token) {
  std::string out;
  for (unsigned char c : token) {
    if (c == ' ') out += "\xE2\x90\xA3";  // ␣
    else if (c == '\n') out += "\\n";
    else if (c == '\r') out += "\\r";
    else if (c == '\t') out += "\\t";
    else if (c < 0x20 || c == 0x7F) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02X", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

void print_table(const Encoding& e, const std::string& text, const std::string* pair) {
  std::printf("%5s %8s %5s  %-24s %-11s %s\n", "#", "id", "type", "token", "offsets", "text");
  for (size_t i = 0; i < e.ids.size(); ++i) {
    const auto [b, end] = e.offsets[i];
    // Offsets index the text the token came from; with a pair that is not known here: no text column.
    const std::string piece = !pair && end > b && end <= text.size() ? text.substr(b, end - b) : "";
    const std::string offsets = std::to_string(b) + ":" + std::to_string(end);
    std::printf("%5zu %8lld %5lld  %-24s %-11s %s\n", i, static_cast<long long>(e.ids[i]),
                static_cast<long long>(e.token_type_ids[i]), visible(e.tokens[i]).c_str(), offsets.c_str(),
                visible(piece).c_str());
  }
  std::printf("%zu tokens\n", e.ids.size());
}

// One encoding, as a table for people or one line of JSON.
void print_encoding(const Encoding& e, const std::string& text, const std::optional<std::string>& pair, bool json_out) {
  if (json_out) {
    nlohmann::ordered_json j;
    j["ids"] = e.ids;
    j["tokens"] = e.tokens;
    j["offsets"] = nlohmann::ordered_json::array();
    for (const auto& [b, end] : e.offsets) j["offsets"].push_back({b, end});
    j["attention_mask"] = e.attention_mask;
    j["token_type_ids"] = e.token_type_ids;
    print_json(j);
  } else {
    print_table(e, text, pair ? &*pair : nullptr);
  }
}

}  // namespace

int tokenize_command(const Args& args) {
  const Tokenizer tok = load(args.require("model"));
  const bool json_out = args.has("json");
  if (auto ids_arg = args.get("decode")) {
    if (!args.positionals().empty()) throw InvalidInputError("tokenize --decode takes ids only, not TEXT");
    const std::vector<int64_t> ids = parse_ids(*ids_arg);
    for (int64_t id : ids)  // an id the vocabulary does not have is an error, not [UNK]
      if (!tok.id_to_token(id))
        throw InvalidInputError("tokenize --decode: id " + std::to_string(id) + " is not in the vocabulary (" +
                                std::to_string(tok.vocab_size()) + " tokens)");
    const std::string text = tok.decode(ids, args.has("skip-special"));
    if (json_out) {
      nlohmann::ordered_json j;
      j["ids"] = ids;
      j["text"] = text;
      print_json(j);
    } else {
      std::printf("%s\n", text.c_str());
    }
    return 0;
  }
  if (args.positionals().size() > 1)
    throw InvalidInputError("tokenize: give one TEXT (quote it), lines on stdin, or --decode IDS");
  EncodeOptions options;
  options.add_special_tokens = !args.has("no-special");
  const auto pair = args.get("pair");
  if (args.positionals().empty()) {  // each stdin line, as run reads them (--json: JSON Lines)
    size_t line_no = 0;
    for (std::string line; std::getline(std::cin, line);) {
      ++line_no;
      try {
        print_encoding(pair ? tok.encode_pair(line, *pair, options) : tok.encode(line, options), line, pair, json_out);
      } catch (const InvalidInputError& e) {
        throw InvalidInputError("stdin line " + std::to_string(line_no) + ": " + e.what());
      }
    }
    if (line_no == 0) throw InvalidInputError("tokenize: no input text (give TEXT, lines on stdin, or --decode IDS)");
    return 0;
  }
  const std::string& text = args.positionals()[0];
  print_encoding(pair ? tok.encode_pair(text, *pair, options) : tok.encode(text, options), text, pair, json_out);
  return 0;
}

}  // namespace transformers::cli
