import { createRun, pluginShapeProblems, tokenName, type ApoPlugin } from '@apogee/core';
import { container as globalContainer } from 'tsyringe';

export interface DescribePluginOptions {
  /** Options to create the plugin with (default: none). */
  options?: Record<string, unknown>;
  /** Extra plugins the plugin's providers need to resolve (e.g. a tokenizer). */
  dependencies?: () => ApoPlugin[];
  /** Resolve every provided token after registration (default true). */
  resolve?: boolean;
}

/**
 * The conformance kit every plugin runs: it has the apogee plugin shape, registers what it says it
 * provides, only into the run's container, and its resolved providers are freed by `run.dispose()`.
 *
 * ```ts
 * describePlugin('my-loss', () => myLoss({ beta: 0.2 }));
 * ```
 */
export function describePlugin(name: string, factory: (options?: Record<string, unknown>) => ApoPlugin, kit: DescribePluginOptions = {}): void {
  describe(`plugin conformance: ${name}`, () => {
    it('has the plugin shape (name, provides, register)', () => {
      const plugin = factory(kit.options);
      expect(pluginShapeProblems(plugin)).toEqual([]);
      expect(Array.isArray(plugin.provides)).toBe(true);
    });

    it('registers every token it declares in `provides`, in the run container only', async () => {
      const plugin = factory(kit.options);
      const run = await createRun({ plugins: [...(kit.dependencies?.() ?? []), plugin] });
      try {
        for (const t of plugin.provides) {
          expect({ token: tokenName(t), registered: run.container.isRegistered(t, true) }).toEqual({ token: tokenName(t), registered: true });
          expect(globalContainer.isRegistered(t, false)).toBe(false);
          if (kit.resolve !== false) expect(run.resolve(t)).toBeDefined();
        }
      } finally {
        await run.dispose();
      }
    });

    it('can be applied to two runs independently', async () => {
      const a = await createRun({ plugins: [...(kit.dependencies?.() ?? []), factory(kit.options)] });
      const b = await createRun({ plugins: [...(kit.dependencies?.() ?? []), factory(kit.options)] });
      for (const t of factory(kit.options).provides) {
        if (kit.resolve === false) continue;
        const va = a.resolve(t);
        const vb = b.resolve(t);
        if (typeof va === 'object' && va !== null) expect(va).not.toBe(vb);
      }
      await a.dispose();
      await b.dispose();
    });
  });
}
