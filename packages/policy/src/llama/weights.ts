import type { ParamSpec } from '../model/weights';
import type { LlamaConfig } from './config';

/**
 * Every parameter with its Hugging Face `LlamaForCausalLM` / `Qwen2ForCausalLM` name and shape
 * (`nn.Linear` weights `[out, in]`). Init (Hugging Face's `_init_weights`): normal(0, 0.02) for
 * projections and embeddings, zeros for biases, ones for norm gains. `lmHead: false` leaves out
 * `lm_head.weight` (a reward model's backbone; a tied model never has one).
 */
export function llamaParamSpecs(c: LlamaConfig, options: { lmHead?: boolean } = {}): ParamSpec[] {
  const d = c.nEmbd;
  const q = c.nHead * c.headDim;
  const kv = c.nKvHead * c.headDim;
  const specs: ParamSpec[] = [{ name: 'model.embed_tokens.weight', shape: [c.vocabSize, d], init: 'normal' }];
  const linear = (name: string, out: number, inp: number, bias: boolean) => {
    specs.push({ name: `${name}.weight`, shape: [out, inp], init: 'normal' });
    if (bias) specs.push({ name: `${name}.bias`, shape: [out], init: 'zeros' });
  };
  for (let i = 0; i < c.nLayer; i++) {
    const p = `model.layers.${i}`;
    specs.push({ name: `${p}.input_layernorm.weight`, shape: [d], init: 'ones' });
    linear(`${p}.self_attn.q_proj`, q, d, c.qkvBias);
    linear(`${p}.self_attn.k_proj`, kv, d, c.qkvBias);
    linear(`${p}.self_attn.v_proj`, kv, d, c.qkvBias);
    linear(`${p}.self_attn.o_proj`, d, q, c.oBias);
    specs.push({ name: `${p}.post_attention_layernorm.weight`, shape: [d], init: 'ones' });
    linear(`${p}.mlp.gate_proj`, c.intermediateSize, d, c.mlpBias);
    linear(`${p}.mlp.up_proj`, c.intermediateSize, d, c.mlpBias);
    linear(`${p}.mlp.down_proj`, d, c.intermediateSize, c.mlpBias);
  }
  specs.push({ name: 'model.norm.weight', shape: [d], init: 'ones' });
  if (!c.tieWordEmbeddings && options.lmHead !== false) specs.push({ name: 'lm_head.weight', shape: [c.vocabSize, d], init: 'normal' });
  return specs;
}
