// Task heads over BertModel, named as Hugging Face's BertForSequenceClassification and BertForPreTraining.
import { Tensor, add, crossEntropy, gelu, linear, mseLoss, reshape, tensor } from '../../tensor/index.ts';
import { Module, Linear, LayerNorm, Dropout } from '../../nn/index.ts';
import { fail } from '../../util/errors.ts';
import { fmt } from '../../util/assert.ts';
import { Rng } from '../../util/rng.ts';
import type { BertConfig } from './config.ts';
import { BertModel, type BertInput, type BertOutput } from './model.ts';

export interface ClassifierOutput {
  logits: Tensor; // [B, num_labels]
  loss?: Tensor; // [] when labels were given
}

export class BertForSequenceClassification extends Module {
  bert: BertModel;
  dropout: Dropout;
  classifier: Linear;
  readonly _config: BertConfig;

  constructor(config: BertConfig, rng: Rng = new Rng(0)) {
    super();
    if (config.problem_type === 'multi_label_classification') {
      fail('config', 'problem_type: "multi_label_classification" is not supported; pelt trains single-label classification and regression');
    }
    this.bert = new BertModel(config, rng.fork());
    this.dropout = new Dropout(config.classifier_dropout ?? config.hidden_dropout_prob, rng.fork());
    this.classifier = new Linear(config.hidden_size, config.num_labels, rng.fork(), { std: config.initializer_range });
    this._config = config;
  }

  get numLabels(): number {
    return this._config.num_labels;
  }

  /**
   * logits = classifier(dropout(pooled)) [B, C]. Loss as Hugging Face picks it: num_labels 1 is
   * regression, mean((logit - y)^2) with float targets; otherwise cross-entropy with class ids.
   */
  forward(input: BertInput, labels?: ArrayLike<number>): ClassifierOutput {
    const { pooledOutput } = this.bert.forward(input); // [B, H]
    const logits = this.classifier.forward(this.dropout.forward(pooledOutput)); // [B, H] -> [B, C]
    if (!labels) return { logits };
    const B = input.batch, C = this.numLabels;
    if (labels.length !== B) fail('shape', `labels: ${labels.length} values for a batch of ${B}`);
    if (C === 1) return { logits, loss: mseLoss(reshape(logits, [B]), tensor(labels, [B], logits.dtype)) }; // [B] vs [B] -> []
    const ids = Int32Array.from(labels as ArrayLike<number>, (y) => {
      if (y !== -100 && (!Number.isInteger(y) || y < 0 || y >= C)) fail('data', `label ${y} is not a class id in 0..${C - 1} (or -100 to ignore)`);
      return y;
    });
    return { logits, loss: crossEntropy(logits, ids) }; // [B, C] -> []
  }
}

export class BertPredictionHeadTransform extends Module {
  dense: Linear;
  LayerNorm: LayerNorm;
  constructor(config: BertConfig, rng: Rng) {
    super();
    this.dense = new Linear(config.hidden_size, config.hidden_size, rng, { std: config.initializer_range });
    this.LayerNorm = new LayerNorm(config.hidden_size, config.layer_norm_eps);
  }
  forward(h: Tensor): Tensor {
    return this.LayerNorm.forward(gelu(this.dense.forward(h))); // [..., H] -> [..., H]
  }
}

/** MLM head: transform, then the decoder, whose weight IS the word-embedding tensor (tied, not copied). */
export class BertLMPredictionHead extends Module {
  transform: BertPredictionHeadTransform;
  bias: Tensor; // [V]
  readonly _decoderWeight: Tensor; // [V, H], shared with bert.embeddings.word_embeddings.weight

  constructor(config: BertConfig, wordEmbeddings: Tensor, rng: Rng) {
    super();
    this.transform = new BertPredictionHeadTransform(config, rng);
    this.bias = tensor(new Float32Array(config.vocab_size), [config.vocab_size], 'float32', true);
    this._decoderWeight = wordEmbeddings;
  }
  forward(h: Tensor): Tensor {
    return linear(this.transform.forward(h), this._decoderWeight, this.bias); // [..., H] -> [..., V]
  }
}

export class BertPreTrainingHeads extends Module {
  predictions: BertLMPredictionHead;
  seq_relationship: Linear;
  constructor(config: BertConfig, wordEmbeddings: Tensor, rng: Rng) {
    super();
    this.predictions = new BertLMPredictionHead(config, wordEmbeddings, rng.fork());
    this.seq_relationship = new Linear(config.hidden_size, 2, rng.fork(), { std: config.initializer_range });
  }
}

export interface PreTrainingOutput extends BertOutput {
  predictionLogits: Tensor; // [B, T, V]
  seqRelationshipLogits: Tensor; // [B, 2]
  loss?: Tensor; // [] = MLM cross-entropy + NSP cross-entropy, when labels were given
}

export class BertForPreTraining extends Module {
  bert: BertModel;
  cls: BertPreTrainingHeads;
  readonly _config: BertConfig;

  constructor(config: BertConfig, rng: Rng = new Rng(0)) {
    super();
    if (!config.tie_word_embeddings) fail('config', 'tie_word_embeddings: false is not supported; pelt ties the MLM decoder to the word embeddings');
    this.bert = new BertModel(config, rng.fork());
    this.cls = new BertPreTrainingHeads(config, this.bert.embeddings.word_embeddings.weight, rng.fork());
    this._config = config;
  }

  /** mlmLabels [B, T] (-100 = not predicted), nspLabels [B] (0 = B follows A); loss needs both. */
  forward(input: BertInput, labels?: { mlm: Int32Array; nsp: Int32Array }): PreTrainingOutput {
    const out = this.bert.forward(input); // lastHiddenState [B, T, H], pooledOutput [B, H]
    const predictionLogits = this.cls.predictions.forward(out.lastHiddenState); // [B, T, H] -> [B, T, V]
    const seqRelationshipLogits = this.cls.seq_relationship.forward(out.pooledOutput); // [B, H] -> [B, 2]
    if (!labels) return { ...out, predictionLogits, seqRelationshipLogits };
    const { batch: B, seqLen: T } = input, V = this._config.vocab_size;
    if (labels.mlm.length !== B * T || labels.nsp.length !== B) {
      fail('shape', `pretraining labels: mlm ${labels.mlm.length} and nsp ${labels.nsp.length} values do not fit ${fmt([B, T])}`);
    }
    const mlm = crossEntropy(reshape(predictionLogits, [B * T, V]), labels.mlm); // [B*T, V] -> []
    const loss = add(mlm, crossEntropy(seqRelationshipLogits, labels.nsp)); // []
    return { ...out, predictionLogits, seqRelationshipLogits, loss };
  }
}
