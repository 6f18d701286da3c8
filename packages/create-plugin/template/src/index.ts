import { definePlugin, TOKENS } from '@apogee/core';
import { z } from 'zod';
import { __CLASS__, __CONST__, type __CLASS__Options } from './sampler';

export { __CLASS__, __CONST__, type __CLASS__Options } from './sampler';

/** Validates the options; `apogee config validate` reports each bad field with its position. */
export const __FACTORY__OptionsSchema = z.object({ temperature: z.number().positive().max(100) }).strict();

/**
 * The __SHORT__ plugin: registers `__CLASS__` as the sampler of training samples
 * (`TOKENS.Sampler`). In a config: `plugins: [..., [__CONFIG_NAME__, { temperature: 0.8 }]]`,
 * after the variant, so its registration wins. In code: `__FACTORY__({ temperature: 0.8 })`.
 */
export const __FACTORY__ = definePlugin<__CLASS__Options>('__SHORT__', {
  provides: [TOKENS.Sampler],
  defaults: { temperature: 1 },
  schema: __FACTORY__OptionsSchema,
  register(container, options) {
    container.register(__CONST__, { useValue: options });
    container.register(TOKENS.Sampler, { useClass: __CLASS__ });
  },
});

// The CLI loads the default export and calls it with the options written in the config.
export default __FACTORY__;
