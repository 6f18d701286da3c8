import { defineVariant } from '@apogee/game';
import { apoRewardLoss, dpoLoss, sftLoss } from '@apogee/losses';
import { dpoUpdate } from '@apogee/updates';

/**
 * DPO (baseline): DPO on best-vs-worst pairs of RM-scored samples, scored by RM_Base (non-APO baseline) (Cheng et al. 2024, §5; docs/variants/dpo.md).
 * The RM (RM_Base) is trained once, on human pairs only: the only difference from the APO variant.
 *
 * Plugins it applies, in order: `sftLoss` (for the SFT of π₀), `apoGame({ apo: false })`, `dpoUpdate`, `apoRewardLoss`, `dpoLoss`.
 * Options: `{ game, update, rewardLoss, policyLoss }`, each passed to that plugin.
 */
export const dpo = defineVariant('dpo', {
  apo: false,
  update: dpoUpdate,
  rewardLoss: apoRewardLoss,
  policyLoss: dpoLoss,
  base: [sftLoss],
});

export default dpo;
