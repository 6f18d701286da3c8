import { Lifecycle } from 'tsyringe';
import { checkProviders, definePlugin, TOKENS, type Token } from '@apogee/core';
import { ApoGameController } from './game-controller';
import { GAME_OPTIONS, gameApo, gameOptionsSchema, type GameOptions } from './options';

/** Tokens the game cannot run without (the tokenizer only when π₀ is created, not loaded). */
export function gameRequires(options: Pick<GameOptions, 'policyDir'>): Token<unknown>[] {
  return [
    TOKENS.PolicyFactory,
    TOKENS.RewardFactory,
    TOKENS.Sampler,
    TOKENS.RewardLoss,
    TOKENS.PolicyUpdate,
    TOKENS.GameDataSource,
    ...(options.policyDir ? [] : [TOKENS.Tokenizer]),
  ];
}

/**
 * The APO game loop as `TOKENS.GameController` (`apoGame({ rm: { lr: 1e-4 } })`). One controller
 * per run container, given its parts by constructor injection; resolving it first checks that every
 * part is registered and names the plugin that usually provides a missing one. It owns the models
 * it creates and frees them when the run is disposed.
 */
export const apoGame = definePlugin('apo-game', {
  provides: [TOKENS.GameController, GAME_OPTIONS],
  // The schema fills every default, nested ones too (a partial `rm` keeps the other RM defaults).
  schema: gameOptionsSchema,
  register(container, options) {
    // A config whose game.apo disagrees with `apo` is refused here, before any work starts.
    if (container.isRegistered(TOKENS.Config, true)) gameApo(container.resolve(TOKENS.Config).game.apo, options.apo);
    container.register(GAME_OPTIONS, { useValue: options });
    container.register(ApoGameController, { useClass: ApoGameController }, { lifecycle: Lifecycle.ContainerScoped });
    container.register(TOKENS.GameController, {
      useFactory: (c) => {
        checkProviders(c, gameRequires(options), {
          subject: 'The game',
          hint: 'Add the plugins named above to `plugins` (a variant preset such as @apogee/variant-rjs-apo brings the game, update and losses).',
        });
        return c.resolve(ApoGameController);
      },
    });
  },
});
