module.exports = { ...require('../../jest.preset.cjs'), displayName: 'variant-golden-sft' };
