export { Module, noDecay, setTrainable } from './module.ts';
export { Linear, Embedding, LayerNorm, Dropout } from './layers.ts';
export { normal_, uniform_, ones_, kaimingUniformA5_, withoutInit } from './init.ts';
