/**
 * config.json and sentence_bert_config.json in the shape the Hugging Face Hub serves for BERT
 * sentence-embedding models.
 */
import type { BertSpec } from "./spec.js";
import { GENERATOR_VERSION, MODEL_SEED } from "./spec.js";

/** A BERT config.json; the extra `pyrite_test_model` key marks the weights as random. */
export function buildModelConfig(name: string, spec: BertSpec): unknown {
  return {
    _name_or_path: name,
    architectures: ["BertModel"],
    attention_probs_dropout_prob: 0.1,
    classifier_dropout: null,
    gradient_checkpointing: false,
    hidden_act: "gelu",
    hidden_dropout_prob: 0.1,
    hidden_size: spec.hidden,
    initializer_range: 0.02,
    intermediate_size: spec.intermediate,
    layer_norm_eps: spec.layerNormEps,
    max_position_embeddings: spec.maxPositions,
    model_type: "bert",
    num_attention_heads: spec.heads,
    num_hidden_layers: spec.layers,
    pad_token_id: 0,
    position_embedding_type: "absolute",
    transformers_version: "4.36.2",
    type_vocab_size: spec.typeVocabSize,
    use_cache: true,
    vocab_size: spec.vocabSize,
    pyrite_test_model: {
      generator_version: GENERATOR_VERSION,
      seed: MODEL_SEED,
      note: "seeded random weights: speed and memory of a real model, similarities mean nothing",
    },
  };
}

/**
 * sentence-transformers records the embedding window here (256 for all-MiniLM-L6-v2, below the
 * tokenizer's 512); the transformers embedder reads it to pick its truncation length.
 */
export function buildSentenceBertConfig(maxSeqLength: number): unknown {
  return { max_seq_length: maxSeqLength, do_lower_case: false };
}
