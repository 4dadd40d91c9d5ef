// Deterministic tokenizer test corpus (no randomness from the environment: a seeded PRNG).
//
// edgeCases(): short documents aimed at the tricky parts of the pipeline (whitespace runs,
// contractions in both cases, numbers, special tokens and look-alikes, scripts with combining
// marks, text that NFC changes, emoji sequences, code).
// invalidUtf8Cases(): raw byte strings that are not UTF-8 (Buffers).
// mixedDocs(totalBytes, docBytes): documents of about docBytes mixing all of the above with
// generated prose/code, totalling at least totalBytes of UTF-8.
'use strict';

function mulberry32(seed) {
  return function () {
    seed |= 0; seed = (seed + 0x6D2B79F5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PROSE = [
  "The quick brown fox jumps over the lazy dog.",
  "It was the best of times, it was the worst of times; it was the age of wisdom.",
  "Machine learning models don't read text: they read token ids, and we'll make sure those ids are right.",
  "DON'T PANIC. WE'LL BE FINE. THEY'VE SAID IT'S OK, AND I'M SURE YOU'D AGREE.",
  "She said, \"Isn't it strange?\" -- and he replied: 'Yes... it's very strange!'",
  "In 1969, Apollo 11 landed on the Moon; 384,400 km away, at 20:17 UTC on July 20th.",
  "Prices rose 3.5% to $1,234.56 (vs. €1.099,99) in Q3 2024.",
  "E-mail: someone@example.com; URL: https://example.org/path?q=1&lang=en#frag",
];
const WORDS = ("time person year way day thing man world life hand part child eye woman place work week case point " +
  "government company number group problem fact be have do say get make go know take see come think look want give use " +
  "find tell ask seem feel try leave call good new first last long great little own other old right big high different " +
  "small large next early young important few public bad same able tokenizer gradient checkpoint merge optimizer " +
  "shard bucket mount upload latency throughput parquet inference transformer attention embedding").split(" ");
const CODE = [
  "def fibonacci(n: int) -> int:\n    if n < 2:\n        return n\n    return fibonacci(n - 1) + fibonacci(n - 2)\n",
  "for (size_t i = 0; i < v.size(); ++i) {\n\tif (v[i] != 0) { sum += v[i] * 2; }\n}\n",
  "{\n  \"name\": \"skytrain\",\n  \"version\": \"0.1.0\",\n  \"tags\": [\"a\", \"b\"],\n  \"n\": 42\n}\n",
  "<div class=\"row\">\n    <span id='x'>&amp; &lt;tag&gt;</span>\n</div>\n",
  "SELECT id, COUNT(*) AS n FROM events WHERE ts >= '2024-01-01' GROUP BY id HAVING n > 10;\n",
  "#include <vector>\n\ntemplate <typename T>\nT clamp(T x, T lo, T hi) { return x < lo ? lo : x > hi ? hi : x; }\n",
  "    x = [i**2 for i in range(10) if i % 3 == 0]  # squares\n\n\n    print(f\"{x!r:>20}\")\n",
  "const re = /^\\s*(\\d+)\\s*$/g; let s = `tpl ${a + b}`; // comment\r\n",
];
const UNICODE = [
  "日本語のテキストです。東京は日本の首都です。",
  "中文文本：我们今天学习分词器。人工智能正在改变世界。",
  "한국어 텍스트입니다. 서울은 한국의 수도입니다.",
  "النص العربي: مرحبا بالعالم! كيف حالك اليوم؟ ١٢٣٤٥",
  "हिन्दी पाठ: नमस्ते दुनिया। भारत की राजधानी नई दिल्ली है। १२३",
  "ภาษาไทย: สวัสดีชาวโลก",
  "Ελληνικά: Καλημέρα κόσμε! ΣΊΣΥΦΟΣ σοφός.",
  "Русский текст: Привет, мир! Ёжик в тумане.",
  "Emoji: 😀 😃 👍🏽 👨‍👩‍👧‍👦 🇫🇷 🇯🇵 ❤️ 🏳️‍🌈 ✈︎ 🤖",
  "Combining: e\u0301 a\u0308 o\u0302\u0323 A\u030A \u212B \u1100\u1161\u11A8 ﬁ ｶ ① x\u0301\u0301\u0301",
  "Spaces: a\u00a0b\u3000c\u2009d\u200be\u2028f\u0085g",
  "Math: ∀x∈ℝ, ∃y: x² + y² ≤ 1 ⇒ |x| ≤ 1; ∑ᵢ aᵢ = ∞ ± ε",
];
const SPECIALS = ["<|im_start|>", "<|im_end|>", "<|endoftext|>", "<think>", "</think>", "<tool_call>", "</tool_call>",
  "<|begin_of_text|>", "<|end_of_text|>", "<|eot_id|>", "<|start_header_id|>", "<|end_header_id|>",
  "<|reserved_special_token_5|>"];
const LOOKALIKES = ["<|im_start|", "<|im_start >", "< |im_end|>", "<|IM_START|>", "<|im_start||>", "<im_start>",
  "<|endoftext", "|endoftext|>", "<<|im_end|>>", "<|reserved_special_token_999|>", "<think", "</think >"];

function edgeCases() {
  const c = [
    "", " ", "  ", "\n", "\t", "\r\n", "a", "A", "'", "'s", "'S",
    " ".repeat(1000), "\t".repeat(300), "\n".repeat(500), "\r\n".repeat(50), " \t\n".repeat(200),
    "a" + " ".repeat(17) + "b", "x  \n  y", "end with spaces   ", "   start with spaces", "\n\n\nx\n\n\n",
    "tabs\tand\t\tmore\t\t\ttabs", "line\n \n  \n   \nend", " \u00a0 \u00a0", "a\u3000\u3000b",
    "DON'T don't Don't dOn'T", "we'll WE'LL We'Ll", "I'm I'M i'm", "they've THEY'VE", "she'd SHE'D", "it's IT'S",
    "you're YOU'RE", "'s'S're'RE've'VE'm'M'll'LL'd'D't'T", "x'ſ y'K", "rock'n'roll o'clock", "''''''",
    "1234567890", "3.14159265358979", "1,000,000.00", "2024-01-01T12:34:56Z", "0x1F 0b1010 1e-9 -42 +7",
    "12345678901234567890123", "٣٤٥ ١٢٣", "१२३४", "１２３４５", "½ ⅔ Ⅻ ² ³ ①②", "v1.2.3-rc.4",
    "<|im_start|>user\nHello!<|im_end|>\n<|im_start|>assistant\n", "<|endoftext|><|endoftext|>",
    "text<|im_end|>text", " <|im_start|> ", "<think>\n\n</think>\n\n", "<tool_call>\n{\"name\": \"f\"}\n</tool_call>",
    "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nhi<|eot_id|>",
    "<|reserved_special_token_0|><|reserved_special_token_250|>",
    ...LOOKALIKES, ...PROSE, ...CODE, ...UNICODE,
    "😀", "👨‍👩‍👧‍👦👨‍👩‍👧‍👦", "🇫🇷🇩🇪🇯🇵", "a😀b", " 😀 ", "\u{1F600}\u{1F3FD}",
    "e\u0301", "\u0301", "\u0301\u0301abc", "Ä", "A\u0308", "\uFB01", "\u212B", "\u1100\u1161",
    "\uFEFFbom", "zero\u200Bwidth\u200Djoiner", "\u0000nul\u0001ctrl\u007f", "\uE000 private \uF8FF",
    "<mask> My name <mask> A<mask> <mask>ony <mask>", "Hi <mask> there\t<mask>\t<mask>\u2000", "<mask>, <mask>- \u25cc\u0330<mask>",
    "ony phony ony. ony_x ony", "[TOOL]   x [TOOL]\n\ny", "\uff37\uff49\uff44\uff45 Wide \uff37\uff49\uff44\uff45", " <sep> a <sep>b",
    "SHOUTING TEXT AND lower", "\t\tindented\n\n\tpara\n\n\n", "trailing  ",
    "\u{10FFFD}", "\u{1D400}\u{1D401} math bold", "𠀀𠀁 ext-B",
  ];
  return c;
}

function invalidUtf8Cases() {
  const B = (a) => Buffer.from(a);
  return [
    B([0xff]), B([0x61, 0x80, 0x62]), B([0xe6, 0x97, 0x61]), B([0xf0, 0x9f, 0x98]), B([0xc0, 0xaf, 0x20, 0x41]),
    B([0xed, 0xa0, 0x80, 0x78]), B([0xf4, 0x90, 0x80, 0x80]),
    Buffer.concat([B("hello "), B([0xfe, 0xfe]), B(" world <|im_end|>"), B([0xe2, 0x82])]),
  ];
}

function randInt(r, lo, hi) { return lo + Math.floor(r() * (hi - lo + 1)); }
function pick(r, a) { return a[Math.floor(r() * a.length)]; }

// Stable, long-assigned blocks (Unicode <= 6): avoids characters whose properties differ
// between Unicode versions of the two implementations.
const BLOCKS = [[0x00C0, 0x024F], [0x0370, 0x03FF], [0x0400, 0x04FF], [0x0531, 0x0556], [0x05D0, 0x05EA],
  [0x0621, 0x064A], [0x0660, 0x0669], [0x0905, 0x0939], [0x093E, 0x094D], [0x0966, 0x096F], [0x0E01, 0x0E3A],
  [0x10D0, 0x10FA], [0x3041, 0x3096], [0x30A1, 0x30FA], [0x4E00, 0x9FA5], [0xAC00, 0xD7A3], [0x2000, 0x206F],
  [0x2200, 0x22FF], [0x2500, 0x257F], [0x0300, 0x036F], [0xFF01, 0xFF5E], [0x1F600, 0x1F64F], [0x1F300, 0x1F5FF]];

function randomWord(r) {
  let w = pick(r, WORDS);
  const k = r();
  if (k < 0.1) w = w[0].toUpperCase() + w.slice(1);
  else if (k < 0.13) w = w.toUpperCase();
  else if (k < 0.2) w = w + pick(r, ["'s", "'ll", "'ve", "'d", "n't", "'S", "'LL", "ing", "ed", "er"]);
  else if (k < 0.25) w = w + randInt(r, 0, 9999);
  else if (k < 0.3) { // made-up word: cache misses and long merges
    let s = ""; const n = randInt(r, 3, 14);
    for (let i = 0; i < n; i++) s += String.fromCharCode(97 + randInt(r, 0, 25));
    w = s;
  }
  return w;
}

function fragment(r) {
  const k = r();
  if (k < 0.35) { // generated prose
    const n = randInt(r, 5, 40); const out = [];
    for (let i = 0; i < n; i++) out.push(randomWord(r));
    return out.join(" ") + pick(r, [".", ",", "!", "?", ";", ":", "...", " -", ""]) + pick(r, [" ", "\n", "\n\n", "  "]);
  }
  if (k < 0.5) return pick(r, PROSE) + pick(r, [" ", "\n"]);
  if (k < 0.65) return pick(r, CODE);
  if (k < 0.75) return pick(r, UNICODE) + "\n";
  if (k < 0.82) { // random characters from stable blocks
    let s = ""; const n = randInt(r, 1, 30);
    for (let i = 0; i < n; i++) {
      const b = pick(r, BLOCKS); s += String.fromCodePoint(randInt(r, b[0], b[1]));
      if (r() < 0.15) s += " ";
    }
    return s + " ";
  }
  if (k < 0.88) { // whitespace runs
    const ws = [" ", "\t", "\n", "\r\n", "\u00a0", "\u3000"]; let s = ""; const n = randInt(r, 1, 40);
    for (let i = 0; i < n; i++) s += pick(r, ws);
    return s;
  }
  if (k < 0.93) { // numbers
    const out = []; const n = randInt(r, 1, 8);
    for (let i = 0; i < n; i++) {
      const t = r();
      out.push(t < 0.4 ? String(randInt(r, 0, 1e9)) : t < 0.7 ? (r() * 1000).toFixed(randInt(r, 0, 6)) :
        t < 0.85 ? String(randInt(r, 0, 99999)).replace(/\B(?=(\d{3})+(?!\d))/g, ",") : "１２３٤٥६७");
    }
    return out.join(pick(r, [" ", ", ", "-", "/", ":", "x"])) + " ";
  }
  if (k < 0.97) return pick(r, SPECIALS) + (r() < 0.5 ? "\n" : "");
  return pick(r, LOOKALIKES) + " ";
}

function mixedDocs(totalBytes, docBytes, seed = 20240601) {
  const r = mulberry32(seed);
  const docs = []; let total = 0;
  while (total < totalBytes) {
    let d = "";
    while (Buffer.byteLength(d) < docBytes) d += fragment(r);
    docs.push(d); total += Buffer.byteLength(d);
  }
  return docs;
}

module.exports = { edgeCases, invalidUtf8Cases, mixedDocs, mulberry32 };
