export { ByteTokenizer, BYTE_SPECIAL_TOKENS, type ByteTokenizerJSON } from './byte-tokenizer';
export { encodePairWith, type PairEncoder } from './encoding';
export {
  padBatch,
  encodeBatch,
  encodePrompts,
  type PaddedBatch,
  type PadOptions,
  type PaddingSide,
  type EncodeBatchOptions,
  type EncodePromptsOptions,
} from './batch';
export { tokenizerFromJSON } from './from-json';
export { byteTokenizer, BYTE_TOKENIZER_OPTIONS, type ByteTokenizerOptions } from './plugins';
