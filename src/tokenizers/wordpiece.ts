// BERT's tokenizer from vocab.txt alone: the fallback when a folder has no tokenizer.json.
// It follows the Hugging Face `tokenizers` pipeline that tokenizer.json describes for BERT:
//   special tokens split out of the raw text first (so "[MASK]" survives lower-casing), then
//   BertNormalizer (clean text, space around CJK characters, strip accents, lower-case),
//   BertPreTokenizer (split on whitespace, isolate punctuation), and greedy longest-match WordPiece.

import { fail } from '../util/errors.ts';

export interface WordPieceOptions {
  lowercase?: boolean; // do_lower_case, default true
  stripAccents?: boolean | null; // null: follow lowercase, as BertNormalizer does
  chineseChars?: boolean; // tokenize_chinese_chars, default true
  unkToken?: string;
  specialTokens?: string[]; // matched verbatim in the raw text, never split
  maxInputCharsPerWord?: number; // longer words become unk_token, default 100
  prefix?: string; // continuing-subword prefix, default '##'
  source?: string; // the vocab file, for error messages
}

const CONTROL = /\p{C}/u;
const WHITESPACE = /\p{White_Space}/u;
const PUNCT = /\p{P}/u;
const MARK = /\p{Mn}/gu;

// ASCII fast paths; tab, newline and return are whitespace, not control characters.
function isControl(cp: number, ch: string): boolean {
  if (cp < 128) return (cp < 32 && cp !== 9 && cp !== 10 && cp !== 13) || cp === 127;
  return CONTROL.test(ch);
}
function isWhitespace(cp: number, ch: string): boolean {
  if (cp < 128) return cp === 32 || cp === 9 || cp === 10 || cp === 13;
  return WHITESPACE.test(ch);
}
// All ASCII non-alphanumeric printables count, even where Unicode says symbol ('$', '+', '^').
function isPunct(cp: number, ch: string): boolean {
  if (cp < 128) return (cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126);
  return PUNCT.test(ch);
}

// The CJK Unified Ideograph blocks BERT treats as one-character words (not Hiragana, Katakana, Hangul).
function isCjk(cp: number): boolean {
  return (
    (cp >= 0x4e00 && cp <= 0x9fff) || (cp >= 0x3400 && cp <= 0x4dbf) || (cp >= 0x20000 && cp <= 0x2a6df) ||
    (cp >= 0x2a700 && cp <= 0x2b73f) || (cp >= 0x2b740 && cp <= 0x2b81f) || (cp >= 0x2b820 && cp <= 0x2ceaf) ||
    (cp >= 0xf900 && cp <= 0xfaff) || (cp >= 0x2f800 && cp <= 0x2fa1f)
  );
}

export class WordPiece {
  readonly vocab: readonly string[];
  private readonly ids = new Map<string, number>();
  private readonly lowercase: boolean;
  private readonly stripAccents: boolean;
  private readonly chineseChars: boolean;
  private readonly maxChars: number;
  private readonly prefix: string;
  readonly unkToken: string;
  private readonly unkId: number;
  private readonly specialSplit: RegExp | null;
  private readonly specials: Set<string>;

  constructor(vocab: readonly string[], opts: WordPieceOptions = {}) {
    this.vocab = vocab;
    vocab.forEach((token, id) => this.ids.set(token, id)); // a duplicate keeps its last id, like HF
    this.lowercase = opts.lowercase ?? true;
    this.stripAccents = opts.stripAccents ?? this.lowercase;
    this.chineseChars = opts.chineseChars ?? true;
    this.maxChars = opts.maxInputCharsPerWord ?? 100;
    this.prefix = opts.prefix ?? '##';
    this.unkToken = opts.unkToken ?? '[UNK]';
    const unk = this.ids.get(this.unkToken);
    if (unk === undefined) fail('tokenizer', `${opts.source ?? 'vocab'}: unk_token "${this.unkToken}" is not in the vocabulary`);
    this.unkId = unk;
    this.specials = new Set((opts.specialTokens ?? []).filter((t) => this.ids.has(t)));
    // Longest first, so a special token that contains another one wins.
    const alts = [...this.specials].sort((a, b) => b.length - a.length).map((t) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    this.specialSplit = alts.length ? new RegExp(`(${alts.join('|')})`, 'u') : null;
  }

  /** Parses vocab.txt: one token per line, the line number is the id. */
  static parseVocab(text: string): string[] {
    const lines = text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
    if (lines.at(-1) === '') lines.pop();
    return lines;
  }

  tokenToId(token: string): number | undefined {
    return this.ids.get(token);
  }

  /** Token ids of `text`, without [CLS] / [SEP]. */
  encode(text: string): number[] {
    const out: number[] = [];
    const pieces = this.specialSplit ? text.split(this.specialSplit) : [text];
    pieces.forEach((piece, i) => {
      // split() with a capture group puts the matched special tokens at the odd indices.
      if (i % 2 === 1) out.push(this.ids.get(piece)!);
      else for (const word of this.preTokenize(this.normalize(piece))) this.wordPiece(word, out);
    });
    return out;
  }

  tokenize(text: string): string[] {
    return this.encode(text).map((id) => this.vocab[id]!);
  }

  normalize(text: string): string {
    let out = '';
    for (const ch of text) {
      const cp = ch.codePointAt(0)!;
      if (cp === 0 || cp === 0xfffd || isControl(cp, ch)) continue;
      if (isWhitespace(cp, ch)) out += ' ';
      else if (this.chineseChars && isCjk(cp)) out += ` ${ch} `;
      else out += ch;
    }
    if (this.stripAccents) out = out.normalize('NFD').replace(MARK, '');
    if (this.lowercase) out = out.toLowerCase();
    return out;
  }

  preTokenize(text: string): string[] {
    const words: string[] = [];
    let word = '';
    for (const ch of text) {
      const cp = ch.codePointAt(0)!;
      if (isWhitespace(cp, ch)) {
        if (word) words.push(word);
        word = '';
      } else if (isPunct(cp, ch)) {
        if (word) words.push(word);
        words.push(ch);
        word = '';
      } else word += ch;
    }
    if (word) words.push(word);
    return words;
  }

  // Greedy longest match from the left; if any part has no match the whole word is unk.
  private wordPiece(word: string, out: number[]): void {
    const chars = [...word];
    if (chars.length > this.maxChars) {
      out.push(this.unkId);
      return;
    }
    const found: number[] = [];
    for (let start = 0; start < chars.length; ) {
      let end = chars.length;
      let id: number | undefined;
      for (; end > start; end--) {
        const sub = (start > 0 ? this.prefix : '') + chars.slice(start, end).join('');
        id = this.ids.get(sub);
        if (id !== undefined) break;
      }
      if (id === undefined) {
        out.push(this.unkId);
        return;
      }
      found.push(id);
      start = end;
    }
    out.push(...found);
  }

  /** Joins tokens back into text as the WordPiece decoder does ('##' glues to the previous token). */
  decode(ids: readonly number[], skipSpecial: boolean): string {
    const tokens = ids.map((id) => this.vocab[id] ?? this.unkToken).filter((t) => !(skipSpecial && this.specials.has(t)));
    const text = tokens.map((t, i) => (i === 0 ? t : t.startsWith(this.prefix) ? t.slice(this.prefix.length) : ` ${t}`)).join('');
    return cleanUpTokenization(text);
  }
}

/** transformers' clean_up_tokenization: no space before punctuation and English contractions. */
export function cleanUpTokenization(text: string): string {
  return text
    .replaceAll(' .', '.').replaceAll(' ?', '?').replaceAll(' !', '!').replaceAll(' ,', ',')
    .replaceAll(" ' ", "'").replaceAll(" n't", "n't").replaceAll(" 'm", "'m").replaceAll(" 's", "'s")
    .replaceAll(" 've", "'ve").replaceAll(" 're", "'re");
}
