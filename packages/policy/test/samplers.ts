// The policy tests decode with the conformance kit's reference samplers (one implementation for both).
export { kitAncestralSampler as ancestralSampler, kitGreedySampler as greedySampler } from '@apogee/testing';
