#!/usr/bin/env python3
"""Independent reference values for @apogee/losses.

Straightforward PyTorch (float64, autograd) implementations of every loss, written pair by pair
with plain loops rather than the dense masks the TypeScript code uses, on small fixed inputs that
include masking, ties and padding. Writes the loss, the metrics and d(loss)/d(input) per case to
packages/losses/src/__fixtures__/reference.json, which the package's tests compare against.

Run: /usr/bin/python3 tools/losses-reference/generate.py   (PyTorch 1.13, numpy)
"""
import json
import math
import os

import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, '..', '..', 'packages', 'losses', 'src', '__fixtures__', 'reference.json')


def sign(x):
    return (x > 0) - (x < 0)


def minmax(row):
    valid = [s for s in row if s >= 0]
    if not valid:
        return list(row)
    lo, hi = min(valid), max(valid)
    return [s if s < 0 else ((s - lo) / (hi - lo) if hi > lo else 1.0) for s in row]


def reference_rescale(raw):
    """The APO reference's per-item label rescaling (reward_datasets.prepare_data_item): raw scores
    to (0, 1) with a 1e-5 margin on both ends, before the item is padded with -1."""
    hi, lo = max(raw) + 1e-5, min(raw) - 1e-5
    return [(s - lo) / (hi - lo) for s in raw]


def raw_scores_case(name, rewards, raw_scores):
    """Items with raw (possibly negative) label scores of varying length, rescaled and padded as the
    reference's data collator does, then the ranking loss."""
    k = len(rewards[0])
    padded = [reference_rescale(r) + [-1.0] * (k - len(r)) for r in raw_scores]
    case = ranking_case(name, rewards, padded)
    case['input']['rawScores'] = raw_scores
    return case


# ---------------------------------------------------------------- Bradley-Terry ranking (APO §3)
def ranking_case(name, rewards, scores, variant='ranking', coeffs=None, kinds=None, centering=0.0, item_variants=None):
    z = torch.tensor(rewards, requires_grad=True)
    n, k = z.shape
    coeffs = coeffs or [1.0] * n
    item_variants = item_variants or [variant] * n
    total = 0 * z.sum()  # keeps the graph alive when there are no pairs
    pairs = correct = 0
    per_kind = {}
    for item, raw in enumerate(scores):
        s = minmax(raw)
        for i in range(k):
            for j in range(k):
                if s[i] < 0 or s[j] < 0 or s[i] == s[j]:
                    continue
                x = (z[item, j] - z[item, i]) * sign(s[j] - s[i])
                term = F.logsigmoid(x) if item_variants[item] == 'ranking' else x
                contrib = -coeffs[item] * term
                total = total + contrib
                pairs += 1
                ok = 1 if x.item() > 0 else 0
                correct += ok
                if kinds:
                    d = per_kind.setdefault(kinds[item], {'loss': torch.zeros(()), 'pairs': 0, 'correct': 0})
                    d['loss'] = d['loss'] + contrib
                    d['pairs'] += 1
                    d['correct'] += ok
    loss = total / max(pairs, 1)
    valid_z = [z[item, i] for item, raw in enumerate(scores) for i in range(k) if raw[i] >= 0]
    mean_sq = sum(v * v for v in valid_z) / max(len(valid_z), 1)
    if centering > 0:
        loss = loss + centering * mean_sq
    loss.backward()
    metrics = {
        'accuracy': correct / max(pairs, 1),
        'rewardMean': float(sum(v.item() for v in valid_z) / max(len(valid_z), 1)),
        'pairs': pairs,
    }
    if centering > 0:
        metrics['centering'] = float(mean_sq.item())
    for kind, d in per_kind.items():
        metrics['loss/' + kind] = float(d['loss'].item() / max(pairs, 1))
        metrics['accuracy/' + kind] = d['correct'] / d['pairs']
    return {
        'name': name,
        'input': {'rewards': rewards, 'scores': scores, 'kinds': kinds or ['human'] * n},
        'options': {'variant': variant, 'coefficients': coeffs, 'centeringCoeff': centering},
        'loss': loss.item(),
        'metrics': metrics,
        'grad': {'rewards': z.grad.tolist()},
    }


# ---------------------------------------------------------------- DPO family
def dpo_case(name, pc, pr, rc, rr, variant, beta, eps=0.0):
    t = {key: torch.tensor(v, requires_grad=True) for key, v in
         dict(policyChosen=pc, policyRejected=pr, referenceChosen=rc, referenceRejected=rr).items()}
    losses = []
    for b in range(len(pc)):
        h = (t['policyChosen'][b] - t['referenceChosen'][b]) - (t['policyRejected'][b] - t['referenceRejected'][b])
        if variant == 'sigmoid':
            l = -(1 - eps) * F.logsigmoid(beta * h) - eps * F.logsigmoid(-beta * h)
        elif variant == 'robust':
            l = (-(1 - eps) * F.logsigmoid(beta * h) + eps * F.logsigmoid(-beta * h)) / (1 - 2 * eps)
        elif variant == 'ipo':
            l = (h - 1 / (2 * beta)) ** 2
        elif variant == 'hinge':
            l = torch.clamp(1 - beta * h, min=0)
        losses.append(l)
    loss = sum(losses) / len(losses)
    loss.backward()
    ch = [beta * (a - b) for a, b in zip(pc, rc)]
    rj = [beta * (a - b) for a, b in zip(pr, rr)]
    metrics = {
        'rewards/chosen': sum(ch) / len(ch),
        'rewards/rejected': sum(rj) / len(rj),
        'rewards/margins': sum(a - b for a, b in zip(ch, rj)) / len(ch),
        'rewards/accuracies': sum(1 for a, b in zip(ch, rj) if a > b) / len(ch),
    }
    return {
        'name': name,
        'input': dict(policyChosen=pc, policyRejected=pr, referenceChosen=rc, referenceRejected=rr),
        'options': {'variant': variant, 'beta': beta, 'labelSmoothing': eps},
        'loss': loss.item(),
        'metrics': metrics,
        'grad': {key: v.grad.tolist() for key, v in t.items()},
    }


# ---------------------------------------------------------------- SFT (NLL on response tokens)
def sft_case(name, token_log_probs, mask, normalization):
    x = torch.tensor(token_log_probs, requires_grad=True)
    nll_sum = torch.zeros(())
    tokens = 0
    seq_terms = []
    for b, row in enumerate(mask):
        s = torch.zeros(())
        c = 0
        for t, m in enumerate(row):
            if m:
                s = s - x[b, t]
                c += 1
        nll_sum = nll_sum + s
        tokens += c
        if c > 0:
            seq_terms.append(s / c)
    token_nll = nll_sum / max(tokens, 1)
    loss = token_nll if normalization == 'token' else sum(seq_terms) / max(len(seq_terms), 1)
    loss.backward()
    return {
        'name': name,
        'input': {'tokenLogProbs': token_log_probs, 'mask': mask},
        'options': {'normalization': normalization},
        'loss': loss.item(),
        'metrics': {'nll': token_nll.item(), 'tokens': tokens},
        'grad': {'tokenLogProbs': x.grad.tolist()},
    }


# ---------------------------------------------------------------- RRHF (Yuan et al. 2023; docs/concepts/apo.md §5)
def rrhf_case(name, token_log_probs, mask, scores, k, w=100.0, alpha=1.0, sft_weight=1.0, sft_norm='response'):
    x = torch.tensor(token_log_probs, requires_grad=True)
    items = len(scores)
    rank_total = torch.zeros(())
    sft_total = torch.zeros(())
    live = 0
    for n in range(items):
        p, mean_lp, valid = [], [], []
        for i in range(k):
            row = n * k + i
            idx = [t for t, m in enumerate(mask[row]) if m]
            s = sum((x[row, t] for t in idx), torch.zeros(()))
            valid.append(len(idx) > 0)
            p.append(s / (len(idx) ** alpha) if idx else None)
            mean_lp.append(s / len(idx) if idx else None)
        if not any(valid):
            continue
        live += 1
        for i in range(k):
            for j in range(k):
                if valid[i] and valid[j] and scores[n][i] < scores[n][j]:
                    rank_total = rank_total + torch.clamp(p[i] - p[j], min=0)
        best = max((i for i in range(k) if valid[i]), key=lambda i: (scores[n][i], -i))
        if sft_norm == 'response':
            sft_total = sft_total - mean_lp[best]
        else:  # the RRHF code: the best row's masked log-probs averaged over the whole padded row
            row = n * k + best
            sft_total = sft_total - sum((x[row, t] * mask[row][t] for t in range(len(mask[row]))), torch.zeros(())) / len(mask[row])
    rank = rank_total / max(live, 1)
    sft = sft_total / max(live, 1)
    loss = w * rank + sft_weight * sft
    loss.backward()
    return {
        'name': name,
        'input': {'tokenLogProbs': token_log_probs, 'mask': mask, 'scores': scores, 'k': k},
        'options': {'rankingWeight': w, 'lengthPenalty': alpha, 'sftWeight': sft_weight, 'sftNormalization': sft_norm},
        'loss': loss.item(),
        'metrics': {'ranking': rank.item(), 'sft': sft.item()},
        'grad': {'tokenLogProbs': x.grad.tolist()},
    }


def main():
    ranking = [
        ranking_case('single pair: -log sigmoid(z_good - z_bad)', [[0.3, -0.2]], [[1, 0]]),
        ranking_case('single pair, order reversed in the row', [[0.3, -0.2]], [[0, 1]]),
        ranking_case('multi-response with ties and padding',
                     [[1.0, 0.5, -0.3, 2.0], [0.2, -1.1, 0.0, 0.7], [0.4, 0.1, 9.0, -7.0]],
                     [[3, 1, 1, -1], [0, 2, 5, 2], [0.5, 0.25, -1, -1]]),
        ranking_case('unnormalised scores (min-max per item only keeps the order)',
                     [[0.1, 0.9, -0.4]], [[10, 30, 20]]),
        ranking_case('diff variant', [[1.0, 0.5, -0.3, 2.0], [0.2, -1.1, 0.0, 0.7]],
                     [[3, 1, 1, -1], [0, 2, 5, 2]], variant='diff'),
        ranking_case('all ties: no pairs, loss 0', [[0.5, -0.5]], [[1, 1]]),
        ranking_case('centering regulariser', [[1.5, -0.5, 3.0], [0.25, 0.75, 0.0]], [[1, 0, -1], [0, 1, 2]], centering=0.01),
    ]
    apo = []
    # APO RM loss: human items weigh rm_kl_coeff = 1, APO items apo_loss_coeff / apo_sample_num; the
    # human (KL) term is always the ranking loss, `variant` (apo_loss_type) shapes the APO term only.
    def apo_case(name, rewards, scores, kinds, coeffs, variant):
        rm_kl, apo_c, num = coeffs
        case = ranking_case(name, rewards, scores, variant=variant, kinds=kinds,
                            coeffs=[rm_kl if kd == 'human' else apo_c / num for kd in kinds],
                            item_variants=['ranking' if kd == 'human' else variant for kd in kinds])
        case['options'].update({'rmKlCoeff': rm_kl, 'apoLossCoeff': apo_c, 'apoSampleNum': num})
        return case
    for name, coeffs, variant in [('APO defaults 1.0 / 0.1 / 4', (1.0, 0.1, 4), 'ranking'),
                                  ('APO custom 0.5 / 1.0 / 2', (0.5, 1.0, 2), 'ranking'),
                                  ('APO diff variant: diff on the APO items, ranking on the human ones', (1.0, 0.1, 4), 'diff')]:
        apo.append(apo_case(name,
                            [[0.2, -0.4, 0.0], [1.3, 0.7, 0.0], [0.1, 0.4, 0.0], [-0.6, 0.9, 0.3], [2.0, 2.5, 0.0]],
                            [[1, 0, -1], [1, 0, -1], [1, 0, -1], [0, 2, 1], [1, 0, -1]],
                            ['human', 'apo', 'apo', 'human', 'apo'], coeffs, variant))
    # 5 human and 8 APO items, diff variant with a heavy APO weight: the human term's form dominates.
    human_rewards = [[0.4, -0.3], [-0.2, 0.6], [1.1, 0.2], [0.0, 0.9], [-0.7, -0.1]]
    apo_rewards = [[0.3, 0.1], [-0.4, 0.5], [0.8, -0.6], [0.2, 0.2], [1.0, 0.4], [-0.3, -0.9], [0.6, 1.2], [0.05, -0.25]]
    apo.append(apo_case('APO diff variant, 5 human and 8 APO items', human_rewards + apo_rewards,
                        [[1, 0]] * 13, ['human'] * 5 + ['apo'] * 8, (1.0, 1.0, 1), 'diff'))
    pc = [-12.0, -30.5, -8.25, -20.0]
    pr = [-14.0, -29.0, -9.0, -20.0]
    rc = [-13.0, -30.0, -8.0, -21.5]
    rr = [-13.5, -31.0, -9.5, -19.0]
    dpo = [
        dpo_case('sigmoid (DPO) beta 0.1', pc, pr, rc, rr, 'sigmoid', 0.1),
        dpo_case('sigmoid with label smoothing 0.1 (cDPO)', pc, pr, rc, rr, 'sigmoid', 0.1, 0.1),
        dpo_case('robust (rDPO) eps 0.2 beta 0.5', pc, pr, rc, rr, 'robust', 0.5, 0.2),
        dpo_case('ipo beta 0.5', pc, pr, rc, rr, 'ipo', 0.5),
        dpo_case('hinge beta 0.3', pc, pr, rc, rr, 'hinge', 0.3),
    ]
    lp = [[-1.0, -2.0, -0.5, -3.0, -0.25],
          [-0.1, -0.2, -0.3, -0.4, -0.5],
          [-2.0, -1.5, -1.0, -0.5, -0.1]]
    mask = [[0, 1, 1, 1, 0], [0, 0, 0, 0, 0], [1, 1, 1, 1, 1]]
    sft = [sft_case('token mean, with an empty row', lp, mask, 'token'),
           sft_case('sequence mean, with an empty row', lp, mask, 'sequence')]
    rlp = [[-0.5, -1.0, -0.2, -0.1],
           [-2.0, -0.3, -0.4, -1.0],
           [-0.7, -0.9, -1.1, -0.2],
           [-0.1, -0.2, -0.3, -0.4],
           [-3.0, -0.5, -0.25, -0.6],
           [-1.5, -1.0, -0.5, -0.9]]
    rmask = [[1, 1, 1, 0], [1, 1, 0, 0], [1, 1, 1, 1],
             [1, 1, 1, 1], [1, 1, 0, 0], [0, 0, 0, 0]]
    rscores = [[0.5, 1.5, -0.2], [2.0, 1.0, 2.0]]  # item 2: a tie for best, a padded third response
    rrhf = [rrhf_case('RRHF w=100, alpha=1, tie and padding', rlp, rmask, rscores, 3),
            rrhf_case('RRHF w=1, alpha=0.7, sft weight 0.5', rlp, rmask, rscores, 3, w=1.0, alpha=0.7, sft_weight=0.5),
            rrhf_case('RRHF SFT over the padded row (the RRHF code)', rlp, rmask, rscores, 3, sft_norm='paddedRow')]
    raw = [raw_scores_case('negative raw scores are rescaled per item, not taken for padding',
                           [[0.4, -0.2, 0.1], [0.3, 0.9, 0.0]], [[-0.5, -1.2, 0.3], [-2, -0.1]]),
           raw_scores_case('mixed signs, a tie and a short item',
                           [[1.0, 0.5, -0.3, 2.0], [0.2, -1.1, 0.0, 0.0], [0.7, 0.7, 0.0, 0.0]],
                           [[3, -1, -1, 0.5], [-4, 2, 7], [-0.25, -0.75]])]
    data = {'generator': 'tools/losses-reference/generate.py (PyTorch %s, float64)' % torch.__version__,
            'ranking': ranking, 'apo': apo, 'dpo': dpo, 'sft': sft, 'rrhf': rrhf, 'rawScores': raw}
    with open(OUT, 'w') as f:
        json.dump(data, f, indent=1)
        f.write('\n')
    print('wrote', os.path.relpath(OUT), sum(len(v) for v in data.values() if isinstance(v, list)), 'cases')


if __name__ == '__main__':
    main()
