import { defineVariant } from '@apogee/game';
import { apoRewardLoss, rrhfLoss, sftLoss } from '@apogee/losses';
import { rrhfUpdate } from '@apogee/updates';

/**
 * RRHF-APO: RRHF ranking of RM-scored samples, with the APO reward model (Cheng et al. 2024, §5; docs/variants/rrhf-apo.md).
 * The RM is retrained every round on human pairs + golden-vs-sample items (APO).
 *
 * Plugins it applies, in order: `sftLoss` (for the SFT of π₀), `apoGame({ apo: true })`, `rrhfUpdate`, `apoRewardLoss`, `rrhfLoss`.
 * Options: `{ game, update, rewardLoss, policyLoss }`, each passed to that plugin.
 */
export const rrhfApo = defineVariant('rrhf-apo', {
  apo: true,
  update: rrhfUpdate,
  rewardLoss: apoRewardLoss,
  policyLoss: rrhfLoss,
  base: [sftLoss],
});

export default rrhfApo;
