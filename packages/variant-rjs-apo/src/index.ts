import { defineVariant } from '@apogee/game';
import { apoRewardLoss, sftLoss } from '@apogee/losses';
import { rjsUpdate } from '@apogee/updates';

/**
 * RJS-APO: rejection sampling (best-of-n SFT) against an adversarially trained RM (Cheng et al. 2024, §5; docs/variants/rjs-apo.md).
 * The RM is retrained every round on human pairs + golden-vs-sample items (APO).
 *
 * Plugins it applies, in order: `apoGame({ apo: true })`, `rjsUpdate`, `apoRewardLoss`, `sftLoss`.
 * Options: `{ game, update, rewardLoss, policyLoss }`, each passed to that plugin.
 */
export const rjsApo = defineVariant('rjs-apo', {
  apo: true,
  update: rjsUpdate,
  rewardLoss: apoRewardLoss,
  policyLoss: sftLoss,
});

export default rjsApo;
