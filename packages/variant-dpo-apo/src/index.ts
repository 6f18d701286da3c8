import { defineVariant } from '@apogee/game';
import { apoRewardLoss, dpoLoss, sftLoss } from '@apogee/losses';
import { dpoUpdate } from '@apogee/updates';

/**
 * DPO-APO: DPO on best-vs-worst pairs of RM-scored samples, with the APO reward model (Cheng et al. 2024, §5; docs/variants/dpo-apo.md).
 * The RM is retrained every round on human pairs + golden-vs-sample items (APO).
 *
 * Plugins it applies, in order: `sftLoss` (for the SFT of π₀), `apoGame({ apo: true })`, `dpoUpdate`, `apoRewardLoss`, `dpoLoss`.
 * Options: `{ game, update, rewardLoss, policyLoss }`, each passed to that plugin.
 */
export const dpoApo = defineVariant('dpo-apo', {
  apo: true,
  update: dpoUpdate,
  rewardLoss: apoRewardLoss,
  policyLoss: dpoLoss,
  base: [sftLoss],
});

export default dpoApo;
