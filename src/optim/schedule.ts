// Learning-rate schedules as pure functions of the step (Hugging Face's get_linear_schedule_with_warmup).

/** Multiplier at `step` (0-based, before the step's update): linear warmup, then linear decay to 0. */
export function linearWarmupDecay(step: number, warmupSteps: number, totalSteps: number): number {
  if (step < warmupSteps) return step / Math.max(1, warmupSteps);
  return Math.max(0, (totalSteps - step) / Math.max(1, totalSteps - warmupSteps));
}

/** Multiplier with linear warmup then constant. */
export function linearWarmupConstant(step: number, warmupSteps: number): number {
  return step < warmupSteps ? step / Math.max(1, warmupSteps) : 1;
}
