// Chat templates: every case of tests/fixtures/golden/chat_templates.json (Transformers.js 4.3.1's
// apply_chat_template over the real templates in tests/fixtures/chat_templates/ and inline feature
// templates; tools/golden/chat_template_goldens.mjs) byte for byte, then the engine's own guarantees:
// error messages, limits, key order, thread safety.
#include "tokenizers/chat_template.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "test_support.hpp"
#include "tokenizers/jinja/jinja.hpp"
#include "transformers/error.hpp"

namespace {

using nlohmann::ordered_json;
using transformers::ChatTemplateOptions;
using transformers::InvalidInputError;
using transformers::jinja::RenderLimits;
using transformers::jinja::Template;

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + p.string());
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string template_file(const std::string& name) {
  return read_file(transformers::fixtures::root() / "chat_templates" / name);
}

const ordered_json& golden() {
  static const ordered_json g =
      ordered_json::parse(read_file(transformers::fixtures::root() / "golden" / "chat_templates.json"));
  return g;
}

struct Outcome {
  bool ok = false;
  std::string text;  // the output, or the error message
};

ordered_json resolve(const ordered_json& v) {
  if (v == "$tools") return golden()["tools"];
  if (v == "$documents") return golden()["documents"];
  return v;
}

// What the C++ side gives for a golden case: the config's template and tokens, the options split into
// ChatTemplateOptions fields and extra variables, as Transformers.js' apply_chat_template splits them.
Outcome run_case(const ordered_json& c) {
  ordered_json config = c["config"];
  if (config.contains("config_file"))
    config = ordered_json::parse(read_file(transformers::fixtures::root() / config["config_file"].get<std::string>()));
  if (config.contains("chat_template_file"))
    config["chat_template"] = template_file(config["chat_template_file"].get<std::string>());
  if (config.contains("chat_template") && config["chat_template"].is_array())
    for (auto& entry : config["chat_template"])
      if (entry.contains("template_file"))
        entry = {{"name", entry["name"]}, {"template", template_file(entry["template_file"].get<std::string>())}};
  const ordered_json messages = c.contains("chat") ? golden()["chats"][c["chat"].get<std::string>()] : c["messages"];
  ChatTemplateOptions options;
  std::optional<std::string> requested;
  for (const auto& [key, raw] : c["options"].items()) {
    const ordered_json value = resolve(raw);
    if (key == "add_generation_prompt")
      options.add_generation_prompt = value.get<bool>();
    else if (key == "tools")
      options.tools = value;
    else if (key == "documents")
      options.documents = value;
    else if (key == "chat_template")
      requested = value.get<std::string>();
    else
      options.extra[key] = value;
  }
  try {
    transformers::set_special_tokens_from_config(options, config);
    const std::string source = transformers::select_chat_template(config.value("chat_template", ordered_json()),
                                                                  requested, !options.tools.is_null());
    return {true, transformers::apply_chat_template(source, messages, options)};
  } catch (const InvalidInputError& e) {
    return {false, e.what()};
  }
}

bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

// Compares one case; returns false (after reporting) on a mismatch.
bool check_case(const ordered_json& c) {
  const std::string name = c["name"].get<std::string>();
  const Outcome got = run_case(c);
  if (c.contains("output")) {
    const std::string want = c["output"].get<std::string>();
    if (!got.ok) {
      ADD_FAILURE() << name << ": expected output, got error: " << got.text;
      return false;
    }
    if (got.text != want) {
      size_t at = 0;
      while (at < want.size() && at < got.text.size() && want[at] == got.text[at]) ++at;
      ADD_FAILURE() << name << ": output differs at byte " << at
                    << "\n  want: " << ordered_json(want.substr(at, 80)).dump()
                    << "\n  got:  " << ordered_json(got.text.substr(at, 80)).dump();
      return false;
    }
    return true;
  }
  const std::string want = c["error"].get<std::string>();
  const std::string phase = c.value("phase", "");
  if (got.ok) {
    ADD_FAILURE() << name << ": expected the " << phase << " error \"" << want << "\", got output "
                  << ordered_json(got.text).dump();
    return false;
  }
  const bool syntax = starts_with(got.text, "Jinja template syntax error at line ");
  const bool render = starts_with(got.text, "Jinja template error");
  if (phase == "syntax") {
    if (!syntax || got.text.find(", column ") == std::string::npos) {
      ADD_FAILURE() << name << ": expected a syntax error naming line and column (Transformers.js: " << want
                    << "), got: " << got.text;
      return false;
    }
    return true;
  }
  if (phase == "render") {
    if (want.empty()) return true;  // raise_exception(none), {% break %} outside a loop: ours says more
    bool same;
    if (render) {  // our message carries @huggingface/jinja's, after where it happened
      // JavaScript's own TypeErrors (a property of undefined, ...) are worded by V8; ours say the same thing.
      same = c.value("error_name", "") == "TypeError" || got.text.find(": " + want) != std::string::npos;
    } else {  // raise_exception(): the template's message, verbatim
      same = !syntax && got.text == want;
    }
    if (!same) ADD_FAILURE() << name << ": expected the render error \"" << want << "\", got: " << got.text;
    return same;
  }
  // input: the messages, the config or the choice of template; our wording is our own except where
  // Transformers.js' own messages are copied.
  for (const char* copied :
       {"This model has multiple chat templates", "Chat template must be a list", "Cannot use apply_chat_template()"}) {
    if (starts_with(want, copied) && got.text != want) {
      ADD_FAILURE() << name << ": expected \"" << want << "\", got: " << got.text;
      return false;
    }
  }
  return true;
}

void check_cases(const std::function<bool(const std::string&)>& select, size_t at_least) {
  size_t n = 0, failed = 0;
  for (const auto& c : golden()["cases"]) {
    if (!select(c["name"].get<std::string>())) continue;
    ++n;
    if (!check_case(c)) ++failed;
  }
  EXPECT_GE(n, at_least);
  EXPECT_EQ(failed, 0u) << failed << " of " << n << " cases differ";
}

TEST(ChatTemplateGolden, RecordsTheReference) {
  EXPECT_EQ(golden()["transformers_js"], "4.3.1");
  EXPECT_EQ(golden()["jinja"], "0.5.10");
  EXPECT_GE(golden()["cases"].size(), 1000u);
}

TEST(ChatTemplateGolden, RealTemplates) {
  check_cases([](const std::string& n) { return n.find(" / ") != std::string::npos && !starts_with(n, "feature: "); },
              800);
}

TEST(ChatTemplateGolden, LanguageFeatures) {
  check_cases([](const std::string& n) { return starts_with(n, "feature: "); }, 180);
}

TEST(ChatTemplateGolden, ConfigsAndMessages) {
  check_cases([](const std::string& n) { return n.find(" / ") == std::string::npos && !starts_with(n, "feature: "); },
              25);
}

// Each named family is covered (a renamed fixture must not silently drop them).
TEST(ChatTemplateGolden, CoversTheMainFamilies) {
  for (const char* file :
       {"llama3_8b", "llama3.1_8b", "llama3.2_3b", "qwen2.5_0.5b", "qwen3_0.6b", "mistral_7b-instruct-fp16",
        "phi3_3.8b", "gemma2_2b", "gemma3_1b", "smollm2_135m", "tinyllama_1.1b"}) {
    size_t outputs = 0;
    for (const auto& c : golden()["cases"])
      if (starts_with(c["name"].get<std::string>(), std::string(file) + " / ") && c.contains("output")) ++outputs;
    EXPECT_GE(outputs, 10u) << file;
  }
}

// --- the engine's own behaviour ---

std::string render(const std::string& source, const ordered_json& context = ordered_json::object(),
                   const RenderLimits& limits = {}) {
  return Template(source).render(context, limits);
}

template <class F>
std::string error_of(F&& f) {
  return transformers::fixtures::message_of<InvalidInputError>(f);
}

TEST(Jinja, SyntaxErrorsNameLineColumnAndWhatWasExpected) {
  const std::string m = error_of([] { Template("line one\nline two {{ x ) }}"); });
  EXPECT_NE(m.find("syntax error at line 2, column 15"), std::string::npos) << m;
  EXPECT_NE(m.find("expected '}}'"), std::string::npos) << m;
  const std::string unclosed = error_of([] { Template("a\n{% if x %}\nnever closed"); });
  EXPECT_NE(unclosed.find("line 2, column 1"), std::string::npos) << unclosed;
  EXPECT_NE(unclosed.find("{% endif %}"), std::string::npos) << unclosed;
  const std::string unicode = error_of([] { Template("é€🦙 {{ @ }}"); });
  EXPECT_NE(unicode.find("line 1, column 8"), std::string::npos) << unicode;  // columns count characters
  const std::string stray = error_of([] { Template("{% for x in y %}{% endif %}"); });
  EXPECT_NE(stray.find("'{% endif %}' closes no open block"), std::string::npos) << stray;
}

TEST(Jinja, RenderErrorsSayWhere) {
  const std::string m = error_of([] { render("ok\n  {{ 'x'|nonexistent }}"); });
  EXPECT_EQ(m, "Jinja template error at line 2, column 6: Unknown StringValue filter: nonexistent");
}

TEST(Jinja, RaiseExceptionKeepsTheTemplatesMessage) {
  EXPECT_EQ(error_of([] { render("{{ raise_exception('Conversation roles must alternate user/assistant') }}"); }),
            "Conversation roles must alternate user/assistant");
}

TEST(Jinja, UndefinedVariablesAsHuggingFaceJinja) {
  EXPECT_EQ(render("[{{ nope }}][{{ nope.x.y }}][{{ nope is defined }}][{{ nope|default('d') }}][{{ 1 in nope }}]"),
            "[][][false][d][false]");
  EXPECT_EQ(error_of([] { render("{{ nope + 1 }}"); }),
            "Jinja template error at line 1, column 4: Cannot perform operation + on undefined values");
  EXPECT_NE(
      error_of([] { render("{{ nope|length }}"); }).find("Cannot apply filter \"length\" to type: UndefinedValue"),
      std::string::npos);
  EXPECT_NE(
      error_of([] { render("{{ nope() }}"); }).find("Cannot call something that is not a function: got UndefinedValue"),
      std::string::npos);
}

TEST(Jinja, RunawayRecursionIsAnError) {
  const std::string m = error_of([] { render("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}"); });
  EXPECT_NE(m.find("nest"), std::string::npos) << m;
  // Limits are the caller's: a shallow one stops sooner, and a tiny stack budget is honoured too.
  RenderLimits shallow;
  shallow.max_call_depth = 5;
  EXPECT_NE(error_of([&] {
              render("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}", ordered_json::object(), shallow);
            }).find("deeper than 5"),
            std::string::npos);
  RenderLimits tiny_stack;
  tiny_stack.max_stack_bytes = 16 << 10;
  EXPECT_NE(error_of([&] {
              render("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}", ordered_json::object(), tiny_stack);
            }).find("stack"),
            std::string::npos);
  // Mutual recursion through caller() as well.
  EXPECT_NE(error_of([] { render("{% macro m() %}{% call m() %}x{% endcall %}{% endmacro %}{{ m() }}"); }).find("nest"),
            std::string::npos);
}

TEST(Jinja, DeepNestingInTheSourceIsASyntaxError) {
  const std::string deep = "{{ " + std::string(5000, '(') + "1" + std::string(5000, ')') + " }}";
  EXPECT_NE(error_of([&] { Template t(deep); }).find("nests deeper"), std::string::npos);
  std::string blocks;
  for (int i = 0; i < 3000; ++i) blocks += "{% if true %}";
  EXPECT_NE(error_of([&] { Template t(blocks); }).find("nests deeper"), std::string::npos);
  EXPECT_NE(error_of([] { Template t("{{ " + std::string(100000, '-') + "1 }}"); }).find("nests deeper"),
            std::string::npos);
}

TEST(Jinja, EndlessLoopsStop) {
  RenderLimits limits;
  limits.max_steps = 200'000;
  const std::string m = error_of([&] {
    render("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}", ordered_json::object(),
           limits);
  });
  EXPECT_NE(m.find("steps"), std::string::npos) << m;
  EXPECT_NE(error_of([] { render("{{ range(1000000000) }}"); }).find("more than"), std::string::npos);
  // The limit is exact: a range of max_list_items is built, one more item is refused.
  RenderLimits ten_items;
  ten_items.max_list_items = 10;
  EXPECT_EQ(render("{{ range(10)|length }} {{ range(0, 5, 0.5)|length }}", ordered_json::object(), ten_items), "10 10");
  EXPECT_NE(error_of([&] { render("{{ range(11) }}", ordered_json::object(), ten_items); }).find("more than 10 items"),
            std::string::npos);
  EXPECT_NE(error_of([&] { render("{{ range(10, -1, -1) }}", ordered_json::object(), ten_items); }).find("more than"),
            std::string::npos);
  // A step too small to move a large start never ends in JavaScript; here it hits the list limit.
  EXPECT_NE(error_of([] { render("{{ range('1e300'|float, '1e301'|float)|length }}"); }).find("more than"),
            std::string::npos);
}

TEST(Jinja, OutputAndMemoryAreBounded) {
  RenderLimits limits;
  limits.max_output_bytes = 1 << 20;
  const char* doubling =
      "{% set ns = namespace(s='x') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s|length "
      "}}";
  EXPECT_NE(
      error_of([&] { render(doubling, ordered_json::object(), limits); }).find("exceed the limit of 1048576 bytes"),
      std::string::npos);
  EXPECT_NE(error_of([&] {
              render("{% for i in range(600000) %}ab{% endfor %}", ordered_json::object(), limits);
            }).find("exceed"),
            std::string::npos);
  RenderLimits small_memory;
  small_memory.max_memory_bytes = 8 << 20;
  const char* hoard =
      "{% set ns = namespace(s='x', all=[]) %}{% for i in range(20) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}"
      "{% for i in range(100) %}{% set ns.all = ns.all + [ns.s ~ i] %}{% endfor %}{{ ns.all|length }}";
  EXPECT_NE(error_of([&] { render(hoard, ordered_json::object(), small_memory); }).find("MiB"), std::string::npos);
  EXPECT_EQ(render(hoard), "100");  // 100 MiB of strings fit the default budget
}

TEST(Jinja, ValuesNestBoundedAndCyclesAreSafe) {
  EXPECT_NE(error_of([] {
              render("{% set ns = namespace(x=1) %}{% for i in range(1000) %}{% set ns.x = [ns.x] %}{% endfor %}");
            }).find("deeper than 512"),
            std::string::npos);
  // A namespace that contains itself cannot be printed (JavaScript overflows its stack), and is freed.
  EXPECT_NE(error_of([] { render("{% set ns = namespace() %}{% set ns.me = ns %}{{ ns }}"); }).find("nests too deeply"),
            std::string::npos);
  // A 100,000-long chain of namespaces is freed without recursing 100,000 deep.
  EXPECT_EQ(
      render("{% set ns = namespace() %}{% set ns.tail = ns %}{% for i in range(100000) %}{% set n = namespace() %}"
             "{% set ns.tail.next = n %}{% set ns.tail = n %}{% endfor %}ok"),
      "ok");
  ordered_json deep = 1;
  for (int i = 0; i < 600; ++i) deep = ordered_json::array({deep});
  EXPECT_NE(error_of([&] { render("{{ x }}", {{"x", deep}}); }).find("nests deeper than 512"), std::string::npos);
}

TEST(Jinja, ObjectKeysInJavaScriptOrder) {
  // JSON.parse puts array-index keys first (ascending), then the others in insertion order.
  const ordered_json ctx = ordered_json::parse(R"({"d": {"b": 1, "10": 2, "a": 3, "2": 4, "02": 5}})");
  EXPECT_EQ(render("{{ d|tojson }}|{% for k in d %}{{ k }} {% endfor %}", ctx),
            R"({"2": 4, "10": 2, "b": 1, "a": 3, "02": 5}|2 10 b a 02 )");
  // nlohmann::json sorts its keys: that order is what the template sees.
  const nlohmann::json sorted = nlohmann::json::parse(R"({"d": {"b": 1, "a": 3}})");
  EXPECT_EQ(Template("{{ d|tojson }}").render(sorted), R"({"a": 3, "b": 1})");
}

TEST(Jinja, IntegralFloatsFromJsonAreIntegers) {
  EXPECT_EQ(render("{{ x }} {{ x is integer }} {{ y }} {{ 2.0 }} {{ 2.0|tojson }}",
                   ordered_json::parse(R"({"x": 2.0, "y": 2.5})")),
            "2 true 2.5 2.0 2");
}

TEST(Jinja, ContextMustBeAnObjectWithoutGlobalNames) {
  EXPECT_NE(error_of([] { render("x", ordered_json::array()); }).find("JSON object"), std::string::npos);
  for (const char* name : {"true", "none", "range", "namespace", "raise_exception", "None"})
    EXPECT_NE(error_of([&] {
                render("x", {{name, 1}});
              }).find(std::string("Variable already declared: ") + name),
              std::string::npos);
}

TEST(Jinja, StrftimeNowFormatsTheLocalTime) {
  const std::string out = render("{{ strftime_now('%Y-%m-%d %H:%M %b %B %%') }}");
  EXPECT_TRUE(std::regex_match(out, std::regex(R"(\d{4}-\d\d-\d\d \d\d:\d\d [A-Z][a-z]{2} [A-Z][a-z]+ %)"))) << out;
}

TEST(Jinja, RendersConcurrently) {
  const Template t(template_file("qwen3_0.6b.jinja"));
  const ordered_json ctx = {
      {"messages", golden()["chats"]["tools"]}, {"tools", golden()["tools"]}, {"add_generation_prompt", true}};
  const std::string expected = t.render(ctx);
  std::vector<std::thread> threads;
  std::vector<int> same(4, 0);
  for (int i = 0; i < 4; ++i)
    threads.emplace_back([&, i] {
      for (int k = 0; k < 50; ++k) same[i] += t.render(ctx) == expected;
    });
  for (auto& th : threads) th.join();
  for (int s : same) EXPECT_EQ(s, 50);
}

TEST(Jinja, MovesAndKeepsItsSource) {
  Template a("{{ 1 + 1 }}");
  Template b(std::move(a));
  EXPECT_EQ(b.render(ordered_json::object()), "2");
  EXPECT_EQ(b.source(), "{{ 1 + 1 }}");
}

// --- apply_chat_template ---

TEST(ChatTemplate, ChecksMessagesAndNamesTheBadOne) {
  const std::string tpl = "{% for m in messages %}{{ m.content }}{% endfor %}";
  ChatTemplateOptions o;
  EXPECT_EQ(error_of([&] { transformers::apply_chat_template(tpl, ordered_json::object(), o); }),
            "chat messages must be a list of {role, content} objects, got an object");
  EXPECT_EQ(error_of([&] {
              transformers::apply_chat_template(tpl, ordered_json::parse(R"([{"role":"user","content":"a"}, "b"])"), o);
            }),
            "chat message 1 must be an object with \"role\" and \"content\", got a string");
  EXPECT_EQ(error_of([&] { transformers::apply_chat_template(tpl, ordered_json::parse(R"([{"role":"user"}])"), o); }),
            "chat message 0 has no \"content\" field");
  EXPECT_EQ(error_of([&] { transformers::apply_chat_template(tpl, ordered_json::parse(R"([{"content":"x"}])"), o); }),
            "chat message 0 has no \"role\" field");
  EXPECT_EQ(transformers::apply_chat_template(tpl, nlohmann::json::parse(R"([{"role":"user","content":"hi"}])"), o),
            "hi");
}

TEST(ChatTemplate, PassesTheVariablesTransformersJsPasses) {
  ChatTemplateOptions o;
  o.add_generation_prompt = true;
  o.bos_token = "<s>";
  o.tools = ordered_json::array({{{"name", "f"}}});
  o.extra = {{"enable_thinking", false}, {"eos_token", "E"}};
  EXPECT_EQ(
      transformers::apply_chat_template(
          "{{ bos_token }}|{{ eos_token }}|{{ pad_token is defined }}|{{ add_generation_prompt }}|{{ tools[0].name }}|"
          "{{ documents is none }}|{{ enable_thinking }}|{{ messages|length }}",
          ordered_json::array(), o),
      "<s>|E|false|true|f|true|false|0");
  o.extra = {{"tokenize", true}};
  EXPECT_NE(error_of([&] {
              transformers::apply_chat_template("x", ordered_json::array(), o);
            }).find("'tokenize' is an option"),
            std::string::npos);
  o.extra = {{"tools", true}};
  EXPECT_NE(error_of([&] {
              transformers::apply_chat_template("x", ordered_json::array(), o);
            }).find("ChatTemplateOptions::tools"),
            std::string::npos);
}

TEST(ChatTemplate, ReadsTheTinyLlamaConfig) {
  const ordered_json config =
      ordered_json::parse(read_file(transformers::fixtures::model("tiny-llama") / "tokenizer_config.json"));
  ChatTemplateOptions o;
  transformers::set_special_tokens_from_config(o, config);
  EXPECT_EQ(o.bos_token, "<|begin_of_text|>");
  EXPECT_EQ(o.eos_token, "<|eot_id|>");
  EXPECT_EQ(o.pad_token, "<|end_of_text|>");
  o.add_generation_prompt = true;
  const std::string source = transformers::select_chat_template(config["chat_template"], std::nullopt, false);
  EXPECT_EQ(source, template_file("llama3_8b.jinja"));
  EXPECT_EQ(transformers::apply_chat_template(source, ordered_json::parse(R"([{"role":"user","content":" Hi! "}])"), o),
            "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi!<|eot_id|><|start_header_id|>assistant<|"
            "end_header_id|>\n\n");
}

TEST(ChatTemplate, ParsesOnceForManyConversations) {
  const transformers::ChatTemplate t(template_file("smollm2_135m.jinja"));
  ChatTemplateOptions o;
  o.add_generation_prompt = true;
  const std::string a = t.apply(golden()["chats"]["user_only"], o);
  EXPECT_EQ(a, t.apply(golden()["chats"]["user_only"], o));
  EXPECT_NE(a, t.apply(golden()["chats"]["system_multi_turn"], o));
  EXPECT_NE(error_of([] { transformers::ChatTemplate bad("{% if %}"); }).find("syntax error"), std::string::npos);
}

}  // namespace
