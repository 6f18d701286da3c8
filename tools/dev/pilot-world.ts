// Dev probe (issue #13, world-validity pilot): π₀ once per seed, then the oracle and RJS (RM_Base)
// arms under one or more preset overrides, analysed as the quickstart does (analyseSeed). Prints
// every world-validity figure per seed; appends them to OUT/results.jsonl. No APO arm runs here:
// tuning is restricted to world validity (decision 0064).
//   tsx tools/dev/pilot-world.ts OUT SEED 'name={json preset override}' ...
import 'reflect-metadata';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { silentLogger } from '@apogee/core';
import { initBackend } from '@apogee/runtime';
import { PreferenceWorld } from '@apogee/world';
import { analyseSeed, loadSavedRm, scoreRequest } from '../../packages/cli/src/quickstart/analysis';
import { QUICKSTART_PRESETS, type QuickstartPreset } from '../../packages/cli/src/quickstart/presets';
import { runArmUnit, runPi0Unit, type ArmResult, type Pi0Result } from '../../packages/cli/src/quickstart/protocol';

const merge = (a: any, b: any): any => {
  if (b === null || typeof b !== 'object' || Array.isArray(b)) return b;
  const out = { ...a };
  for (const k of Object.keys(b)) out[k] = merge(a?.[k], b[k]);
  return out;
};
const r3 = (x: number) => +x.toFixed(3);

async function main() {
  const [out, seedArg, ...configs] = process.argv.slice(2);
  const seed = Number(seedArg);
  const backend = await initBackend({ backend: 'auto' });
  const base = QUICKSTART_PRESETS.default;
  fs.mkdirSync(out, { recursive: true });
  // π₀ once per distinct SFT set-up: a config that changes π₀'s demonstrations or SFT gets its own.
  const pi0For = async (name: string, preset: QuickstartPreset): Promise<Pi0Result> => {
    const file = path.join(out, name, `pi0-${seed}.json`);
    if (fs.existsSync(file)) return JSON.parse(fs.readFileSync(file, 'utf8'));
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const world0 = new PreferenceWorld({ ...preset.world, seed });
    const c = process.cpuUsage();
    const pi0 = await runPi0Unit({ seed, world: world0, data: world0.gameData(), preset, dir: path.join(out, name) });
    fs.writeFileSync(file, JSON.stringify(pi0));
    const u = process.cpuUsage(c);
    console.log(`seed ${seed} ${name} pi0 cpu ${((u.user + u.system) / 1e6).toFixed(0)}s gold ${pi0.metrics.goldReward.toFixed(3)}`);
    return pi0;
  };
  for (const cfg of configs) {
    const eq = cfg.indexOf('=');
    const name = cfg.slice(0, eq);
    const preset: QuickstartPreset = merge(base, JSON.parse(cfg.slice(eq + 1)));
    const o = JSON.parse(cfg.slice(eq + 1));
    const ownPi0 = o.sft !== undefined || o.world?.styleWeights !== undefined || o.world?.sftDemos !== undefined;
    const pi0 = await pi0For(ownPi0 ? name : 'base', ownPi0 ? preset : base);
    const world = new PreferenceWorld({ ...preset.world, seed });
    const data = world.gameData();
    const arms: ArmResult[] = [];
    const cpu: Record<string, number> = {};
    for (const arm of ['oracle', 'rjs'] as const) {
      const c = process.cpuUsage();
      arms.push(await runArmUnit({ seed, arm, world, data, preset, rounds: preset.rounds, backend: backend.name, dir: path.join(out, name), pi0Dir: pi0.pi0Dir, logger: silentLogger, callbacks: [] }));
      const u = process.cpuUsage(c);
      cpu[arm] = Math.round((u.user + u.system) / 1e6);
    }
    const a = await analyseSeed({ seed, world, prompts: data.testQueries, preset, rounds: preset.rounds, pi0, arms }, async (request) => {
      const { rm, dispose } = await loadSavedRm(preset.model, request.rmDir);
      try {
        return await scoreRequest(rm, request);
      } finally {
        await dispose();
      }
    });
    const gold = (i: number) => arms[i].metrics.map((m) => r3(m.goldReward));
    const line = {
      seed,
      name,
      pi0: r3(pi0.metrics.goldReward),
      oracleMinusPi0: r3(a.validity.oracleMinusPi0),
      ci: a.validity.oracleMinusPi0Ci95.map(r3),
      oracleMinusRjs: r3(a.claimValues['world.rmBaseOverOptimises'] ?? NaN),
      rmRise: r3(a.validity.rmBaseScoreRjsFinal - a.validity.rmBaseScorePi0),
      accPi0: r3(a.rmBaseOnPi0.accuracy),
      accRjsFinal: r3(a.rmBaseOnRjsFinal.accuracy),
      oracleGold: gold(0),
      rjsGold: gold(1),
      bonRmBase: a.bestOfN.filter((p) => p.rm === 'rmBase').map((p) => r3(p.gold)),
      cpu,
    };
    console.log(JSON.stringify(line));
    fs.appendFileSync(path.join(out, 'results.jsonl'), `${JSON.stringify(line)}\n`);
  }
}
main().catch((e) => { console.error(e); process.exit(1); });
