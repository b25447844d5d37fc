"""The data of the transliteration model (tools/translit/train.py): Russian words from Debian's hunspell-ru
dictionary, romanized by ICU's BGN/PCGN transform, split into training, validation and held-out words by
a fixed seed. Every word of the held-out split is never seen in training.

  /usr/bin/python3 tools/translit/words.py                  prints the split sizes and a few examples
  /usr/bin/python3 tools/translit/words.py --write-held-out  writes tests/fixtures/translit/held_out.tsv
                                                            (word TAB ICU's romanization; the tests and
                                                            tools/translit/evaluate.py read it)

Needs Debian's hunspell-ru and python3-icu (scripts/setup.sh --translit installs both).
"""
import random
import re
import sys
import unicodedata
from pathlib import Path

DICTIONARY = "/usr/share/hunspell/ru_RU.dic"
DICTIONARY_PACKAGE = "hunspell-ru"
ICU_TRANSFORM = "Russian-Latin/BGN"
SEED = 20261201
HELD_OUT = 3000
VALIDATION = 1000

# Whole words of Russian letters only (the dictionary also has abbreviations with dots and hyphenated
# compounds; a hyphen would only be copied).
WORD = re.compile(r"^[А-Яа-яЁё]{2,24}$")


def dictionary_words(path=DICTIONARY):
    """The dictionary's stems (the part before the affix flags), NFC, deduplicated, sorted."""
    words = set()
    with open(path, encoding="utf-8") as f:
        next(f)  # the entry count
        for line in f:
            w = unicodedata.normalize("NFC", line.split("/", 1)[0].strip())
            if WORD.match(w):
                words.add(w)
    return sorted(words)


def transliterator():
    import icu
    return icu.Transliterator.createInstance(ICU_TRANSFORM)


def split(words, seed=SEED):
    """(train, validation, held_out) lists of (russian, latin) pairs."""
    t = transliterator()
    shuffled = list(words)
    random.Random(seed).shuffle(shuffled)
    pairs = [(w, t.transliterate(w)) for w in shuffled]
    held = pairs[:HELD_OUT]
    val = pairs[HELD_OUT:HELD_OUT + VALIDATION]
    train = pairs[HELD_OUT + VALIDATION:]
    return train, val, held


HELD_OUT_FILE = Path(__file__).resolve().parents[2] / "tests/fixtures/translit/held_out.tsv"

if __name__ == "__main__":
    tr, va, ho = split(dictionary_words())
    if "--write-held-out" in sys.argv:
        HELD_OUT_FILE.parent.mkdir(parents=True, exist_ok=True)
        HELD_OUT_FILE.write_text("".join(f"{w}\t{l}\n" for w, l in ho), encoding="utf-8")
        print(f"wrote {HELD_OUT_FILE}")
    print(f"train {len(tr)}, validation {len(va)}, held out {len(ho)}")
    for w, l in ho[:10]:
        print(f"  {w} -> {l}")
