// BERT for pelt: the model, its heads, loading and saving of Hugging Face folders.
export { BertModel, BertPooler, MASK_MIN, type BertInput, type BertOutput } from './model.ts';
export { BertEmbeddings } from './embeddings.ts';
export { BertAttention, BertSelfAttention, BertSelfOutput } from './attention.ts';
export { BertLayer, BertEncoder, BertIntermediate, BertOutput as BertOutputBlock } from './layer.ts';
export { BertForSequenceClassification, BertForPreTraining, BertLMPredictionHead, type ClassifierOutput, type PreTrainingOutput } from './heads.ts';
export { loadBert, loadBertFromDir, loadWeights, type BertTask, type BertModelFor, type LoadBertOptions, type LoadReport, type LoadedBert } from './load.ts';
export { saveBert, type SaveBertOptions } from './save.ts';
export { readBertConfig, parseBertConfig, type BertConfig } from './config.ts';
