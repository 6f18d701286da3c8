import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { isApogeeError, parseConfig, type ApogeeError } from '@apogee/core';
import { memoryIo } from '../io';
import { runCli } from '../main';
import { tempDir } from '../testing/fixtures';
import { loadConfigFile } from './load-config';

function problemsOf(fn: () => unknown): ApogeeError {
  try {
    fn();
  } catch (e) {
    if (isApogeeError(e)) return e;
    throw e;
  }
  throw new Error('expected an ApogeeError');
}

describe('config files', () => {
  let t: ReturnType<typeof tempDir>;
  beforeEach(() => (t = tempDir()));
  afterEach(() => t.cleanup());
  const write = (name: string, text: string) => {
    const file = path.join(t.dir, name);
    writeFileSync(file, text);
    return file;
  };

  it('reads YAML and JSON into the same validated config', () => {
    const yaml = loadConfigFile(write('a.yaml', 'seed: 7\ngame:\n  rounds: 2\nplugins:\n  - dpo-apo\n  - [dpo-loss, { beta: 0.2 }]\n'));
    const json = loadConfigFile(write('a.json', JSON.stringify({ seed: 7, game: { rounds: 2 }, plugins: ['dpo-apo', ['dpo-loss', { beta: 0.2 }]] })));
    expect(yaml.config).toEqual(json.config);
    expect(yaml.config).toEqual(parseConfig({ seed: 7, game: { rounds: 2 }, plugins: ['dpo-apo', ['dpo-loss', { beta: 0.2 }]] }));
  });

  it('lists every problem with its path, the allowed values and file:line:column', () => {
    const file = write('bad.yaml', ['seed: -1', 'backend: gpu', 'game:', '  rmInit: bse', '  roundz: 3', ''].join('\n'));
    const e = problemsOf(() => loadConfigFile(file));
    expect(e.code).toBe('APOGEE_CONFIG_INVALID');
    const byPath = Object.fromEntries(e.problems.map((p) => [p.path, p.message]));
    expect(byPath.seed).toMatch(new RegExp(`>=0 \\(${file}:1:7\\)$`));
    expect(byPath.backend).toContain('"auto"|"tensorflow"|"apogee-cpu"|"cpu"');
    expect(byPath.backend).toContain(`${file}:2:10`);
    expect(byPath['game.rmInit']).toContain('"base"|"continue"');
    expect(byPath['game.rmInit']).toContain(`${file}:4:11`);
    expect(byPath['game.roundz']).toContain('did you mean "rounds"?');
    expect(byPath['game.roundz']).toContain('allowed: rounds, apo, rmInit');
    expect(byPath['game.roundz']).toContain(`${file}:5:3`);
    expect(e.describe()).toContain('apogee config schema');
  });

  it('locates problems in JSON files too, and reports syntax errors with their position', () => {
    const json = write('bad.json', '{\n  "seed": 1,\n  "game": { "rounds": 0 }\n}\n');
    const e = problemsOf(() => loadConfigFile(json));
    expect(e.problems).toEqual([{ path: 'game.rounds', message: expect.stringContaining(`${json}:3:23`) }]);
    const broken = write('broken.yaml', 'seed: 1\ngame: [1, 2\n');
    const s = problemsOf(() => loadConfigFile(broken));
    expect(s.message).toContain('is not valid YAML');
    expect(s.problems[0].path).toMatch(new RegExp(`^${broken}:\\d+:\\d+$`));
    const missing = problemsOf(() => loadConfigFile(path.join(t.dir, 'nope.yaml')));
    expect(missing.message).toContain('Cannot read config file');
  });

  it('a "billion laughs" YAML is refused as a config error naming the file, not expanded (issue 17 item 5)', async () => {
    const levels = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (const [prev, name] of [['a', 'b'], ['b', 'c'], ['c', 'd'], ['d', 'e'], ['e', 'f'], ['f', 'g'], ['g', 'h']]) {
      levels.push(`${name}: &${name} [${new Array(9).fill(`*${prev}`).join(',')}]`);
    }
    const file = write('lol.yaml', `${levels.join('\n')}\n`);
    const e = problemsOf(() => loadConfigFile(file));
    expect(e.code).toBe('APOGEE_CONFIG_INVALID');
    expect(e.message).toContain(`Config file ${file} expands YAML aliases (*name) too often`);
    const io = memoryIo(t.dir);
    expect(await runCli(['config', 'validate', 'lol.yaml'], { io })).toBe(2);
    expect(io.stderr).not.toContain('probably a bug');
  });

  it('config init writes a commented file that validates, with every option and its default; refuses to overwrite', async () => {
    const io = memoryIo(t.dir);
    expect(await runCli(['config', 'init', 'apogee.yaml'], { io })).toBe(0);
    const text = readFileSync(path.join(t.dir, 'apogee.yaml'), 'utf8');
    for (const key of ['seed: 1', 'backend: auto', 'outDir: runs/latest', 'rounds: 3', 'rmInit: base', 'samplesPerQuery: 4', 'maxNewTokens: 256', '- "\\nHuman"']) {
      expect(text).toContain(key);
    }
    expect(text).toContain('# allowed: "base" | "continue"');
    expect(text).toContain('# Rounds of the RM-LLM game (APO paper: 3).');
    expect(text).toContain('  - dpo-apo');
    expect(text).not.toMatch(/^\s*apo:/m); // the variant owns apo (decision 0091)
    expect(await runCli(['config', 'validate', 'apogee.yaml'], { io })).toBe(0);
    expect(io.stdout).toContain('apogee.yaml is valid (');
    expect(await runCli(['config', 'init', 'apogee.yaml'], { io })).toBe(2);
    expect(io.stderr).toContain('apogee.yaml already exists.\nPass --force to overwrite it');
  });

  it('config validate fails on unknown plugins with the closest name and the entry position', async () => {
    const io = memoryIo(t.dir);
    write('p.yaml', 'plugins:\n  - byte-tokenizer\n  - [dpo-apoo, { game: {} }]\n');
    expect(await runCli(['config', 'validate', 'p.yaml'], { io })).toBe(2);
    expect(io.stderr).toContain('unknown plugin "dpo-apoo"; did you mean "dpo-apo"?');
    expect(io.stderr).toContain('p.yaml:3:6');
    expect(io.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('config validate checks each plugin\'s options and points at the entry', async () => {
    const io = memoryIo(t.dir);
    write('o.yaml', 'plugins:\n  - byte-tokenizer\n  - [dpo-loss, { beta: -1 }]\n');
    expect(await runCli(['config', 'validate', 'o.yaml'], { io })).toBe(2);
    expect(io.stderr).toContain('Options of plugin "dpo-loss" has a problem (plugins[1] at ');
    expect(io.stderr).toContain('o.yaml:3:16):\n  - beta: Too small: expected number to be >0');
  });

  it('config validate refuses a game.apo that disagrees with the variant, naming the field, the variant and the position', async () => {
    const io = memoryIo(t.dir);
    write('apo.yaml', 'game:\n  rounds: 2\n  apo: true\nplugins:\n  - dpo\n');
    expect(await runCli(['config', 'validate', 'apo.yaml'], { io })).toBe(2);
    expect(io.stderr).toContain('The config\'s game.apo disagrees with the variant "dpo":');
    expect(io.stderr).toContain('game.apo: is true, but the variant "dpo" plays the RM_Base baseline (apo: false) (');
    expect(io.stderr).toContain('apo.yaml:3:8)');
    expect(io.stderr).not.toMatch(/\n\s+at /); // no stack trace
    write('agree.yaml', 'game:\n  apo: false\nplugins:\n  - dpo\n');
    expect(await runCli(['config', 'validate', 'agree.yaml'], { io })).toBe(0);
  });

  it('config schema prints a JSON Schema with descriptions, defaults and allowed values', async () => {
    const io = memoryIo(t.dir);
    expect(await runCli(['config', 'schema'], { io })).toBe(0);
    const schema = JSON.parse(io.stdout);
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema.properties.backend.enum).toEqual(['auto', 'tensorflow', 'apogee-cpu', 'cpu']);
    expect(schema.properties.game.properties.rounds).toMatchObject({ default: 3, minimum: 1, type: 'integer' });
    expect(schema.properties.seed.description).toContain('seed');
    expect(await runCli(['config', 'schema', '--out', 's.json'], { io })).toBe(0);
    expect(JSON.parse(readFileSync(path.join(t.dir, 's.json'), 'utf8'))).toEqual(schema);
  });
});
