import { Lifecycle } from 'tsyringe';
import { definePlugin, TOKENS, type PluginFactory } from '@apogee/core';
import { ApoGameController, GAME_CONTAINER } from './game-controller';
import { GAME_OPTIONS, gameOptionsSchema, type GameOptions, type GameOptionsInput } from './options';

/**
 * The APO game loop as `TOKENS.GameController` (`apoGame({ rm: { lr: 1e-4 } })`). One controller
 * per run container; it owns the models it creates and frees them when the run is disposed.
 */
export const apoGame: PluginFactory<GameOptionsInput> = definePlugin<GameOptions>('apo-game', {
  provides: [TOKENS.GameController, GAME_OPTIONS],
  // The schema fills every default, nested ones too (a partial `rm` keeps the other RM defaults).
  defaults: {} as GameOptions,
  schema: gameOptionsSchema as never,
  register(container, options) {
    container.register(GAME_OPTIONS, { useValue: options });
    container.register(GAME_CONTAINER, { useFactory: (c) => c });
    container.register(TOKENS.GameController, { useClass: ApoGameController }, { lifecycle: Lifecycle.ContainerScoped });
  },
}) as unknown as PluginFactory<GameOptionsInput>;
