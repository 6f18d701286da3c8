import { defineVariant } from '@apogee/game';
import { apoRewardLoss, sftLoss } from '@apogee/losses';
import { rjsUpdate } from '@apogee/updates';

/**
 * RJS (baseline): rejection sampling (best-of-n SFT) against RM_Base, the non-APO baseline (Cheng et al. 2024, §5; docs/variants/rjs.md).
 * The RM (RM_Base) is trained once, on human pairs only: the only difference from the APO variant.
 *
 * Plugins it applies, in order: `apoGame({ apo: false })`, `rjsUpdate`, `apoRewardLoss`, `sftLoss`.
 * Options: `{ game, update, rewardLoss, policyLoss }`, each passed to that plugin.
 */
export const rjs = defineVariant('rjs', {
  apo: false,
  update: rjsUpdate,
  rewardLoss: apoRewardLoss,
  policyLoss: sftLoss,
});

export default rjs;
