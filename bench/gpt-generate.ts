// The generation case lives in @apogee/cli so that `apogee bench` times it too; `npm run bench`
// times the very same generation.
export { gptBenchGenerate as policyGptGenerate, GENERATE_NEW_TOKENS, GENERATE_PROMPTS } from '../packages/cli/src/bench/gpt-generate';
