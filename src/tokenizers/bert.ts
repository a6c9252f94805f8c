// BERT tokenization for pelt: tokenizer.json through @huggingface/tokenizers, or vocab.txt through
// pelt's own WordPiece when a folder has no tokenizer.json. Both give ids without special tokens;
// this class adds [CLS] A [SEP] (B [SEP]), truncates, pads and builds the batch tensors itself, so
// the truncation / padding settings some tokenizer.json files carry (all-MiniLM's fixed 128) never apply.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { fail } from '../util/errors.ts';
import { WordPiece } from './wordpiece.ts';

export type TextInput = string | readonly [string, string];

export interface Encoding {
  ids: number[];
  typeIds: number[]; // token type ids: 0 for [CLS] A [SEP], 1 for B [SEP]
}

export interface BatchEncoding {
  inputIds: Int32Array; // [batch, seqLen], row-major
  attentionMask: Int32Array; // 1 for tokens, 0 for padding
  tokenTypeIds: Int32Array;
  batch: number;
  seqLen: number;
}

export interface BatchOptions {
  maxLength?: number; // including special tokens; default 128
  padding?: 'longest' | 'max_length'; // default 'longest'
}

export interface FromFolderOptions {
  backend?: 'auto' | 'tokenizers' | 'wordpiece'; // auto: tokenizer.json if present, else vocab.txt
}

interface Backend {
  encode(text: string): number[];
  idToToken(id: number): string | undefined;
  tokenToId(token: string): number | undefined;
  decode(ids: number[], skipSpecial: boolean): string;
  vocabSize: number;
}

const SPECIALS = { cls: '[CLS]', sep: '[SEP]', pad: '[PAD]', mask: '[MASK]', unk: '[UNK]' } as const;
type SpecialName = keyof typeof SPECIALS;

export class BertTokenizer {
  readonly clsId: number;
  readonly sepId: number;
  readonly padId: number;
  readonly maskId: number;
  readonly unkId: number;
  readonly specialTokens: Record<SpecialName, string>;

  private constructor(
    private readonly impl: Backend,
    readonly backend: 'tokenizers' | 'wordpiece',
    specials: Record<SpecialName, string>,
    source: string,
  ) {
    this.specialTokens = specials;
    const id = (name: SpecialName) =>
      impl.tokenToId(specials[name]) ?? fail('tokenizer', `${source}: ${name}_token "${specials[name]}" is not in the vocabulary`);
    this.clsId = id('cls');
    this.sepId = id('sep');
    this.padId = id('pad');
    this.maskId = id('mask');
    this.unkId = id('unk');
  }

  static fromFolder(dir: string, opts: FromFolderOptions = {}): BertTokenizer {
    const want = opts.backend ?? 'auto';
    const jsonPath = join(dir, 'tokenizer.json');
    const vocabPath = join(dir, 'vocab.txt');
    const config = readJson(join(dir, 'tokenizer_config.json')) ?? {};
    const specials = specialTokens(readJson(join(dir, 'special_tokens_map.json')) ?? {}, config);
    if (want === 'tokenizers' || (want === 'auto' && existsSync(jsonPath))) {
      return new BertTokenizer(tokenizersBackend(jsonPath, config), 'tokenizers', specials, jsonPath);
    }
    if (want === 'wordpiece' || existsSync(vocabPath)) {
      return new BertTokenizer(wordPieceBackend(vocabPath, config, specials), 'wordpiece', specials, vocabPath);
    }
    return fail('tokenizer', `${dir}: no tokenizer.json or vocab.txt`);
  }

  get vocabSize(): number {
    return this.impl.vocabSize;
  }

  /** Tokens of `text` without special tokens (e.g. ['una', '##ffa', '##ble']). */
  tokenize(text: string): string[] {
    return this.impl.encode(text).map((id) => this.impl.idToToken(id) ?? SPECIALS.unk);
  }

  /** [CLS] text [SEP] (pair [SEP]); truncated longest-first only if maxLength is given. */
  encode(text: string, pair?: string, opts: { maxLength?: number } = {}): Encoding {
    const a = this.impl.encode(text);
    const b = pair === undefined ? undefined : this.impl.encode(pair);
    if (opts.maxLength === undefined) return this.withSpecials(a, b);
    return this.truncated(a, b, opts.maxLength);
  }

  encodeBatch(inputs: readonly TextInput[], opts: BatchOptions = {}): BatchEncoding {
    const maxLength = opts.maxLength ?? 128;
    const padding = opts.padding ?? 'longest';
    if (padding !== 'longest' && padding !== 'max_length') fail('usage', `padding must be 'longest' or 'max_length', got ${JSON.stringify(padding)}`);
    const rows = inputs.map((input) =>
      typeof input === 'string'
        ? this.truncated(this.impl.encode(input), undefined, maxLength)
        : this.truncated(this.impl.encode(input[0]), this.impl.encode(input[1]), maxLength),
    );
    const batch = rows.length;
    const seqLen = padding === 'max_length' ? maxLength : Math.max(0, ...rows.map((r) => r.ids.length));
    const inputIds = new Int32Array(batch * seqLen).fill(this.padId);
    const attentionMask = new Int32Array(batch * seqLen);
    const tokenTypeIds = new Int32Array(batch * seqLen); // padding gets type 0, as HF pads
    rows.forEach((r, i) => {
      inputIds.set(r.ids, i * seqLen);
      tokenTypeIds.set(r.typeIds, i * seqLen);
      attentionMask.fill(1, i * seqLen, i * seqLen + r.ids.length);
    });
    return { inputIds, attentionMask, tokenTypeIds, batch, seqLen };
  }

  decode(ids: ArrayLike<number>, opts: { skipSpecialTokens?: boolean } = {}): string {
    return this.impl.decode(Array.from(ids), opts.skipSpecialTokens ?? false);
  }

  idToToken(id: number): string | undefined {
    return this.impl.idToToken(id);
  }

  tokenToId(token: string): number | undefined {
    return this.impl.tokenToId(token);
  }

  private truncated(a: number[], b: number[] | undefined, maxLength: number): Encoding {
    const special = b === undefined ? 2 : 3;
    if (!Number.isInteger(maxLength) || maxLength < special) {
      fail('usage', `maxLength ${maxLength} leaves no room for the ${special} special tokens of a ${b ? 'pair' : 'single sentence'}`);
    }
    if (b === undefined) return this.withSpecials(a.slice(0, maxLength - special));
    const [n1, n2] = longestFirst(a.length, b.length, maxLength - special);
    return this.withSpecials(a.slice(0, n1), b.slice(0, n2));
  }

  private withSpecials(a: number[], b?: number[]): Encoding {
    const ids = [this.clsId, ...a, this.sepId];
    const typeIds = new Array<number>(ids.length).fill(0);
    if (b) {
      ids.push(...b, this.sepId);
      typeIds.push(...new Array<number>(b.length + 1).fill(1));
    }
    return { ids, typeIds };
  }
}

/**
 * Lengths to keep of a pair under Hugging Face tokenizers' LongestFirst strategy: if only the
 * longer one must shrink it takes what the shorter leaves; if both must, they split `max` evenly
 * (the second sequence gets the odd token).
 */
export function longestFirst(n1: number, n2: number, max: number): [number, number] {
  if (n1 + n2 <= max) return [n1, n2];
  const swap = n1 > n2;
  let short = Math.min(n1, n2);
  let long = short > max ? short : Math.max(short, max - short);
  if (short + long > max) {
    short = Math.floor(max / 2);
    long = short + (max % 2);
  }
  return swap ? [long, short] : [short, long];
}

function readJson(path: string): Record<string, unknown> | undefined {
  if (!existsSync(path)) return undefined;
  try {
    const json: unknown = JSON.parse(readFileSync(path, 'utf8'));
    if (typeof json !== 'object' || json === null || Array.isArray(json)) fail('tokenizer', `${path}: not a JSON object`);
    return json as Record<string, unknown>;
  } catch (err) {
    if (err instanceof SyntaxError) fail('tokenizer', `${path}: not valid JSON: ${err.message}`);
    throw err;
  }
}

// special_tokens_map.json first, then tokenizer_config.json; values are strings or {content}.
function specialTokens(map: Record<string, unknown>, config: Record<string, unknown>): Record<SpecialName, string> {
  const content = (v: unknown): string | undefined =>
    typeof v === 'string' ? v : typeof v === 'object' && v !== null && typeof (v as { content?: unknown }).content === 'string' ? (v as { content: string }).content : undefined;
  const out = { ...SPECIALS } as Record<SpecialName, string>;
  for (const name of Object.keys(SPECIALS) as SpecialName[]) {
    out[name] = content(map[`${name}_token`]) ?? content(config[`${name}_token`]) ?? SPECIALS[name];
  }
  return out;
}

function tokenizersBackend(path: string, config: Record<string, unknown>): Backend {
  const json = readJson(path) ?? fail('tokenizer', `${path}: file not found`);
  let tok: Tokenizer;
  try {
    tok = new Tokenizer({ ...json, truncation: null, padding: null }, config);
  } catch (err) {
    return fail('tokenizer', `${path}: cannot build tokenizer: ${(err as Error).message}`);
  }
  return {
    encode: (text) => tok.encode(text, { add_special_tokens: false }).ids,
    idToToken: (id) => tok.id_to_token(id),
    tokenToId: (token) => tok.token_to_id(token),
    decode: (ids, skip) => (ids.length ? tok.decode(ids, { skip_special_tokens: skip }) : ''),
    vocabSize: tok.get_vocab(true).size,
  };
}

function wordPieceBackend(path: string, config: Record<string, unknown>, specials: Record<SpecialName, string>): Backend {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    return fail('tokenizer', `${path}: cannot read: ${(err as Error).message}`);
  }
  const extra = Array.isArray(config['additional_special_tokens']) ? config['additional_special_tokens'].filter((t) => typeof t === 'string') : [];
  const wp = new WordPiece(WordPiece.parseVocab(text), {
    lowercase: typeof config['do_lower_case'] === 'boolean' ? config['do_lower_case'] : true,
    stripAccents: typeof config['strip_accents'] === 'boolean' ? config['strip_accents'] : null,
    chineseChars: typeof config['tokenize_chinese_chars'] === 'boolean' ? config['tokenize_chinese_chars'] : true,
    unkToken: specials.unk,
    specialTokens: [...Object.values(specials), ...extra],
    source: path,
  });
  return {
    encode: (t) => wp.encode(t),
    idToToken: (id) => wp.vocab[id],
    tokenToId: (token) => wp.tokenToId(token),
    decode: (ids, skip) => wp.decode(ids, skip),
    vocabSize: wp.vocab.length,
  };
}
