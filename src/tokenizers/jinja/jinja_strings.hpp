// JavaScript string semantics over UTF-8 text, for the Jinja runtime: @huggingface/jinja works on
// UTF-16 JavaScript strings, and where that shows (lengths, indexing, whitespace, case mapping, number
// parsing and printing, string ordering) these functions give the JavaScript answer for our UTF-8 bytes.
// A byte that is not valid UTF-8 counts as one code unit and is never changed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace transformers::jinja::text {

// The code point at s[i] and its length in bytes (>= 1). An invalid byte gives kInvalid and length 1.
inline constexpr char32_t kInvalid = 0x110000;
size_t decode(std::string_view s, size_t i, char32_t& cp);
void append_utf8(std::string& out, char32_t cp);

// JavaScript's WhiteSpace + LineTerminator set (what \s, trim() and parseInt skip).
bool is_js_space(char32_t cp);
// Length in bytes of the whitespace character at s[i], or 0.
size_t space_at(std::string_view s, size_t i);
std::string_view trim(std::string_view s);
std::string_view trim_start(std::string_view s);
std::string_view trim_end(std::string_view s);

// String#length: UTF-16 code units.
size_t utf16_length(std::string_view s);
// String#at(index) (negative counts from the end): one UTF-16 code unit as a string; half of a surrogate
// pair, which UTF-8 cannot hold, becomes U+FFFD. nullopt when out of range.
std::optional<std::string> utf16_at(std::string_view s, double index);
// Array.from(s): the code points, each as its own string_view into s.
std::vector<std::string_view> code_points(std::string_view s);
// a < b as JavaScript compares strings (by UTF-16 code units): -1, 0 or 1.
int compare_utf16(std::string_view a, std::string_view b);
// String#localeCompare in Node's default (en-US) collation for ASCII text: punctuation, digits, then
// letters case-insensitively with lower case first on ties. Text with other characters falls back to
// compare_utf16 where the ASCII rules do not decide.
int locale_compare(std::string_view a, std::string_view b);

// String#toUpperCase / #toLowerCase (full Unicode mappings, Final_Sigma included).
std::string to_upper(std::string_view s);
std::string to_lower(std::string_view s);
// @huggingface/jinja's title(): an ASCII word character after a non-word character is upper-cased.
std::string title_case(std::string_view s);
// charAt(0).toUpperCase() + slice(1).
std::string capitalize(std::string_view s);

// Number formatting: String(n) (JavaScript's Number#toString).
std::string number_to_string(double n);
// parseInt(s, 10), parseFloat(s) and Number(s): NaN when JavaScript gives NaN.
double parse_int(std::string_view s);
double parse_float(std::string_view s);
double string_to_number(std::string_view s);

}  // namespace transformers::jinja::text
