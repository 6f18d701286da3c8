// The benchmark's GPT training step lives in @apogee/cli so that `apogee bench` works outside a
// checkout; `npm run bench` times the very same step.
export { gptBenchStep as policyGptStep } from '../packages/cli/src/bench/gpt-step';
