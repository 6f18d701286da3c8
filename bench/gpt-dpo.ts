// The DPO step lives in @apogee/cli so that `apogee bench` times it too; `npm run bench` times the
// very same step.
export { gptBenchDpo as policyGptDpo } from '../packages/cli/src/bench/gpt-dpo';
