module.exports = { ...require('../../jest.preset.cjs'), displayName: 'variant-dpo-apo' };
