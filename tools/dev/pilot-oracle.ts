// Dev probe (issue #13, world-validity pilot): π₀ once per seed, then the oracle and RJS (RM_Base)
// arms under one or more preset overrides. Prints per-seed oracle − π₀ (prompt-bootstrap CI) and
// oracle − rjs. Usage: tsx tools/dev/pilot-oracle.ts OUT SEED 'name={json override}' ...
import 'reflect-metadata';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { silentLogger } from '@apogee/core';
import { bootstrapMeanCi } from '@apogee/eval';
import { initBackend } from '@apogee/runtime';
import { PreferenceWorld } from '@apogee/world';
import { QUICKSTART_PRESETS, type QuickstartPreset } from '../../packages/cli/src/quickstart/presets';
import { runArmUnit, runPi0Unit, type Pi0Result } from '../../packages/cli/src/quickstart/protocol';

const merge = (a: any, b: any): any => {
  if (b === null || typeof b !== 'object' || Array.isArray(b)) return b;
  const out = { ...a };
  for (const k of Object.keys(b)) out[k] = merge(a?.[k], b[k]);
  return out;
};
const mean = (x: number[]) => x.reduce((s, v) => s + v, 0) / x.length;

async function main() {
  const [out, seedArg, ...configs] = process.argv.slice(2);
  const seed = Number(seedArg);
  const backend = await initBackend({ backend: 'auto' });
  const base = QUICKSTART_PRESETS.default;
  const pi0File = path.join(out, `pi0-${seed}.json`);
  let pi0: Pi0Result;
  const world0 = new PreferenceWorld({ ...base.world, seed });
  if (fs.existsSync(pi0File)) pi0 = JSON.parse(fs.readFileSync(pi0File, 'utf8'));
  else {
    const c = process.cpuUsage();
    pi0 = await runPi0Unit({ seed, world: world0, data: world0.gameData(), preset: base, dir: out });
    fs.writeFileSync(pi0File, JSON.stringify(pi0));
    const u = process.cpuUsage(c);
    console.log(`seed ${seed} pi0 cpu ${((u.user + u.system) / 1e6).toFixed(0)}s gold ${pi0.metrics.goldReward.toFixed(3)}`);
  }
  for (const cfg of configs) {
    const eq = cfg.indexOf('=');
    const name = cfg.slice(0, eq);
    const preset: QuickstartPreset = merge(base, JSON.parse(cfg.slice(eq + 1)));
    const world = new PreferenceWorld({ ...preset.world, seed });
    const data = world.gameData();
    const pi0Gold = pi0.heldOut.responses.map((rs, i) => mean(rs.map((r) => world.goldReward(data.testQueries[i].prompt, r))));
    const res: Record<string, any> = {};
    for (const arm of ['oracle', 'rjs'] as const) {
      const c = process.cpuUsage();
      const r = await runArmUnit({ seed, arm, world, data, preset, rounds: preset.rounds, backend: backend.name, dir: path.join(out, name), pi0Dir: pi0.pi0Dir, logger: silentLogger, callbacks: [] });
      const u = process.cpuUsage(c);
      const last = r.heldOut[r.heldOut.length - 1];
      const d = last.gold.map((g, i) => mean(g) - pi0Gold[i]);
      res[arm] = { gold: r.metrics.map((m) => +m.goldReward.toFixed(3)), kl: r.metrics.map((m) => +m.kl.toFixed(1)), proxy: r.metrics.map((m) => +(m.proxyReward ?? NaN).toFixed(3)), one: r.metrics.map((m) => +m.courtesy1.toFixed(2)), correct: r.metrics.map((m) => +m.correct.toFixed(2)), d: mean(d), ci: bootstrapMeanCi(d, { seed }), cpu: (u.user + u.system) / 1e6 };
    }
    const line = { seed, name, pi0: +mean(pi0Gold).toFixed(3), oracleMinusPi0: +res.oracle.d.toFixed(3), ci: res.oracle.ci.map((x: number) => +x.toFixed(3)), oracleMinusRjs: +(res.oracle.d - res.rjs.d).toFixed(3), oracle: res.oracle, rjs: res.rjs };
    console.log(JSON.stringify(line));
    fs.appendFileSync(path.join(out, 'results.jsonl'), `${JSON.stringify(line)}\n`);
  }
}
main().catch((e) => { console.error(e); process.exit(1); });
