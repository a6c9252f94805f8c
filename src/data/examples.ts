// What every data source turns into: examples with one or two texts and a numeric label (a class
// index, or a float for regression), and the label space that gives the indices their meaning.

export interface Example {
  textA: string;
  textB?: string; // the second text of a pair task
  label: number; // class index into LabelSpace.names, or the target value for regression
}

export type LabelSpace =
  | { kind: 'classification'; names: readonly string[] }
  | { kind: 'regression'; min?: number; max?: number };

/** Outputs of the model head: the number of classes, or 1 for regression. */
export function numLabels(space: LabelSpace): number {
  return space.kind === 'classification' ? space.names.length : 1;
}

/** The texts of examples in the form BertTokenizer.encodeBatch takes. */
export function textsOf(examples: readonly Example[]): Array<string | [string, string]> {
  return examples.map((e) => (e.textB === undefined ? e.textA : [e.textA, e.textB]));
}

/** id2label / label2id as a Hugging Face config.json stores them, to save beside an adapter. */
export function labelMaps(space: LabelSpace): { id2label: Record<string, string>; label2id: Record<string, number> } | undefined {
  if (space.kind !== 'classification') return undefined;
  const id2label: Record<string, string> = {};
  const label2id: Record<string, number> = {};
  space.names.forEach((name, i) => {
    id2label[String(i)] = name;
    label2id[name] = i;
  });
  return { id2label, label2id };
}

/** How many examples carry each class index (classification) — for summaries and tests. */
export function classCounts(examples: readonly Example[], space: LabelSpace): number[] {
  if (space.kind !== 'classification') return [];
  const counts = new Array<number>(space.names.length).fill(0);
  for (const e of examples) counts[e.label]!++;
  return counts;
}
