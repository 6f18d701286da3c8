import { defineVariant } from '@apogee/game';
import { apoRewardLoss, rrhfLoss, sftLoss } from '@apogee/losses';
import { rrhfUpdate } from '@apogee/updates';

/**
 * RRHF (baseline): RRHF ranking of RM-scored samples, scored by RM_Base (non-APO baseline) (Cheng et al. 2024, §5; docs/variants/rrhf.md).
 * The RM (RM_Base) is trained once, on human pairs only: the only difference from the APO variant.
 *
 * Plugins it applies, in order: `sftLoss` (for the SFT of π₀), `apoGame({ apo: false })`, `rrhfUpdate`, `apoRewardLoss`, `rrhfLoss`.
 * Options: `{ game, update, rewardLoss, policyLoss }`, each passed to that plugin.
 */
export const rrhf = defineVariant('rrhf', {
  apo: false,
  update: rrhfUpdate,
  rewardLoss: apoRewardLoss,
  policyLoss: rrhfLoss,
  base: [sftLoss],
});

export default rrhf;
