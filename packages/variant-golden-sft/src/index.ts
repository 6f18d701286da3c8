import { defineVariant } from '@apogee/game';
import { apoRewardLoss, sftLoss } from '@apogee/losses';
import { goldenSftUpdate } from '@apogee/updates';

/**
 * Golden SFT: fine-tuning directly on the golden answers (the paper's Golden-SFT baseline) (Cheng et al. 2024, §5; docs/variants/golden-sft.md).
 * The RM (RM_Base) is trained once, on human pairs only: the only difference from the APO variant.
 *
 * Plugins it applies, in order: `apoGame({ apo: false })`, `goldenSftUpdate`, `apoRewardLoss`, `sftLoss`.
 * Options: `{ game, update, rewardLoss, policyLoss }`, each passed to that plugin.
 */
export const goldenSft = defineVariant('golden-sft', {
  apo: false,
  update: goldenSftUpdate,
  rewardLoss: apoRewardLoss,
  policyLoss: sftLoss,
});

export default goldenSft;
