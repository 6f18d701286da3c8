export { ByteTokenizer, BYTE_SPECIAL_TOKENS, type ByteTokenizerJSON } from './byte-tokenizer';
export { HfTokenizer, loadHfTokenizer, type HfSpecialTokens, type HfTokenizerJSON } from './hf-tokenizer';
export { ChatTemplate, type ChatMessage } from './chat-template';
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
export { tokenizerFromJSON, loadTokenizer, saveTokenizer, APOGEE_TOKENIZER_FILE } from './from-json';
export {
  byteTokenizer,
  hfTokenizer,
  BYTE_TOKENIZER_OPTIONS,
  HF_TOKENIZER_OPTIONS,
  type ByteTokenizerOptions,
  type HfTokenizerOptions,
} from './plugins';
