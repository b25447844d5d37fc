// Classifies one sentence through the installed package; prints Transformers.js-shaped JSON.
#include <iostream>
#include <transformers/transformers.hpp>

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  auto p = transformers::pipeline("text-classification", argv[1]);
  std::cout << p("I love this").to_json() << "\n";
  return 0;
}
